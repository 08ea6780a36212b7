"""A change reaches the tenant at most once per call: a throttled or 503'd write is sent once by the Graph and
Exchange clients (the job runner owns its retries, handlers/jobs.py), while a read is retried by the client.

Counted in devtenant's call log, with faults injected by path, so each test shows both halves on the same client.
"""

from __future__ import annotations

from typing import Any

import pytest

from m365.errors import Throttled, TransientError
from m365.exchange import ExchangeClient, ExchangeResult
from m365.graph import GraphApi
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses

pytest_plugins = ["m365_fixtures"]
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.devtenant_only("counts the requests the clients send, in the emulator's call log"),
]


def _sent(tenant: Any, service: str, method: str, suffix: str) -> list[int]:
    """Statuses of the logged requests of ``service`` with this method whose path ends with ``suffix``."""
    return [c.status for c in tenant.state.calls(service) if c.method == method and c.path.endswith(suffix)]


def _cmdlets(tenant: Any, cmdlet: str) -> list[int]:
    return [c.status for c in tenant.state.calls("exchange") if c.cmdlet == cmdlet]


@pytest.mark.parametrize("status", [429, 503])
async def test_graph_assign_license_is_sent_once_and_its_read_retried(
    tenant: Any, graph: GraphApi, status: int
) -> None:
    licenses, person = GraphLicenses(graph), tenant.seed.demo_employee
    sku_id = tenant.seed.sku("SPB").sku_id
    await licenses.user_licenses(person.id)  # the token first, so it is not in the counts
    tenant.state.reset_call_log()
    tenant.faults.set("graph", status=status, retry_after=0, times=1, path_contains="/assignLicense")
    with pytest.raises(TransientError) as info:
        await licenses.assign(person.id, [sku_id])
    assert info.value.status == status
    assert _sent(tenant, "graph", "POST", "/assignLicense") == [status]

    tenant.faults.set("graph", status=status, retry_after=0, times=1, path_contains="/licenseDetails")
    await licenses.user_licenses(person.id)
    assert _sent(tenant, "graph", "GET", "/licenseDetails") == [status, 200]


async def test_graph_patch_and_delete_are_sent_once(tenant: Any, graph: GraphApi) -> None:
    directory, person = GraphDirectory(graph), tenant.seed.group_licensed_user
    group = tenant.seed.license_groups[0]
    await directory.get_user(person.id)
    tenant.state.reset_call_log()
    tenant.faults.set("graph", status=503, retry_after=0, times=1, path_contains=f"/users/{person.id}")
    with pytest.raises(TransientError):
        await directory.set_usage_location(person.id, "DE")
    assert _sent(tenant, "graph", "PATCH", f"/users/{person.id}") == [503]

    tenant.faults.set("graph", status=429, retry_after=0, times=1, path_contains="/$ref")
    with pytest.raises(Throttled):
        await directory.remove_group_member(group.id, person.id)
    assert _sent(tenant, "graph", "DELETE", "/$ref") == [429]
    # The membership read before the DELETE is retried by the client.
    tenant.faults.set("graph", status=503, retry_after=0, times=1, path_contains="/members")
    assert person.id in await directory.group_member_ids(group.id)
    assert _sent(tenant, "graph", "GET", "/members")[-2:] == [503, 200]


@pytest.mark.parametrize("status", [429, 503])
async def test_exchange_change_is_sent_once_and_its_read_retried(
    tenant: Any, exchange: ExchangeClient, status: int
) -> None:
    listed = tenant.seed.open_list
    await exchange.invoke("Get-DistributionGroup", {"Identity": listed.alias})
    tenant.state.reset_call_log()
    tenant.faults.set("exchange", status=status, retry_after=0, times=1)
    with pytest.raises(TransientError) as info:
        await exchange.invoke("Add-DistributionGroupMember", {"Identity": listed.alias,
                                                              "Member": tenant.seed.demo_admin.mail})
    assert info.value.status == status
    assert _cmdlets(tenant, "Add-DistributionGroupMember") == [status]

    tenant.faults.set("exchange", status=status, retry_after=0, times=1)
    result = await exchange.invoke("Get-DistributionGroupMember", {"Identity": listed.alias})
    assert isinstance(result, ExchangeResult)
    assert _cmdlets(tenant, "Get-DistributionGroupMember") == [status, 200]


async def test_exchange_batch_resends_only_its_reads(tenant: Any, exchange: ExchangeClient) -> None:
    listed, person = tenant.seed.open_list, tenant.seed.demo_admin
    tenant.state.reset_call_log()
    # Every item of the first $batch is throttled; only the read is sent again.
    tenant.faults.set("exchange", status=429, retry_after=0, times=2, path_contains="/InvokeCommand")
    outcomes = await exchange.invoke_batch([
        ("Add-DistributionGroupMember", {"Identity": listed.alias, "Member": person.mail}),
        ("Get-DistributionGroup", {"Identity": listed.alias}),
    ])
    assert isinstance(outcomes[0], Throttled) and isinstance(outcomes[1], ExchangeResult)
    assert [c.status for c in tenant.state.calls("exchange.batch") if c.cmdlet == "Add-DistributionGroupMember"] == [
        429]
    assert [c.status for c in tenant.state.calls("exchange.batch") if c.cmdlet == "Get-DistributionGroup"] == [
        429, 200]
    assert person.id not in tenant.state.list_members(listed.id)

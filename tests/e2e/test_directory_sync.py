"""The directory sync (F7) of the real desk against devtenant: full then incremental, outside changes, users,
one replica per period, resuming an interrupted round, refreshing one object, and `app.py sync`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk

from app import main
from devtenant import DevTenant
from handlers.directory_sync import run_sync
from handlers.directory_sync_exchange import refresh_list, refresh_mailbox
from handlers.directory_sync_users import USERS
from m365.ports import Access

EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


class Outside:
    """An admin changing the tenant behind the desk's back: raw InvokeCommand calls and the emulator's controls."""

    def __init__(self, tenant: DevTenant, session: aiohttp.ClientSession) -> None:
        self.tenant = tenant
        self.session = session
        self._token: str | None = None

    async def cmdlet(self, name: str, **parameters: Any) -> Any:
        if self._token is None:
            async with self.session.post(
                self.tenant.token_endpoint,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.tenant.client_id,
                    "client_secret": self.tenant.client_secret,
                    "scope": EXCHANGE_SCOPE,
                },
            ) as reply:
                self._token = (await reply.json())["access_token"]
        body = {"CmdletInput": {"CmdletName": name, "Parameters": parameters}}
        headers = {"Authorization": f"Bearer {self._token}"}
        async with self.session.post(self.tenant.invoke_command_url, json=body, headers=headers) as reply:
            payload = await reply.json(content_type=None)
            assert reply.status == 200, payload
            return payload

    async def control(self, method: str, path: str, json: Any = None) -> Any:
        async with self.session.request(method, f"{self.tenant.control_url}{path}", json=json) as reply:
            assert reply.status < 300, await reply.text()
            return await reply.json(content_type=None) if reply.status != 204 else None


@pytest.fixture
async def outside(tenant: DevTenant) -> AsyncIterator[Outside]:
    connector = aiohttp.TCPConnector(ssl=tenant.ssl_context())
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        yield Outside(tenant, session)


@pytest.fixture
async def sync_desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url, sync_interval_seconds=0))
    try:
        yield running
    finally:
        await running.client.close()


def _cmdlets(tenant: DevTenant, name: str) -> int:
    return sum(1 for c in tenant.state.calls("exchange") if c.cmdlet == name)


def _delta_calls(tenant: DevTenant) -> list[Any]:
    return [c for c in tenant.state.calls("graph") if "/users/delta" in c.path]


async def test_full_then_incremental_sync_follows_outside_changes(
    sync_desk: Desk, tenant: DevTenant, outside: Outside
) -> None:
    seed = tenant.seed
    services = sync_desk.services

    first = await run_sync(services)
    assert first.ok and not first.skipped, first.errors
    assert first.lists_added == len(seed.distribution_lists) and first.lists_changed == 0
    assert first.mailboxes_added == len(seed.shared_mailboxes)
    assert first.users_changed >= len(seed.users)
    full_member_reads = _cmdlets(tenant, "Get-DistributionGroupMember")
    assert full_member_reads == len(seed.distribution_lists)

    owner_mail = seed.list_owner.mail
    assert owner_mail
    sales = seed.sales_mailbox
    async with sync_desk.uow() as uow:
        closed = await uow.directory_cache.get_list(seed.closed_list.primary_smtp_address)
        assert closed is not None and closed.identity == seed.closed_list.id
        assert [a.lower() for a in closed.managed_by] == [owner_mail.lower()]
        members = await uow.directory_cache.list_members(seed.closed_list.id)
        assert members.total == len(seed.closed_list.member_ids)
        owned = await uow.directory_cache.lists_owned_by(owner_mail, limit=50)
        assert seed.closed_list.id in {x.identity for x in owned.items}
        delegates = await uow.directory_cache.mailbox_delegates(sales.id)
        employee = seed.demo_employee.mail.lower()
        held = {(d.access, d.primary_smtp_address.lower()) for d in delegates}
        assert {(Access.FULL_ACCESS, employee), (Access.SEND_ON_BEHALF, employee)} <= held
        mine = await uow.directory_cache.mailboxes_for(seed.demo_employee.mail, seed.demo_employee.id)
        assert sales.id in {m.identity for m in mine.items}
        disabled = await uow.user_cache.get_user(seed.disabled_user.id)
        assert disabled is not None and disabled.account_enabled is False

    # Outside the desk: a new list, a renamed one, a member added, a deleted one, a delegation, two people.
    domain = seed.domain
    await outside.cmdlet(
        "New-DistributionGroup",
        Name="Outside Made",
        Alias="outside-made",
        PrimarySmtpAddress=f"outside-made@{domain}",
        ManagedBy=[owner_mail],
        Members=[seed.demo_employee.mail],
    )
    await outside.cmdlet(
        "Set-DistributionGroup",
        Identity=seed.open_list.id,
        DisplayName="Book Club (renamed)",
        BypassSecurityGroupManagerCheck=True,
    )
    other = next(
        dl
        for dl in seed.distribution_lists
        if not dl.is_dir_synced
        and dl.id not in {seed.open_list.id, seed.closed_list.id}
        and seed.demo_admin.id not in dl.member_ids
    )
    await outside.cmdlet(
        "Add-DistributionGroupMember",
        Identity=other.id,
        Member=seed.demo_admin.mail,
        BypassSecurityGroupManagerCheck=True,
    )
    await outside.cmdlet("Remove-DistributionGroup", Identity=seed.closed_list.id, BypassSecurityGroupManagerCheck=True)
    empty = seed.empty_mailbox
    await outside.cmdlet(
        "Add-MailboxPermission",
        Identity=empty.id,
        User=seed.demo_employee.mail,
        AccessRights=["FullAccess"],
        InheritanceType="All",
        AutoMapping=False,
    )
    await outside.control("POST", f"/users/{seed.demo_employee.id}/disable")
    gone = seed.group_licensed_user
    await outside.control("DELETE", f"/users/{gone.id}")

    tenant.state.reset_call_log()
    second = await run_sync(services)
    assert second.ok and not second.skipped, second.errors
    assert (second.lists_added, second.lists_changed, second.lists_removed) == (1, 2, 1)
    assert (second.mailboxes_added, second.mailboxes_changed, second.mailboxes_removed) == (0, 1, 0)
    # Incremental: members read only for the three lists Exchange reports changed, delegates for one mailbox.
    assert _cmdlets(tenant, "Get-DistributionGroupMember") == 3 < full_member_reads
    assert _cmdlets(tenant, "Get-MailboxPermission") == 1
    assert len(_delta_calls(tenant)) == 1  # one delta page with only what changed

    async with sync_desk.uow() as uow:
        assert await uow.directory_cache.get_list(seed.closed_list.id) is None
        made = await uow.directory_cache.get_list(f"outside-made@{domain}")
        assert made is not None and made.display_name == "Outside Made"
        assert (await uow.directory_cache.lists_with_member(seed.demo_employee.mail, limit=50)).total >= 1
        assert (await uow.directory_cache.get_list(seed.open_list.id)).display_name == "Book Club (renamed)"  # type: ignore[union-attr]
        assert await uow.directory_cache.is_list_member(other.id, seed.demo_admin.mail)
        full_access = await uow.directory_cache.mailbox_delegates(empty.id)
        assert [(d.access, d.primary_smtp_address.lower()) for d in full_access] == [
            (Access.FULL_ACCESS, seed.demo_employee.mail.lower())
        ]
        employee = await uow.user_cache.get_user(seed.demo_employee.id)
        assert employee is not None and employee.account_enabled is False
        assert await uow.user_cache.get_user(gone.id) is None
        assert await uow.user_cache.is_user_deleted(gone.id)


async def test_two_runs_at_once_exactly_one_works(sync_desk: Desk, tenant: DevTenant) -> None:
    reports = await asyncio.gather(run_sync(sync_desk.services, replica="a"), run_sync(sync_desk.services, replica="b"))
    assert sorted(r.skipped for r in reports) == [False, True]
    worked = next(r for r in reports if not r.skipped)
    assert worked.lists_added == len(tenant.seed.distribution_lists)
    assert _cmdlets(tenant, "Get-DistributionGroupMember") == len(tenant.seed.distribution_lists)
    # With a period: a replica arriving just after a successful run leaves this period to it.
    again = await run_sync(sync_desk.services, replica="c", min_interval_seconds=600)
    assert again.skipped


async def test_interrupted_user_round_resumes_from_the_stored_page(
    sync_desk: Desk, tenant: DevTenant, outside: Outside
) -> None:
    await outside.control("POST", "/generate", {"users": 1500, "prefix": "resume"})
    total = len(tenant.state.users)
    assert total > 999  # more than one page of /users/delta
    # Slow Graph down so the run can be stopped between the first and the second page.
    tenant.faults.set("graph", latency_ms=400, path_contains="/users/delta")
    run = asyncio.create_task(run_sync(sync_desk.services, replica="crashing"))
    for _ in range(200):
        async with sync_desk.uow() as uow:
            link = await uow.sync_state.cursor(USERS)
        if link and "skiptoken" in link.lower():
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the first page was never stored")
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    tenant.faults.clear()
    async with sync_desk.uow() as uow:
        stored_after_crash = await uow.user_cache.count_users()
    assert 0 < stored_after_crash < total

    tenant.state.reset_call_log()
    resumed = await run_sync(sync_desk.services, replica="next")  # the cancelled run gave its lease back
    assert resumed.ok and not resumed.skipped, resumed.errors
    delta = _delta_calls(tenant)
    assert "skiptoken" in (delta[0].query or "").lower()  # no new round: it went on from the stored page
    assert resumed.users_changed == total - stored_after_crash
    async with sync_desk.uow() as uow:
        assert await uow.user_cache.count_users() == total


async def test_expired_delta_token_restarts_a_full_round_and_finds_deletions(
    sync_desk: Desk, tenant: DevTenant, outside: Outside
) -> None:
    assert (await run_sync(sync_desk.services)).ok
    victim = tenant.seed.employee_without_usage_location
    await outside.control("DELETE", f"/users/{victim.id}")
    await outside.control("POST", "/delta/expire", {"status": 410})
    report = await run_sync(sync_desk.services)
    assert report.ok, report.errors
    assert report.users_changed == len(tenant.state.users)  # a whole new round
    async with sync_desk.uow() as uow:
        # A restarted round does not report deletions; users it did not report are marked deleted at its end.
        assert await uow.user_cache.is_user_deleted(victim.id)
        assert await uow.user_cache.get_user(tenant.seed.demo_employee.id) is not None


async def test_refresh_one_list_and_mailbox_after_a_desk_change(
    sync_desk: Desk, tenant: DevTenant, outside: Outside
) -> None:
    seed, services = tenant.seed, sync_desk.services
    address = f"fresh@{seed.domain}"
    await outside.cmdlet(
        "New-DistributionGroup",
        Name="Fresh",
        Alias="fresh",
        PrimarySmtpAddress=address,
        ManagedBy=[seed.list_owner.mail],
        Members=[seed.demo_admin.mail],
    )
    fresh = await refresh_list(services, address)
    assert fresh is not None
    async with sync_desk.uow() as uow:
        assert (await uow.directory_cache.get_list(address)) == fresh
        assert (await uow.directory_cache.list_members(fresh.identity)).total == 1
    await outside.cmdlet("Remove-DistributionGroup", Identity=fresh.identity, BypassSecurityGroupManagerCheck=True)
    assert await refresh_list(services, fresh.identity) is None
    async with sync_desk.uow() as uow:
        assert await uow.directory_cache.get_list(address) is None

    sales = seed.sales_mailbox
    async with sync_desk.uow() as uow:
        await uow.mailbox_owners.replace(sales.id, [(seed.demo_admin.id, seed.demo_admin.mail, "Jonas")])
        await uow.commit()
    refreshed = await refresh_mailbox(services, sales.primary_smtp_address)
    assert refreshed is not None and refreshed.identity == sales.id
    async with sync_desk.uow() as uow:
        assert len(await uow.directory_cache.mailbox_delegates(sales.id)) >= 3
        assert await uow.mailbox_owners.of(sales.id) == [(seed.demo_admin.id, seed.demo_admin.mail, "Jonas")]


async def test_cli_sync_runs_once_and_reports(tenant: DevTenant, database_url: str, capsys) -> None:
    settings = desk_settings(tenant, database_url)  # demo mode: the desk migrates the empty database itself
    code = await asyncio.to_thread(main, ["sync", "--full"], settings_factory=lambda: settings)
    assert code == 0
    out = capsys.readouterr().out
    assert f"lists {len(tenant.seed.distribution_lists)} added" in out and "full" in out

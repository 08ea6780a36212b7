"""Contract tests for the m365 ports, run against both implementations (m365_fixtures: ``tenant_impl``): the real
clients against the devtenant emulator over HTTPS, and the in-memory tenant seeded alike.

The ``*Contract`` classes speak only the ports (Directory, Licenses, DistributionLists) and the seed. ``TestHttp*``
classes check what only an HTTP implementation can show (token caching, batching, retries) through the
emulator's call log, so they run against devtenant alone.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from m365_fixtures import EXCHANGE_MAX_ATTEMPTS

from devtenant.tokens import GRAPH_RESOURCE
from m365.credentials import MsalCredentials
from m365.errors import (
    CmdletNotAllowed,
    GroupAssignedLicense,
    NoFreeSeats,
    NotFound,
    PermissionDenied,
    Throttled,
    TransientError,
    UsageLocationMissing,
)
from m365.exchange import ExchangeClient
from m365.graph import build_graph
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses
from m365.ports import BulkLicenses, Directory, DistributionLists, Licenses, MemberChange

# Fixtures: tenant_impl, seed, directory, licenses, distribution_lists; tenant, credentials, graph, exchange.
pytest_plugins = ["m365_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="module")

E3 = "ENTERPRISEPACK"
E5 = "ENTERPRISEPREMIUM"
BASIC = "O365_BUSINESS_ESSENTIALS"
STANDARD = "O365_BUSINESS_PREMIUM"


# ---------------------------------------------------------------------------------------------------------
# Directory


class DirectoryContract:
    async def test_get_user_by_id(self, directory: Directory, seed: Any) -> None:
        anna = seed.demo_employee
        user = await directory.get_user(anna.id)
        assert user is not None
        assert user.id == anna.id
        assert user.user_principal_name == anna.user_principal_name
        assert user.display_name == anna.display_name
        assert user.usage_location == anna.usage_location
        assert user.department == anna.department
        assert user.account_enabled is True

    async def test_get_user_by_upn(self, directory: Directory, seed: Any) -> None:
        anna = seed.demo_employee
        user = await directory.get_user(anna.user_principal_name)
        assert user is not None and user.id == anna.id

    async def test_unknown_user_is_none(self, directory: Directory, seed: Any) -> None:
        assert await directory.get_user(f"nobody.here@{seed.domain}") is None
        assert await directory.get_user("00000000-0000-0000-0000-00000000dead") is None

    async def test_disabled_user_is_reported_disabled(self, directory: Directory, seed: Any) -> None:
        user = await directory.get_user(seed.disabled_user.id)
        assert user is not None and user.account_enabled is False

    async def test_find_users_by_prefix(self, directory: Directory, seed: Any) -> None:
        anna = seed.demo_employee
        found = await directory.find_users(anna.display_name[:6], limit=50)
        assert anna.id in {u.id for u in found}
        assert all(
            u.display_name.lower().startswith(anna.display_name[:6].lower())
            or u.user_principal_name.lower().startswith(anna.display_name[:6].lower())
            or (u.mail or "").lower().startswith(anna.display_name[:6].lower())
            for u in found
        )
        by_upn = await directory.find_users(anna.user_principal_name.split("@")[0])
        assert anna.id in {u.id for u in by_upn}

    async def test_find_users_respects_the_limit(self, directory: Directory) -> None:
        assert len(await directory.find_users("a", limit=3)) <= 3

    async def test_find_users_quotes_the_query(self, directory: Directory) -> None:
        assert await directory.find_users("o'brien') or startswith(displayName,'") == []

    async def test_group_member_ids(self, directory: Directory, seed: Any) -> None:
        ids = await directory.group_member_ids(seed.admins_group.id)
        assert sorted(ids) == sorted(seed.admins_group.member_ids)

    async def test_is_member_of(self, directory: Directory, seed: Any) -> None:
        admin_id = seed.admins_group.member_ids[0]
        assert await directory.is_member_of(admin_id, seed.admins_group.id) is True
        assert await directory.is_member_of(seed.demo_employee.id, seed.admins_group.id) is False

    async def test_set_usage_location(self, directory: Directory, seed: Any) -> None:
        oliver = seed.employee_without_usage_location
        await directory.set_usage_location(oliver.id, "gb")
        user = await directory.get_user(oliver.id)
        assert user is not None and user.usage_location == "GB"

    async def test_get_group_name(self, directory: Directory, seed: Any) -> None:
        group = seed.license_groups[0]
        assert await directory.get_group_name(group.id) == group.display_name
        assert await directory.get_group_name(seed.admins_group.id) == seed.admins_group.display_name
        assert await directory.get_group_name("00000000-0000-0000-0000-00000000dead") is None
        assert await directory.get_group_name("not a group id") is None

    async def test_manager_id(self, directory: Directory, seed: Any) -> None:
        employee = seed.demo_employee
        assert employee.manager_id and await directory.manager_id(employee.id) == employee.manager_id
        ceo = next(user for user in seed.users if user.manager_id is None)
        assert await directory.manager_id(ceo.id) is None
        assert await directory.manager_id("00000000-0000-0000-0000-00000000dead") is None

    async def test_remove_group_member_is_idempotent_and_ends_the_group_license(
        self, directory: Directory, licenses: Licenses, seed: Any
    ) -> None:
        group, person = seed.license_groups[0], seed.group_licensed_user
        assert any(held.assigned_by_group == group.id for held in await licenses.user_licenses(person.id))
        assert await directory.remove_group_member(group.id, person.id) is MemberChange.REMOVED
        assert person.id not in await directory.group_member_ids(group.id)
        assert not any(held.assigned_by_group == group.id for held in await licenses.user_licenses(person.id))
        assert await directory.remove_group_member(group.id, person.id) is MemberChange.NOT_PRESENT
        assert await directory.remove_group_member(group.id, seed.demo_employee.id) is MemberChange.NOT_PRESENT
        with pytest.raises(NotFound):
            await directory.remove_group_member("00000000-0000-0000-0000-00000000dead", person.id)


# ---------------------------------------------------------------------------------------------------------
# Licenses


class LicensesContract:
    async def test_list_skus_computes_free_seats(self, licenses: Licenses, seed: Any) -> None:
        skus = {s.sku_part_number: s for s in await licenses.list_skus()}
        for expected in seed.skus:
            sku = skus[expected.sku_part_number]
            assert sku.sku_id == expected.sku_id
            assert sku.enabled_units == expected.prepaid_enabled
            assert sku.consumed_units == expected.consumed_units
            assert sku.free_units == expected.free_units
        assert skus[E5].free_units == 0

    async def test_user_licenses_direct(self, licenses: Licenses, seed: Any) -> None:
        anna = seed.demo_employee
        held = await licenses.user_licenses(anna.id)
        assert [(lic.sku_part_number, lic.assigned_by_group) for lic in held] == [(BASIC, None)]
        assert held[0].sku_id == seed.sku(BASIC).sku_id

    async def test_user_licenses_recognises_group_assignment(self, licenses: Licenses, seed: Any) -> None:
        group = seed.license_groups[0]
        held = await licenses.user_licenses(seed.group_licensed_user.id)
        by_group = [lic for lic in held if lic.assigned_by_group]
        assert [(lic.sku_id, lic.assigned_by_group) for lic in by_group] == [(seed.sku(E3).sku_id, group.id)]
        assert by_group[0].sku_part_number == E3

    async def test_assign_adds(self, licenses: Licenses, seed: Any) -> None:
        anna = seed.demo_employee
        await licenses.assign(anna.id, [seed.sku("SPB").sku_id])
        parts = {lic.sku_part_number for lic in await licenses.user_licenses(anna.id)}
        assert parts == {BASIC, "SPB"}
        skus = {s.sku_part_number: s for s in await licenses.list_skus()}
        assert skus["SPB"].consumed_units == seed.sku("SPB").consumed_units + 1

    async def test_plan_swap_in_one_call(self, licenses: Licenses, seed: Any) -> None:
        anna = seed.demo_employee
        await licenses.assign(anna.id, [seed.sku(STANDARD).sku_id], [seed.sku(BASIC).sku_id])
        parts = [lic.sku_part_number for lic in await licenses.user_licenses(anna.id)]
        assert parts == [STANDARD]

    async def test_missing_usage_location(self, licenses: Licenses, seed: Any) -> None:
        with pytest.raises(UsageLocationMissing):
            await licenses.assign(seed.employee_without_usage_location.id, [seed.sku(BASIC).sku_id])

    async def test_no_free_seats(self, licenses: Licenses, seed: Any) -> None:
        with pytest.raises(NoFreeSeats):
            await licenses.assign(seed.demo_employee.id, [seed.sku(E5).sku_id])

    async def test_group_license_cannot_be_removed_directly(self, licenses: Licenses, seed: Any) -> None:
        with pytest.raises(GroupAssignedLicense):
            await licenses.assign(seed.group_licensed_user.id, [], [seed.sku(E3).sku_id])

    async def test_unknown_user(self, licenses: Licenses, seed: Any) -> None:
        with pytest.raises(NotFound):
            await licenses.assign("00000000-0000-0000-0000-00000000dead", [seed.sku(BASIC).sku_id])

    async def test_license_holders_are_everyone_licensed_with_their_plans(self, licenses: Licenses, seed: Any) -> None:
        holders = {h.id: h for h in await licenses.license_holders()}
        licensed = {u for sku in seed.skus for u in (*sku.direct_user_ids, *sku.group_user_ids)}
        assert set(holders) == licensed
        for user_id, holder in holders.items():
            person = seed.user(user_id)
            assert holder.display_name == person.display_name
            assert holder.user_principal_name == person.user_principal_name
            assert holder.account_enabled is person.account_enabled
            plans = {s.sku_part_number for s in seed.skus_of(user_id)}
            assert {lic.sku_part_number for lic in holder.licenses} == plans
        assert holders[seed.disabled_user.id].account_enabled is False
        (e3,) = holders[seed.group_licensed_user.id].licenses
        assert (e3.sku_part_number, e3.assigned_by_group) == (E3, seed.license_groups[0].id)
        assert seed.employee_without_usage_location.id not in holders

    async def test_assign_many_reports_per_item_errors(self, licenses: BulkLicenses, seed: Any) -> None:
        outcomes = await licenses.assign_many(
            [
                (seed.employee_without_usage_location.id, [seed.sku(BASIC).sku_id], []),
                (seed.demo_employee.id, [seed.sku(E5).sku_id], []),
                ("00000000-0000-0000-0000-00000000dead", [seed.sku(BASIC).sku_id], []),
                (seed.demo_employee.id, ["not-a-sku-id"], []),
                (seed.demo_employee.id, [seed.sku(STANDARD).sku_id], [seed.sku(BASIC).sku_id]),
            ]
        )
        assert [type(o.error).__name__ for o in outcomes] == [
            "UsageLocationMissing",
            "NoFreeSeats",
            "NotFound",
            "InvalidRequest",
            "NoneType",
        ]
        assert [lic.sku_part_number for lic in await licenses.user_licenses(seed.demo_employee.id)] == [STANDARD]

    async def test_assign_many_grants_until_the_seats_run_out(self, licenses: BulkLicenses, seed: Any) -> None:
        basic = seed.sku(BASIC)
        others = [u for u in seed.users if u.usage_location and u.id not in basic.direct_user_ids][:25]
        outcomes = await licenses.assign_many([(u.id, [basic.sku_id], []) for u in others])
        assert [o.user_id for o in outcomes] == [u.id for u in others]
        assert sum(o.ok for o in outcomes) == basic.free_units
        assert all(isinstance(o.error, NoFreeSeats) for o in outcomes if not o.ok)
        skus = {s.sku_id: s for s in await licenses.list_skus()}
        assert skus[basic.sku_id].free_units == 0
        assert await licenses.holders(basic.sku_id) == set(basic.direct_user_ids) | {
            o.user_id for o in outcomes if o.ok}

    async def test_holders_counts_group_licenses(self, licenses: BulkLicenses, seed: Any) -> None:
        e3 = seed.sku(E3)
        holders = await licenses.holders(e3.sku_id)
        assert holders == set(e3.direct_user_ids) | set(seed.license_groups[0].member_ids)
        assert seed.group_licensed_user.id in holders

    async def test_subscriptions_with_their_term_ends(self, licenses: Licenses, seed: Any) -> None:
        subscriptions = {s.sku_part_number: s for s in await licenses.subscriptions()}
        assert set(subscriptions) == {sku.sku_part_number for sku in seed.skus}
        for sku in seed.skus:
            sub = subscriptions[sku.sku_part_number]
            assert (sub.sku_id, sub.total_licenses, sub.status) == (sku.sku_id, sku.prepaid_enabled, "Enabled")
            assert sub.next_lifecycle is not None and sub.next_lifecycle.tzinfo is not None
        ending = sorted(subscriptions.values(), key=lambda s: s.next_lifecycle)
        assert ending[0].sku_part_number == STANDARD  # the one the seed lets end soon
        assert (ending[1].next_lifecycle - ending[0].next_lifecycle).days > 30


# ---------------------------------------------------------------------------------------------------------
# Distribution lists


class DistributionListsContract:
    async def test_get_list_by_id_alias_and_address(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        expected = seed.closed_list
        for key in (expected.id, expected.alias, expected.primary_smtp_address):
            dl = await distribution_lists.get_list(key)
            assert dl is not None, key
            assert dl.identity == expected.id
            assert dl.alias == expected.alias
            assert dl.primary_smtp_address == expected.primary_smtp_address
            assert dl.display_name == expected.display_name
            assert dl.member_join_restriction == "Closed"
            assert dl.is_dir_synced is False
            assert dl.managed_by == (seed.list_owner.mail,)

    async def test_open_and_dir_synced_lists(self, distribution_lists: DistributionLists, seed: Any) -> None:
        open_list = await distribution_lists.get_list(seed.open_list.alias)
        assert open_list is not None and open_list.member_join_restriction == "Open"
        synced = await distribution_lists.get_list(seed.dir_synced_list.primary_smtp_address)
        assert synced is not None and synced.is_dir_synced is True

    async def test_unknown_list_is_none(self, distribution_lists: DistributionLists, seed: Any) -> None:
        assert await distribution_lists.get_list(f"no-such-list@{seed.domain}") is None

    async def test_find_lists(self, distribution_lists: DistributionLists, seed: Any) -> None:
        found = await distribution_lists.find_lists("Sales", limit=10)
        assert {"sales-pl", "sales-dach", "sales-ukus"} <= {dl.alias for dl in found}
        assert len(await distribution_lists.find_lists("", limit=5)) == 5

    async def test_members(self, distribution_lists: DistributionLists, seed: Any) -> None:
        expected = seed.closed_list
        members = await distribution_lists.members(expected.primary_smtp_address)
        assert sorted(m.external_directory_object_id or "" for m in members) == sorted(expected.member_ids)
        by_id = {u.id: u for u in seed.users}
        for member in members:
            assert member.primary_smtp_address == by_id[member.external_directory_object_id].mail

    async def test_members_of_unknown_list(self, distribution_lists: DistributionLists, seed: Any) -> None:
        with pytest.raises(NotFound):
            await distribution_lists.members(f"no-such-list@{seed.domain}")

    async def test_add_member_is_idempotent(self, distribution_lists: DistributionLists, seed: Any) -> None:
        dl, anna = seed.closed_list, seed.demo_employee
        assert await distribution_lists.add_member(dl.primary_smtp_address, anna.mail) is MemberChange.ADDED
        assert (
            await distribution_lists.add_member(dl.primary_smtp_address, anna.mail)
            is MemberChange.ALREADY_PRESENT
        )
        members = await distribution_lists.members(dl.id)
        assert anna.mail in {m.primary_smtp_address for m in members}

    async def test_remove_member_is_idempotent(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        dl = seed.closed_list
        member = next(u for u in seed.users if u.id == dl.member_ids[0])
        assert await distribution_lists.remove_member(dl.alias, member.mail) is MemberChange.REMOVED
        assert await distribution_lists.remove_member(dl.alias, member.mail) is MemberChange.NOT_PRESENT
        members = await distribution_lists.members(dl.id)
        assert member.mail not in {m.primary_smtp_address for m in members}

    async def test_remove_unknown_recipient_is_not_present(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        result = await distribution_lists.remove_member(seed.closed_list.alias, f"ghost@{seed.domain}")
        assert result is MemberChange.NOT_PRESENT

    async def test_member_change_on_unknown_list(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        with pytest.raises(NotFound):
            await distribution_lists.add_member(f"no-such-list@{seed.domain}", seed.demo_employee.mail)
        with pytest.raises(NotFound):
            await distribution_lists.remove_member(f"no-such-list@{seed.domain}", seed.demo_employee.mail)


# ---------------------------------------------------------------------------------------------------------
# Every implementation (m365_fixtures parametrizes them)


class TestDirectory(DirectoryContract):
    pass


class TestLicenses(LicensesContract):
    pass


class TestDistributionLists(DistributionListsContract):
    pass


def calls(tenant: Any, service: str | None = None, contains: str = "") -> list[Any]:
    """The emulator's logged upstream requests, optionally filtered by service and path fragment."""
    found = []
    for entry in tenant.state.call_log:
        entry_service = _field(entry, "service")
        path = str(_field(entry, "path") or _field(entry, "url") or "")
        if service is not None and entry_service != service:
            continue
        if contains and contains.lower() not in path.lower():
            continue
        found.append(entry)
    return found


def _field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


@pytest.mark.devtenant_only("token caching happens in MsalCredentials, over HTTP")
class TestHttpCredentials:
    async def test_token_is_cached(self, tenant: Any, credentials: Any) -> None:
        scope = "https://graph.microsoft.com/.default"
        first = await credentials.token(scope)
        second = await credentials.token(scope)
        assert first == second
        assert len(calls(tenant, "token")) == 1

    async def test_a_burst_makes_one_token_request(self, tenant: Any, credentials: Any) -> None:
        tokens = await asyncio.gather(
            *(credentials.token("https://outlook.office365.com/.default") for _ in range(10))
        )
        assert len(set(tokens)) == 1
        assert len(calls(tenant, "token")) == 1

    async def test_graph_and_exchange_scopes_get_their_own_tokens(
        self, tenant: Any, credentials: Any
    ) -> None:
        graph_token = await credentials.token("https://graph.microsoft.com/.default")
        exchange_token = await credentials.token("https://outlook.office365.com/.default")
        assert graph_token != exchange_token
        assert len(calls(tenant, "token")) == 2

    async def test_wrong_secret_is_permission_denied(self, tenant: Any) -> None:
        wrong = MsalCredentials(
            f"{tenant.authority_host}/{tenant.tenant_id}",
            tenant.client_id,
            "not-the-secret",
            ca_bundle=str(tenant.ca_pem_path),
            validate_authority=False,
        )
        try:
            with pytest.raises(PermissionDenied) as info:
                await wrong.token("https://graph.microsoft.com/.default")
        finally:
            wrong.close()
        assert "AADSTS" in info.value.message


@pytest.mark.devtenant_only("retries, throttling, paging and $batch are Graph transport")
class TestHttpGraph:
    async def test_directory_calls_share_one_token(
        self, tenant: Any, directory: Directory, seed: Any
    ) -> None:
        await directory.get_user(seed.demo_employee.id)
        await directory.find_users("Anna")
        assert len(calls(tenant, "token")) == 1

    async def test_throttled_twice_then_success(self, tenant: Any, directory: Directory, seed: Any) -> None:
        await directory.get_user(seed.demo_employee.id)  # token first, so only Graph calls are counted below
        before = len(calls(tenant, "graph"))
        tenant.faults.set("graph", status=429, retry_after=1, times=2)
        started = time.monotonic()
        user = await directory.get_user(seed.demo_employee.id)
        assert user is not None
        assert len(calls(tenant, "graph")) - before == 3
        assert time.monotonic() - started >= 1.9  # Retry-After honoured twice

    async def test_throttled_for_good_is_throttled(self, tenant: Any, credentials: Any, seed: Any) -> None:
        graph = build_graph(credentials, tenant.graph_base_url, ca_bundle=tenant.ca_pem_path, max_retries=1)
        try:
            directory = GraphDirectory(graph)
            await directory.get_user(seed.demo_employee.id)
            before = len(calls(tenant, "graph"))
            tenant.faults.set("graph", status=429, retry_after=1)
            with pytest.raises(Throttled) as info:
                await directory.get_user(seed.demo_employee.id)
        finally:
            await graph.aclose()
        assert info.value.retry_after == 1.0
        assert len(calls(tenant, "graph")) - before == 2  # the SDK's one retry, then our typed error

    async def test_outage_is_transient(self, tenant: Any, credentials: Any) -> None:
        graph = build_graph(credentials, tenant.graph_base_url, ca_bundle=tenant.ca_pem_path, max_retries=1)
        try:
            tenant.faults.set("graph", status=503, retry_after=1)
            with pytest.raises(TransientError) as info:
                await GraphLicenses(graph).list_skus()
        finally:
            await graph.aclose()
        assert info.value.status == 503
        assert len(calls(tenant, "graph")) == 2

    async def test_assign_many_batches_by_twenty(
        self, tenant: Any, licenses: BulkLicenses, seed: Any
    ) -> None:
        assert isinstance(licenses, GraphLicenses)
        basic = seed.sku(BASIC)
        holders = [u for u in seed.users if u.id in basic.direct_user_ids]
        others = [u for u in seed.users if u.usage_location and u.id not in basic.direct_user_ids][:45]
        assert len(others) == 45
        items = [(u.id, [basic.sku_id], []) for u in others]
        outcomes = await licenses.assign_many(items)
        assert len(calls(tenant, "graph", "$batch")) == 3
        assert [o.user_id for o in outcomes] == [u.id for u in others]
        granted = [o for o in outcomes if o.ok]
        refused = [o for o in outcomes if not o.ok]
        assert len(granted) == basic.free_units
        assert all(isinstance(o.error, NoFreeSeats) for o in refused)
        for outcome in granted:
            held = await licenses.user_licenses(outcome.user_id)
            assert basic.sku_id in {lic.sku_id for lic in held}
        assert len(holders) + len(granted) == next(
            s.consumed_units for s in await licenses.list_skus() if s.sku_id == basic.sku_id
        )

    async def test_assign_many_sends_each_item_once(self, tenant: Any, licenses: BulkLicenses, seed: Any) -> None:
        basic = seed.sku(BASIC)
        users = [u for u in seed.users if u.usage_location and u.id not in basic.direct_user_ids][:3]
        # The emulator throttles the first two assignLicense items inside the batch (per-item 429s); sending them
        # again is the job runner's, after it re-read who holds the plan.
        tenant.faults.set("graph", status=429, retry_after=0.2, times=2, path_contains="assignLicense")
        outcomes = await licenses.assign_many([(u.id, [basic.sku_id], []) for u in users])
        assert [o.ok for o in outcomes] == [False, False, True]
        assert all(isinstance(o.error, Throttled) and o.error.retry_after == 0.2 for o in outcomes[:2])
        assert len(calls(tenant, "graph", "$batch")) == 1
        assert [c.status for c in calls(tenant, "graph.batch")] == [429, 429, 200]

    async def test_a_throttled_batch_is_sent_once(self, tenant: Any, licenses: BulkLicenses, seed: Any) -> None:
        basic = seed.sku(BASIC)
        users = [u for u in seed.users if u.usage_location and u.id not in basic.direct_user_ids][:2]
        tenant.faults.set("graph", status=429, retry_after=0.01, times=1, path_contains="$batch")
        outcomes = await licenses.assign_many([(u.id, [basic.sku_id], []) for u in users])
        assert all(isinstance(o.error, Throttled) for o in outcomes)
        assert [c.status for c in calls(tenant, "graph", "$batch")] == [429]
        assert calls(tenant, "graph.batch") == []

    async def test_a_malformed_item_never_leaves_the_desk(
        self, tenant: Any, licenses: BulkLicenses, seed: Any
    ) -> None:
        outcomes = await licenses.assign_many(
            [(seed.demo_employee.id, ["not-a-sku-id"], []), (seed.demo_employee.id, [seed.sku("SPB").sku_id], [])]
        )
        assert [o.status for o in outcomes] == [0, 200]
        assert len(calls(tenant, "graph.batch")) == 1

    async def test_holders_is_one_read(self, tenant: Any, licenses: BulkLicenses, seed: Any) -> None:
        before = len(calls(tenant, "graph", "/users"))
        assert seed.group_licensed_user.id in await licenses.holders(seed.sku(E3).sku_id)
        assert len(calls(tenant, "graph", "/users")) - before == 1

    async def test_assign_many_paces_itself_under_the_write_throttle(
        self, tenant: Any, licenses: BulkLicenses, seed: Any
    ) -> None:
        basic = seed.sku(BASIC)
        users = [u for u in seed.users if u.usage_location and u.id not in basic.direct_user_ids][:25]
        tenant.state.set_prepaid_units(BASIC, basic.prepaid_enabled + 25)
        # 20 writes a second, starting with a spent budget: the first batch is throttled, the next one waits.
        throttle = tenant.faults.throttle_writes(limit=20, window_s=1, start_tokens=0)
        outcomes = await licenses.assign_many([(u.id, [basic.sku_id], []) for u in users])
        assert throttle.throttled > 0
        assert all(o.ok or isinstance(o.error, Throttled) for o in outcomes)
        assert any(o.ok for o in outcomes[20:]), "the second batch waited for the first one's Retry-After"
        assert len(calls(tenant, "graph.batch")) == 25, "each item sent once"

    async def test_paging_is_followed(self, tenant: Any, graph: Any, seed: Any) -> None:
        paged = GraphDirectory(graph, page_size=2)
        group = seed.license_groups[0]
        assert len(group.member_ids) > 4
        assert sorted(await paged.group_member_ids(group.id)) == sorted(group.member_ids)
        assert len(calls(tenant, "graph", f"/groups/{group.id}/members")) == (len(group.member_ids) + 1) // 2
        found = await paged.find_users("a", limit=5)
        assert len(found) == 5 and len({u.id for u in found}) == 5


@pytest.mark.devtenant_only("retries, throttling and paging are InvokeCommand transport")
class TestHttpExchange:
    async def test_cmdlet_outside_the_allow_list_makes_no_call(
        self, tenant: Any, exchange: ExchangeClient
    ) -> None:
        before = len(tenant.state.call_log)
        with pytest.raises(CmdletNotAllowed):
            await exchange.invoke("Set-OrganizationConfig", {"AuditDisabled": True})
        assert len(tenant.state.call_log) == before

    async def test_throttled_twice_then_success(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        await exchange.invoke("Get-DistributionGroup", {"Identity": seed.open_list.alias})
        before = len(calls(tenant, "exchange"))
        tenant.faults.set("exchange", status=429, retry_after=1, times=2)
        started = time.monotonic()
        result = await exchange.invoke("Get-DistributionGroup", {"Identity": seed.open_list.alias})
        assert [row["Alias"] for row in result.values] == [seed.open_list.alias]
        assert len(calls(tenant, "exchange")) - before == 3
        assert time.monotonic() - started >= 1.9  # Retry-After honoured twice

    async def test_outage_ends_in_transient_error_after_bounded_attempts(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        await exchange.invoke("Get-DistributionGroup", {"Identity": seed.open_list.alias})
        before = len(calls(tenant, "exchange"))
        tenant.faults.set("exchange", status=503, retry_after=0.01)
        with pytest.raises(TransientError) as info:
            await exchange.invoke("Get-DistributionGroup", {"Identity": seed.open_list.alias})
        assert info.value.status == 503
        assert len(calls(tenant, "exchange")) - before == EXCHANGE_MAX_ATTEMPTS

    async def test_select_and_paging(self, tenant: Any, exchange: ExchangeClient, seed: Any) -> None:
        result = await exchange.invoke(
            "Get-DistributionGroup", {"ResultSize": "Unlimited"}, select=("Alias", "PrimarySmtpAddress")
        )
        assert sorted(row["Alias"] for row in result.values) == sorted(
            dl.alias for dl in seed.distribution_lists
        )

    async def test_pages_are_followed_with_the_same_body(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        paged = ExchangeClient(
            tenant.exchange_base_url,
            tenant.tenant_id,
            exchange._credentials,  # noqa: SLF001  (same credentials and session, smaller pages)
            session=exchange._session,  # noqa: SLF001
            page_size=7,
        )
        result = await paged.invoke("Get-DistributionGroup", {"ResultSize": "Unlimited"}, select=("Alias",))
        assert sorted(row["Alias"] for row in result.values) == sorted(
            dl.alias for dl in seed.distribution_lists
        )
        pages = [c for c in calls(tenant, "exchange") if c.cmdlet == "Get-DistributionGroup"]
        assert len(pages) == -(-len(seed.distribution_lists) // 7)

    async def test_a_mailbox_anchor_is_accepted(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        result = await exchange.invoke(
            "Get-DistributionGroupMember",
            {"Identity": seed.closed_list.alias, "ResultSize": "Unlimited"},
            select=("ExternalDirectoryObjectId",),
            anchor=seed.list_owner.mail,
        )
        assert sorted(row["ExternalDirectoryObjectId"] for row in result.values) == sorted(
            seed.closed_list.member_ids
        )


class _BadTokens:
    """Credentials that hand out a token the services will not accept."""

    async def token(self, scope: str) -> str:
        return "not-a-jwt"


@pytest.mark.devtenant_only("token and authority failures exist only over HTTP")
class TestHttpFailures:
    async def test_token_endpoint_outage_is_transient_then_recovers(
        self, tenant: Any, credentials: Any
    ) -> None:
        # Retry-After 0 so msal's own throttling cache does not replay the 503 to the second call.
        tenant.faults.set("token", status=503, retry_after=0, times=1, path_contains="/token")
        with pytest.raises(TransientError):
            await credentials.token("https://graph.microsoft.com/.default")
        assert await credentials.token("https://graph.microsoft.com/.default")

    async def test_token_endpoint_throttling_is_transient(self, tenant: Any, credentials: Any) -> None:
        tenant.faults.set("token", status=429, retry_after=0, times=1, path_contains="/token")
        with pytest.raises(TransientError):
            await credentials.token("https://graph.microsoft.com/.default")

    async def test_unreachable_authority_is_transient(self) -> None:
        nowhere = MsalCredentials(
            "https://127.0.0.1:9/tenant", "client", "secret", validate_authority=False, timeout=2
        )
        try:
            with pytest.raises(TransientError):
                await nowhere.token("https://graph.microsoft.com/.default")
        finally:
            nowhere.close()

    async def test_unknown_tenant_is_permission_denied(self, tenant: Any) -> None:
        elsewhere = MsalCredentials(
            f"{tenant.authority_host}/00000000-0000-0000-0000-0000000000aa",
            tenant.client_id,
            tenant.client_secret,
            ca_bundle=tenant.ca_pem_path,
            validate_authority=False,
        )
        try:
            with pytest.raises(PermissionDenied):
                await elsewhere.token("https://graph.microsoft.com/.default")
        finally:
            elsewhere.close()

    async def test_graph_rejecting_the_token_is_permission_denied(self, tenant: Any, seed: Any) -> None:
        graph = build_graph(_BadTokens(), tenant.graph_base_url, ca_bundle=tenant.ca_pem_path)  # type: ignore[arg-type]
        try:
            with pytest.raises(PermissionDenied) as info:
                await GraphDirectory(graph).get_user(seed.demo_employee.id)
        finally:
            await graph.aclose()
        assert info.value.status == 401

    async def test_exchange_rejecting_the_token_is_permission_denied(
        self, tenant: Any, exchange_session: Any, seed: Any
    ) -> None:
        client = ExchangeClient(
            tenant.exchange_base_url,
            tenant.tenant_id,
            _BadTokens(),
            session=exchange_session,  # type: ignore[arg-type]
        )
        with pytest.raises(PermissionDenied) as info:
            await client.invoke("Get-DistributionGroup", {"Identity": seed.open_list.alias})
        assert info.value.status == 401
        assert len(calls(tenant, "exchange")) == 1  # never retried


@pytest.mark.devtenant_only("reads devtenant's sign-in records, request counts and app roles")
class TestHttpLicenseHolders:
    """What the report's one read costs and what it carries from signInActivity (AuditLog.Read.All)."""

    async def test_sign_in_activity_is_the_last_successful_sign_in(self, tenant: Any, licenses: GraphLicenses) -> None:
        holders = await licenses.license_holders()
        state = tenant.state
        never = stale = failed_lately = 0
        for holder in holders:
            activity = state.users[holder.id]["signInActivity"]
            if activity is None:
                assert holder.last_successful_sign_in is None
                never += 1
                continue
            expected = datetime.fromisoformat(activity["lastSuccessfulSignInDateTime"].replace("Z", "+00:00"))
            assert holder.last_successful_sign_in == expected
            age = state.reference_time - expected
            stale += age > timedelta(days=90)
            # A recent failed attempt does not count as a sign-in.
            failed_lately += activity["lastSignInDateTime"] != activity["lastSuccessfulSignInDateTime"]
        assert never >= 1 and failed_lately >= 1
        assert 0.05 <= stale / len(holders) <= 0.2  # ~10 % older than 90 days, as seeded

    async def test_one_request_per_999_users(self, tenant: Any, licenses: GraphLicenses) -> None:
        tenant.state.add_generated_users(1500)  # unlicensed: read, then left out
        before = [c for c in calls(tenant, "graph") if c.path == "/v1.0/users"]
        holders = await licenses.license_holders()
        pages = [c for c in calls(tenant, "graph") if c.path == "/v1.0/users"][len(before):]
        assert len(pages) == -(-len(tenant.state.users) // 999) == 2
        assert all("signInActivity" in c.query for c in pages)
        assert len(calls(tenant, "graph", "/subscribedSkus")) == 1  # plan names, once
        assert all(h.licenses for h in holders)

    async def test_without_audit_log_permission_graph_refuses(self, tenant: Any, licenses: GraphLicenses) -> None:
        roles = tenant.state.apps[tenant.client_id].roles[GRAPH_RESOURCE]
        roles.remove("AuditLog.Read.All")
        with pytest.raises(PermissionDenied):
            await licenses.license_holders()
        assert await licenses.list_skus()  # the rest of the app's rights are untouched

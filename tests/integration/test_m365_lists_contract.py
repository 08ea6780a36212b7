"""Contract tests of the list-management half of DistributionLists and of Recipients, against both implementations
(m365_fixtures: devtenant over HTTPS, and the in-memory tenant).

``ListManagementContract`` and ``RecipientsContract`` speak only the ports and the seed; ``TestHttpExchangeBatching``
checks through the emulator's call log what only the HTTP implementation shows: how many $batch requests carry how
many cmdlets, and per-item retries (devtenant alone).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from m365_fixtures import EXCHANGE_MAX_ATTEMPTS

from m365.distribution_lists import ExchangeDistributionLists
from m365.errors import AddressInUse, CmdletNotAllowed, DirSynced, M365Error, NotFound, Throttled, TransientError
from m365.exchange import BATCH_LIMIT, ExchangeClient, ExchangeResult
from m365.ports import DistributionLists, ListChanges, MemberChange, NewDistributionList, Recipients

# Fixtures: tenant_impl, seed, distribution_lists, recipients; tenant, credentials, exchange.
pytest_plugins = ["m365_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="module")


def _new(seed: Any, **overrides: Any) -> NewDistributionList:
    values: dict[str, Any] = {
        "name": "Project Nova", "alias": "nova", "primary_smtp_address": f"nova@{seed.domain}",
        "display_name": "Project Nova team", "owners": (seed.list_owner.mail,),
        "members": (seed.demo_employee.mail, seed.demo_admin.mail), "description": "People working on Nova",
        "member_join_restriction": "Open", "member_depart_restriction": "Closed", "accepts_external_senders": True,
    }
    return NewDistributionList(**{**values, **overrides})


def _mail_of(seed: Any, user_id: str) -> str:
    return next(u.mail for u in seed.users if u.id == user_id)


class ListManagementContract:
    async def test_all_lists_has_every_list_with_owners_and_settings(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        lists = {dl.identity: dl for dl in await distribution_lists.all_lists()}
        assert set(lists) == {dl.id for dl in seed.distribution_lists}
        closed = lists[seed.closed_list.id]
        assert closed.managed_by == (seed.list_owner.mail,) and closed.accepts_external_senders is False
        assert lists[seed.dir_synced_list.id].is_dir_synced is True
        assert all(dl.changed_at is not None and dl.changed_at < datetime.now(UTC) for dl in lists.values())

    async def test_list_ids(self, distribution_lists: DistributionLists, seed: Any) -> None:
        assert await distribution_lists.list_ids() == {dl.id for dl in seed.distribution_lists}

    async def test_create_reads_the_list_back(self, distribution_lists: DistributionLists, seed: Any) -> None:
        created = await distribution_lists.create_list(_new(seed))
        assert created.identity and created.identity not in {dl.id for dl in seed.distribution_lists}
        assert (created.name, created.alias, created.primary_smtp_address, created.display_name) == (
            "Project Nova", "nova", f"nova@{seed.domain}", "Project Nova team")
        assert created.managed_by == (seed.list_owner.mail,) and created.description == "People working on Nova"
        assert (created.member_join_restriction, created.member_depart_restriction) == ("Open", "Closed")
        assert created.accepts_external_senders is True and created.is_dir_synced is False
        members = await distribution_lists.members(created.identity)
        assert {m.primary_smtp_address for m in members} == {seed.demo_employee.mail, seed.demo_admin.mail}
        assert created.identity in await distribution_lists.list_ids()

    async def test_create_with_a_taken_address_is_address_in_use(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        for taken in (seed.open_list.primary_smtp_address, seed.demo_employee.mail):
            with pytest.raises(AddressInUse) as info:
                await distribution_lists.create_list(_new(seed, primary_smtp_address=taken))
            assert taken in info.value.message
        assert await distribution_lists.get_list("nova") is None

    async def test_create_needs_an_owner(self, distribution_lists: DistributionLists, seed: Any) -> None:
        with pytest.raises(M365Error):
            await distribution_lists.create_list(_new(seed, owners=()))
        with pytest.raises(NotFound):
            await distribution_lists.create_list(_new(seed, owners=(f"ghost@{seed.domain}",)))
        assert await distribution_lists.get_list("nova") is None

    async def test_changed_since_returns_only_lists_changed_after(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        since = datetime.now(UTC) - timedelta(seconds=1)
        assert await distribution_lists.all_lists(since) == []
        await distribution_lists.update_list(seed.open_list.alias, ListChanges(display_name="Open, renamed"))
        created = await distribution_lists.create_list(_new(seed))
        changed = await distribution_lists.all_lists(since)
        assert {dl.identity for dl in changed} == {seed.open_list.id, created.identity}
        assert all(dl.changed_at is not None and dl.changed_at >= since.replace(microsecond=0) for dl in changed)

    async def test_update_changes_settings_and_owners(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        closed = seed.closed_list
        await distribution_lists.update_list(closed.id, ListChanges(
            display_name="Closed, renamed", description="What it is for", add_owners=(seed.demo_admin.mail,),
            member_join_restriction="ApprovalRequired", member_depart_restriction="Closed",
            accepts_external_senders=True))
        dl = await distribution_lists.get_list(closed.id)
        assert dl is not None
        assert (dl.display_name, dl.description) == ("Closed, renamed", "What it is for")
        assert dl.managed_by == (seed.list_owner.mail, seed.demo_admin.mail)
        assert (dl.member_join_restriction, dl.member_depart_restriction) == ("ApprovalRequired", "Closed")
        assert dl.accepts_external_senders is True
        await distribution_lists.update_list(closed.alias, ListChanges(
            remove_owners=(seed.list_owner.mail,), description="", accepts_external_senders=False))
        dl = await distribution_lists.get_list(closed.id)
        assert dl is not None and dl.managed_by == (seed.demo_admin.mail,)
        assert dl.description == "" and dl.accepts_external_senders is False
        assert dl.display_name == "Closed, renamed"  # what was not named stays

    async def test_update_refuses_dir_synced_lists_and_the_last_owner(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        with pytest.raises(DirSynced):
            await distribution_lists.update_list(seed.dir_synced_list.alias, ListChanges(display_name="x"))
        with pytest.raises(M365Error):
            await distribution_lists.update_list(seed.closed_list.alias,
                                                 ListChanges(remove_owners=(seed.list_owner.mail,)))
        with pytest.raises(NotFound):
            await distribution_lists.update_list(f"no-such-list@{seed.domain}", ListChanges(display_name="x"))
        dl = await distribution_lists.get_list(seed.closed_list.alias)
        assert dl is not None and dl.managed_by == (seed.list_owner.mail,)

    async def test_delete_is_idempotent(self, distribution_lists: DistributionLists, seed: Any) -> None:
        assert await distribution_lists.delete_list(seed.closed_list.alias) is True
        assert await distribution_lists.get_list(seed.closed_list.id) is None
        assert await distribution_lists.delete_list(seed.closed_list.alias) is False
        assert seed.closed_list.id not in await distribution_lists.list_ids()
        with pytest.raises(DirSynced):
            await distribution_lists.delete_list(seed.dir_synced_list.alias)

    async def test_replace_members(self, distribution_lists: DistributionLists, seed: Any) -> None:
        dl = seed.closed_list
        wanted = [seed.demo_employee.mail, _mail_of(seed, dl.member_ids[0])]
        await distribution_lists.replace_members(dl.alias, wanted)
        assert sorted(m.primary_smtp_address for m in await distribution_lists.members(dl.id)) == sorted(wanted)
        await distribution_lists.replace_members(dl.alias, [])
        assert await distribution_lists.members(dl.id) == []

    async def test_add_members_reports_each_member(self, distribution_lists: DistributionLists, seed: Any) -> None:
        dl = seed.closed_list
        present = _mail_of(seed, dl.member_ids[0])
        wanted = [seed.demo_employee.mail, present, f"ghost@{seed.domain}", seed.demo_admin.mail,
                  seed.demo_employee.mail]
        outcomes = await distribution_lists.add_members(dl.alias, wanted)
        assert outcomes[:2] == [MemberChange.ADDED, MemberChange.ALREADY_PRESENT]
        assert isinstance(outcomes[2], NotFound) and "ghost@" in outcomes[2].message
        assert outcomes[3:] == [MemberChange.ADDED, MemberChange.ALREADY_PRESENT]  # a repeat in one request
        members = {m.primary_smtp_address for m in await distribution_lists.members(dl.id)}
        assert {seed.demo_employee.mail, seed.demo_admin.mail, present} <= members

    async def test_remove_members_reports_each_member(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        dl = seed.closed_list
        member = _mail_of(seed, dl.member_ids[0])
        outcomes = await distribution_lists.remove_members(
            dl.alias, [member, seed.demo_employee.mail, f"ghost@{seed.domain}"])
        assert outcomes == [MemberChange.REMOVED, MemberChange.NOT_PRESENT, MemberChange.NOT_PRESENT]
        assert member not in {m.primary_smtp_address for m in await distribution_lists.members(dl.id)}

    async def test_member_changes_on_missing_or_dir_synced_lists_are_errors(
        self, distribution_lists: DistributionLists, seed: Any
    ) -> None:
        missing = f"no-such-list@{seed.domain}"
        for outcome in (await distribution_lists.add_members(missing, [seed.demo_employee.mail])
                        + await distribution_lists.remove_members(missing, [seed.demo_employee.mail])):
            assert isinstance(outcome, NotFound)
        [synced] = await distribution_lists.add_members(seed.dir_synced_list.alias, [seed.demo_employee.mail])
        assert isinstance(synced, DirSynced)
        assert await distribution_lists.add_members(seed.open_list.alias, []) == []


class RecipientsContract:
    async def test_a_person_by_primary_or_proxy_address(self, recipients: Recipients, seed: Any) -> None:
        anna = seed.demo_employee
        for identity in (anna.mail, anna.mail.upper(), f"{anna.mail_nickname}@contoso.onmicrosoft.com", anna.id):
            found = await recipients.get_recipient(identity)
            assert found is not None, identity
            assert (found.primary_smtp_address, found.recipient_type_details) == (anna.mail, "UserMailbox")
            assert found.external_directory_object_id == anna.id and found.display_name == anna.display_name

    async def test_a_list_and_a_dir_synced_list(self, recipients: Recipients, seed: Any) -> None:
        found = await recipients.get_recipient(seed.open_list.primary_smtp_address)
        assert found is not None and found.recipient_type_details == "MailUniversalDistributionGroup"
        assert found.external_directory_object_id == seed.open_list.id and found.is_dir_synced is False
        synced = await recipients.get_recipient(seed.dir_synced_list.primary_smtp_address)
        assert synced is not None and synced.is_dir_synced is True

    async def test_a_free_address_is_none(self, recipients: Recipients, seed: Any) -> None:
        assert await recipients.get_recipient(f"free-address@{seed.domain}") is None
        assert await recipients.get_recipient("  ") is None
        assert await recipients.get_recipient(f"fr*@{seed.domain}") is None  # '*' is no wildcard here

    async def test_many_at_once_answer_in_order(self, recipients: Recipients, seed: Any) -> None:
        people = [u.mail for u in seed.users if u.account_enabled][:12]
        asked = [people[0], f"free-address@{seed.domain}", *people[1:], people[0]]
        found = await recipients.get_recipients(asked)
        assert [r.primary_smtp_address.lower() if r else None for r in found] == [
            people[0].lower(), None, *(p.lower() for p in people[1:]), people[0].lower()]


class TestListManagement(ListManagementContract):
    pass


class TestRecipients(RecipientsContract):
    async def test_a_shared_mailbox(self, recipients: Recipients, seed: Any) -> None:
        helpdesk = seed.helpdesk_mailbox
        found = await recipients.get_recipient(helpdesk.primary_smtp_address)
        assert found is not None and found.recipient_type_details == "SharedMailbox"
        assert found.external_directory_object_id == helpdesk.id


def _calls(tenant: Any, service: str) -> list[Any]:
    return tenant.state.calls(service)


@pytest.mark.devtenant_only("counts $batch requests and per-item retries in the emulator's call log")
class TestHttpExchangeBatching:
    async def test_members_go_ten_per_request(
        self, tenant: Any, distribution_lists: ExchangeDistributionLists, seed: Any
    ) -> None:
        people = [_mail_of(seed, u.id) for u in seed.users if u.id not in seed.open_list.member_ids][:25]
        tenant.state.reset_call_log()
        outcomes = await distribution_lists.add_members(seed.open_list.alias, people)
        assert outcomes == [MemberChange.ADDED] * 25
        assert len(_calls(tenant, "exchange")) == 3 == -(-25 // BATCH_LIMIT)
        assert [c.cmdlet for c in _calls(tenant, "exchange.batch")] == ["Add-DistributionGroupMember"] * 25

    async def test_throttled_reads_are_sent_again(self, tenant: Any, exchange: ExchangeClient, seed: Any) -> None:
        tenant.state.reset_call_log()
        tenant.faults.set("exchange", status=429, retry_after=0.2, times=2, path_contains="/InvokeCommand")
        results = await exchange.invoke_batch(
            [("Get-DistributionGroup", {"Identity": dl.alias}) for dl in seed.distribution_lists[:3]])
        assert all(isinstance(r, ExchangeResult) for r in results)
        items = _calls(tenant, "exchange.batch")
        assert [c.status for c in items] == [429, 429, 200, 200, 200]
        assert len(_calls(tenant, "exchange")) == 2  # the batch, then one with the two throttled items

    async def test_throttled_changes_are_sent_once(
        self, tenant: Any, distribution_lists: ExchangeDistributionLists, seed: Any
    ) -> None:
        # A change is the job runner's to send again (after re-reading), never the client's.
        people = [seed.demo_employee.mail, seed.demo_admin.mail, seed.list_owner.mail]
        tenant.state.reset_call_log()
        tenant.faults.set("exchange", status=429, retry_after=0.2, times=2, path_contains="/InvokeCommand")
        outcomes = await distribution_lists.add_members(seed.open_list.alias, people)
        assert isinstance(outcomes[0], Throttled) and isinstance(outcomes[1], Throttled)
        assert outcomes[2] == MemberChange.ADDED
        assert [c.status for c in _calls(tenant, "exchange.batch")] == [429, 429, 200]
        assert len(_calls(tenant, "exchange")) == 1

    async def test_a_whole_batch_of_reads_failing_transiently_is_retried(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        tenant.state.reset_call_log()
        tenant.faults.set("exchange", status=503, retry_after=0.01, times=1)
        [result] = await exchange.invoke_batch([("Get-DistributionGroup", {"Identity": seed.open_list.alias})])
        assert isinstance(result, ExchangeResult)
        assert [c.status for c in _calls(tenant, "exchange")] == [503, 200]

    async def test_a_whole_batch_of_changes_failing_transiently_is_sent_once(
        self, tenant: Any, distribution_lists: ExchangeDistributionLists, seed: Any
    ) -> None:
        tenant.state.reset_call_log()
        tenant.faults.set("exchange", status=503, retry_after=0.01, times=1)
        [outcome] = await distribution_lists.add_members(seed.open_list.alias, [seed.demo_employee.mail])
        assert isinstance(outcome, TransientError) and outcome.status == 503
        assert [c.status for c in _calls(tenant, "exchange")] == [503]

    async def test_throttled_for_good_ends_in_throttled_outcomes(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        tenant.state.reset_call_log()
        tenant.faults.set("exchange", status=429, retry_after=0.01, path_contains="/InvokeCommand")
        outcomes = await exchange.invoke_batch([("Get-DistributionGroup", {"Identity": seed.open_list.alias})] * 2)
        assert all(isinstance(o, Throttled) for o in outcomes)
        assert len(_calls(tenant, "exchange.batch")) == 2 * EXCHANGE_MAX_ATTEMPTS

    async def test_invoke_batch_keeps_the_allow_list(self, tenant: Any, exchange: ExchangeClient) -> None:
        tenant.state.reset_call_log()
        with pytest.raises(CmdletNotAllowed):
            await exchange.invoke_batch([("Get-DistributionGroup", {}), ("Set-OrganizationConfig", {})])
        assert tenant.state.call_log == []

    async def test_invoke_batch_returns_reads_with_select(
        self, tenant: Any, exchange: ExchangeClient, seed: Any
    ) -> None:
        results = await exchange.invoke_batch(
            [("Get-DistributionGroup", {"Identity": dl.alias}) for dl in seed.distribution_lists[:12]]
            + [("Get-DistributionGroup", {"Identity": "no-such-list"})],
            select=("Alias",),
        )
        assert [r.values for r in results[:12] if isinstance(r, ExchangeResult)] == [
            [{"Alias": dl.alias}] for dl in seed.distribution_lists[:12]]
        assert isinstance(results[12], NotFound)

    async def test_owner_names_are_resolved_in_batches(
        self, tenant: Any, distribution_lists: ExchangeDistributionLists, seed: Any
    ) -> None:
        # Real Exchange answers ManagedBy with recipient names; make the emulator do so for every list.
        for group in tenant.state.exo_groups.values():
            group["ManagedBy"] = [tenant.state.find_user(o)["mailNickname"] for o in group["ManagedBy"]]
        tenant.state.reset_call_log()
        lists = {dl.identity: dl for dl in await distribution_lists.all_lists()}
        assert lists[seed.closed_list.id].managed_by == (seed.list_owner.mail,)
        owners = {o for dl in lists.values() for o in dl.managed_by}
        assert all("@" in o for o in owners)
        lookups = [c for c in _calls(tenant, "exchange.batch") if c.cmdlet == "Get-Recipient"]
        assert len(lookups) == len(owners)  # each distinct owner once
        assert len(_calls(tenant, "exchange")) == 1 + -(-len(owners) // BATCH_LIMIT)

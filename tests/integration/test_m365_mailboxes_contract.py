"""Contract tests of the Mailboxes port against both implementations (m365_fixtures: m365/mailboxes.py against
the devtenant emulator over HTTPS, and the in-memory tenant).

``TestMailboxesContract`` speaks only the port and the seed; ``TestHttpMailboxes`` checks what only the cmdlet
implementation shows (which cmdlets and parameters reach Exchange, paging) through the emulator's state and call
log, against devtenant alone.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest

from devtenant import DevTenant, Seed
from m365.credentials import MsalCredentials
from m365.errors import AddressInUse, DirSynced, NotFound
from m365.exchange import ExchangeClient
from m365.mailboxes import ExchangeMailboxes
from m365.ports import Access, Mailboxes, MemberChange, NewSharedMailbox

pytest_plugins = ["m365_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="module")


def _expected_delegates(seed: Seed, alias: str) -> set[tuple[Access, str]]:
    mailbox = seed.mailbox(alias)
    mail = {u.id: u.mail for u in seed.users}
    return ({(Access.FULL_ACCESS, mail[u]) for u in mailbox.full_access_ids()}
            | {(Access.SEND_AS, mail[u]) for u in mailbox.send_as}
            | {(Access.SEND_ON_BEHALF, mail[u]) for u in mailbox.send_on_behalf})


class TestMailboxesContract:
    async def test_get_mailbox_by_any_identity_and_only_shared(self, mailboxes: Mailboxes, seed: Seed) -> None:
        helpdesk = seed.helpdesk_mailbox
        for identity in (helpdesk.id, helpdesk.alias, helpdesk.primary_smtp_address.upper(), helpdesk.name):
            found = await mailboxes.get_mailbox(identity)
            assert found is not None and found.identity == helpdesk.id
        assert found.name == "Helpdesk" and found.alias == "helpdesk" and found.display_name == "Helpdesk"
        assert found.primary_smtp_address == "helpdesk@contoso.com" and not found.is_dir_synced
        assert found.changed_at is not None and found.changed_at.tzinfo is not None
        assert await mailboxes.get_mailbox(seed.demo_employee.mail) is None  # a person's mailbox is not shared
        assert await mailboxes.get_mailbox("nothing-here@contoso.com") is None
        assert await mailboxes.get_mailbox("  ") is None
        synced = await mailboxes.get_mailbox(seed.dir_synced_mailbox.alias)
        assert synced is not None and synced.is_dir_synced

    async def test_find_and_list_shared_mailboxes(self, mailboxes: Mailboxes, seed: Seed) -> None:
        assert [m.alias for m in await mailboxes.find_mailboxes("Sales")] == ["sales-inbox"]
        assert [m.alias for m in await mailboxes.find_mailboxes("invoices@")] == ["invoices"]
        assert len(await mailboxes.find_mailboxes("", limit=2)) == 2
        assert await mailboxes.find_mailboxes("anna") == []  # people are not shared mailboxes
        everything = await mailboxes.all_shared_mailboxes()
        assert {m.identity for m in everything} == {m.id for m in seed.shared_mailboxes}
        assert await mailboxes.mailbox_ids() == {m.id for m in seed.shared_mailboxes}

    async def test_changed_since_sees_changes_made_after_the_cursor(self, mailboxes: Mailboxes, seed: Seed) -> None:
        everything = await mailboxes.all_shared_mailboxes()
        cursor = max(m.changed_at for m in everything if m.changed_at) + timedelta(seconds=1)
        assert await mailboxes.all_shared_mailboxes(changed_since=cursor) == []
        await mailboxes.grant("invoices", Access.SEND_AS, seed.demo_employee.mail)
        changed = await mailboxes.all_shared_mailboxes(changed_since=cursor)
        assert [m.alias for m in changed] == ["invoices"] and changed[0].changed_at >= cursor

    async def test_delegates_are_the_explicit_holders_by_address(self, mailboxes: Mailboxes, seed: Seed) -> None:
        for alias in ("sales-inbox", "helpdesk", "invoices", "recruiting", "info"):
            delegates = await mailboxes.delegates(alias)
            assert {(d.access, d.primary_smtp_address) for d in delegates} == _expected_delegates(seed, alias), alias
        sales = await mailboxes.delegates(seed.sales_mailbox.primary_smtp_address)
        anna = seed.demo_employee
        mine = [d for d in sales if d.primary_smtp_address == anna.mail]
        assert {d.access for d in mine} == {Access.FULL_ACCESS, Access.SEND_ON_BEHALF}
        assert all(d.display_name == anna.display_name and d.external_directory_object_id == anna.id for d in mine)

    async def test_grant_and_revoke_are_idempotent_for_every_access(self, mailboxes: Mailboxes, seed: Seed) -> None:
        lena = seed.list_owner.mail
        for access in Access:
            assert await mailboxes.grant("helpdesk", access, lena) == MemberChange.ADDED, access
            assert await mailboxes.grant("helpdesk", access, lena) == MemberChange.ALREADY_PRESENT, access
            assert (access, lena) in {(d.access, d.primary_smtp_address) for d in await mailboxes.delegates("helpdesk")}
            assert await mailboxes.revoke("helpdesk", access, lena) == MemberChange.REMOVED, access
            assert await mailboxes.revoke("helpdesk", access, lena) == MemberChange.NOT_PRESENT, access
        assert not any(d.primary_smtp_address == lena for d in await mailboxes.delegates("helpdesk"))
        # Someone who does not exist holds nothing: revoking is done, granting is an error.
        assert await mailboxes.revoke("helpdesk", Access.FULL_ACCESS, "gone@contoso.com") == MemberChange.NOT_PRESENT
        with pytest.raises(NotFound):
            await mailboxes.grant("helpdesk", Access.SEND_AS, "gone@contoso.com")
        with pytest.raises(NotFound):
            await mailboxes.revoke("no-such-mailbox@contoso.com", Access.SEND_AS, lena)

    async def test_dir_synced_mailbox_is_refused(self, mailboxes: Mailboxes, seed: Seed) -> None:
        for access in Access:
            with pytest.raises(DirSynced):
                await mailboxes.grant(seed.dir_synced_mailbox.alias, access, seed.demo_employee.mail)
        with pytest.raises(DirSynced):
            await mailboxes.delete_mailbox(seed.dir_synced_mailbox.id)

    async def test_create_and_delete(self, mailboxes: Mailboxes, seed: Seed) -> None:
        new = NewSharedMailbox(name="Payroll Team", alias="payroll", primary_smtp_address="payroll@contoso.com",
                               display_name="Payroll")
        created = await mailboxes.create_shared(new)
        assert (created.name, created.alias, created.display_name, created.primary_smtp_address) == (
            "Payroll Team", "payroll", "Payroll", "payroll@contoso.com")
        assert created.identity and (await mailboxes.get_mailbox(created.identity)) == created
        assert await mailboxes.delegates(created.identity) == []
        for taken in ("payroll@contoso.com", seed.demo_employee.mail, seed.closed_list.primary_smtp_address):
            with pytest.raises(AddressInUse):
                await mailboxes.create_shared(NewSharedMailbox("Other", "other", taken, "Other"))
        assert await mailboxes.delete_mailbox("payroll@contoso.com") is True
        assert await mailboxes.delete_mailbox("payroll@contoso.com") is False
        assert await mailboxes.get_mailbox(created.identity) is None
        assert created.identity not in await mailboxes.mailbox_ids()

    async def test_delete_never_touches_a_persons_mailbox(self, mailboxes: Mailboxes, seed: Seed) -> None:
        assert await mailboxes.delete_mailbox(seed.demo_employee.mail) is False


@pytest.mark.devtenant_only("checks the cmdlets, parameters and pages that reach the emulator")
class TestHttpMailboxes:
    async def test_grants_send_exchanges_parameters(self, mailboxes: ExchangeMailboxes, tenant: DevTenant) -> None:
        seed = tenant.seed
        anna = seed.demo_employee
        assert await mailboxes.grant("helpdesk", Access.FULL_ACCESS, anna.mail, auto_mapping=False) == (
            MemberChange.ADDED)
        assert await mailboxes.grant("invoices", Access.FULL_ACCESS, anna.mail) == MemberChange.ADDED
        helpdesk_aces = tenant.state.mailbox_permissions[seed.helpdesk_mailbox.id]
        invoices_aces = tenant.state.mailbox_permissions[seed.mailbox("invoices").id]
        assert helpdesk_aces[-1] == {"User": anna.id, "AccessRights": ["FullAccess"], "InheritanceType": "All",
                                     "AutoMapping": False}
        assert invoices_aces[-1]["AutoMapping"] is True
        await mailboxes.grant("helpdesk", Access.SEND_ON_BEHALF, anna.mail)
        assert tenant.state.users[seed.helpdesk_mailbox.id]["exoGrantSendOnBehalfTo"][-1] == anna.id
        # Send on Behalf changes incrementally (a hashtable), never by overwriting the whole list.
        assert len(tenant.state.users[seed.helpdesk_mailbox.id]["exoGrantSendOnBehalfTo"]) == 2

    async def test_delegates_cost_three_reads_and_one_resolution_batch(
        self, mailboxes: ExchangeMailboxes, tenant: DevTenant
    ) -> None:
        tenant.state.reset_call_log()
        await mailboxes.delegates("sales-inbox")
        cmdlets = sorted(c.cmdlet or "$batch" for c in tenant.state.calls("exchange"))
        assert cmdlets == ["$batch", "Get-Mailbox", "Get-MailboxPermission", "Get-RecipientPermission"]
        assert len(tenant.state.calls("exchange.batch", cmdlet="Get-Recipient")) == 4  # distinct holders

    async def test_all_shared_mailboxes_follows_pages(
        self, tenant: DevTenant, credentials: MsalCredentials, exchange_session: aiohttp.ClientSession
    ) -> None:
        small_pages = ExchangeClient(tenant.exchange_base_url, tenant.tenant_id, credentials,
                                     session=exchange_session, page_size=2)
        tenant.state.reset_call_log()
        everything = await ExchangeMailboxes(small_pages).all_shared_mailboxes()
        assert len(everything) == 5
        assert len(tenant.state.calls("exchange", cmdlet="Get-Mailbox")) == 3

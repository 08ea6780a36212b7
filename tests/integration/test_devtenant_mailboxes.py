"""devtenant's shared mailboxes over InvokeCommand: Get/New/Set/Remove-Mailbox, Full Access, Send As, seeds."""

from __future__ import annotations

from typing import Any

import pytest

from devtenant import build_seed

pytestmark = pytest.mark.asyncio(loop_scope="module")

HASHTABLE = "#Exchange.GenericHashTable"
SELF = "NT AUTHORITY\\SELF"


def _detail(reply: Any) -> list[str]:
    """The 'ErrId|ExceptionType|text' detail of a failed cmdlet."""
    assert reply.status == 400, reply.body
    assert reply.body["error"]["message"] == "Error executing cmdlet"
    return reply.body["error"]["details"][0]["message"].split("|", 2)


async def _ok(tenant_client: Any, cmdlet: str, parameters: dict[str, Any], query: str = "") -> Any:
    reply = await tenant_client.exo(cmdlet, parameters, query=query)
    assert reply.status == 200, reply.body
    return reply.body


async def test_seed_has_shared_mailboxes_with_delegates() -> None:
    seed = build_seed()
    assert build_seed().shared_mailboxes == seed.shared_mailboxes  # deterministic
    assert len(seed.shared_mailboxes) == 5
    user_ids = {u.id for u in seed.users}
    assert all(m.id not in user_ids for m in seed.shared_mailboxes)  # not people: seed.users counts stay
    anna, jonas = seed.demo_employee, seed.demo_admin
    sales = seed.sales_mailbox
    assert (anna.id, True) in sales.full_access and anna.id in sales.send_on_behalf
    assert any(not auto for _, auto in sales.full_access) and sales.send_as  # Full Access without auto-mapping
    assert jonas.id in seed.helpdesk_mailbox.full_access_ids() and jonas.id in seed.helpdesk_mailbox.send_as
    assert anna.id not in seed.helpdesk_mailbox.full_access_ids()
    assert not (seed.empty_mailbox.full_access or seed.empty_mailbox.send_as or seed.empty_mailbox.send_on_behalf)
    assert [m.alias for m in seed.shared_mailboxes if m.is_dir_synced] == [seed.dir_synced_mailbox.alias]
    holders = {u for m in seed.shared_mailboxes for u in [*m.full_access_ids(), *m.send_as, *m.send_on_behalf]}
    assert holders <= user_ids


async def test_seeded_mailboxes_are_disabled_users_in_graph_and_shared_in_exchange(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    body = await _ok(tenant_client, "Get-Mailbox", {"RecipientTypeDetails": "SharedMailbox", "ResultSize": "Unlimited"})
    rows = {row["ExternalDirectoryObjectId"]: row for row in body["value"]}
    assert set(rows) == {m.id for m in seed.shared_mailboxes}
    sales = rows[seed.sales_mailbox.id]
    assert sales["Name"] == "Sales Team Inbox" and sales["PrimarySmtpAddress"] == "sales-inbox@contoso.com"
    assert sales["AccountDisabled"] is True and sales["IsDirSynced"] is False
    assert sales["GrantSendOnBehalfTo"] == [seed.demo_employee.mail.split("@")[0]]  # recipient Names, not addresses
    assert sales["WhenChangedUTC"].endswith("Z") and sales["WhenChanged"] == sales["WhenChangedUTC"][:-1]
    assert rows[seed.dir_synced_mailbox.id]["IsDirSynced"] is True
    graph = await tenant_client.graph("GET", f"/users/{seed.helpdesk_mailbox.id}?$select=accountEnabled,mail")
    assert graph.status == 200 and graph.body["accountEnabled"] is False
    assert graph.body["mail"] == seed.helpdesk_mailbox.primary_smtp_address
    everyone = await _ok(tenant_client, "Get-Mailbox", {"ResultSize": "Unlimited"},
                         query="?$select=RecipientTypeDetails")
    kinds = [row["RecipientTypeDetails"] for row in everyone["value"]]
    assert kinds.count("SharedMailbox") == 5 and kinds.count("UserMailbox") == len(seed.users)


async def test_get_mailbox_by_identity_anr_filter_and_result_size(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    helpdesk = seed.helpdesk_mailbox
    for identity in (helpdesk.id, helpdesk.alias.upper(), helpdesk.primary_smtp_address, "Helpdesk",
                     "helpdesk@contoso.onmicrosoft.com"):
        [row] = (await _ok(tenant_client, "Get-Mailbox", {"Identity": identity}))["value"]
        assert row["ExternalDirectoryObjectId"] == helpdesk.id
    missing = await tenant_client.exo("Get-Mailbox", {"Identity": "no-such-box@contoso.com"})
    err_id, kind, text = _detail(missing)
    assert err_id == "Ex6F9304" and kind.endswith("ManagementObjectNotFoundException")
    assert text.startswith("The operation couldn't be performed because object 'no-such-box@contoso.com'")
    anr = await _ok(tenant_client, "Get-Mailbox", {"Anr": "hel", "RecipientTypeDetails": "SharedMailbox"})
    assert [row["Alias"] for row in anr["value"]] == ["helpdesk"]
    await _ok(tenant_client, "Add-RecipientPermission", {"Identity": "invoices", "Trustee": seed.demo_employee.mail,
                                                         "AccessRights": "SendAs", "Confirm": False})
    changed = await _ok(tenant_client, "Get-Mailbox", {
        "RecipientTypeDetails": "SharedMailbox", "Filter": "WhenChangedUTC -gt '2025-01-01T00:00:00Z'"})
    assert [row["Alias"] for row in changed["value"]] == ["invoices"]  # seeded mailboxes changed long before
    limited = await _ok(tenant_client, "Get-Mailbox", {"RecipientTypeDetails": "SharedMailbox", "ResultSize": 2})
    assert len(limited["value"]) == 2 and limited["@adminapi.warnings"]
    exo = await _ok(tenant_client, "Get-EXOMailbox", {"Identity": "helpdesk", "PropertySets": ["Minimum", "Delivery"]})
    assert exo["value"][0]["GrantSendOnBehalfTo"] and "WhenChangedUTC" not in exo["value"][0]
    wrong = await tenant_client.exo("Get-Mailbox", {"Identity": "helpdesk", "SoftDeletedMailbox": True})
    assert _detail(wrong)[1] == "System.NotImplementedException"  # not silently ignored


async def test_new_shared_mailbox_and_its_documented_errors(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    body = await _ok(tenant_client, "New-Mailbox", {"Shared": True, "Name": "Payroll Team", "Alias": "payroll",
                                                    "DisplayName": "Payroll",
                                                    "PrimarySmtpAddress": "payroll@contoso.com"})
    [row] = body["value"]
    assert row["RecipientTypeDetails"] == "SharedMailbox" and row["Name"] == "Payroll Team"
    assert row["EmailAddresses"] == ["SMTP:payroll@contoso.com", "smtp:payroll@contoso.onmicrosoft.com"]
    user = tenant.state.users[row["ExternalDirectoryObjectId"]]
    assert user["accountEnabled"] is False and user["exoRecipientTypeDetails"] == "SharedMailbox"
    graph = await tenant_client.graph("GET", f"/users/{row['ExternalDirectoryObjectId']}?$select=displayName")
    assert graph.body["displayName"] == "Payroll"
    recipient = await _ok(tenant_client, "Get-Recipient", {"Identity": "payroll@contoso.com"})
    assert recipient["value"][0]["RecipientTypeDetails"] == "SharedMailbox"

    for taken, holder in (("payroll@contoso.com", "Payroll Team"), (tenant.seed.demo_employee.mail, None),
                          (tenant.seed.closed_list.primary_smtp_address, tenant.seed.closed_list.name)):
        clash = await tenant_client.exo("New-Mailbox", {"Shared": True, "Name": f"Other {taken}"[:60],
                                                        "Alias": "otherbox", "PrimarySmtpAddress": taken})
        text = _detail(clash)[2]
        assert text.startswith(f'The proxy address "SMTP:{taken}" is already being used by the proxy addresses or '
                               "LegacyExchangeDN of "), text
        assert text.endswith("Please choose another proxy address.")
        if holder:
            assert f'"{holder}"' in text
    foreign = await tenant_client.exo("New-Mailbox", {"Shared": True, "Name": "Foreign",
                                                      "PrimarySmtpAddress": "foreign@fabrikam.com"})
    assert "isn't an accepted domain" in _detail(foreign)[2]
    same_name = await tenant_client.exo("New-Mailbox", {"Shared": True, "Name": "Helpdesk", "Alias": "helpdesk2"})
    assert _detail(same_name)[2] == 'The name "Helpdesk" is already being used. Please try another name.'
    not_shared = await tenant_client.exo("New-Mailbox", {"Name": "Room 1", "Room": True})
    assert _detail(not_shared)[1] == "System.NotImplementedException"
    long_name = await tenant_client.exo("New-Mailbox", {"Shared": True, "Name": "x" * 65})
    assert "too long" in _detail(long_name)[2]


async def test_remove_mailbox_not_found_and_dir_synced(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    empty = seed.empty_mailbox
    await _ok(tenant_client, "Remove-Mailbox", {"Identity": empty.primary_smtp_address, "Confirm": False})
    assert empty.id not in tenant.state.users and empty.id in tenant.state.deleted_users  # soft-deleted in Entra
    graph = await tenant_client.graph("GET", f"/users/{empty.id}")
    assert graph.status == 404
    again = await tenant_client.exo("Remove-Mailbox", {"Identity": empty.primary_smtp_address, "Confirm": False})
    assert _detail(again)[1].endswith("ManagementObjectNotFoundException")
    synced = await tenant_client.exo("Remove-Mailbox", {"Identity": seed.dir_synced_mailbox.alias, "Confirm": False})
    err_id, kind, text = _detail(synced)
    assert "because the object is being synchronized from your on-premises organization" in text
    assert seed.dir_synced_mailbox.id in tenant.state.users
    # A removed mailbox takes its delegations along, and drops out of the ones it held elsewhere.
    await _ok(tenant_client, "Add-MailboxPermission", {"Identity": "helpdesk", "User": seed.sales_mailbox.alias,
                                                       "AccessRights": "FullAccess"})
    await _ok(tenant_client, "Remove-Mailbox", {"Identity": seed.sales_mailbox.alias, "Confirm": False})
    assert seed.sales_mailbox.id not in tenant.state.mailbox_permissions
    entries = (await _ok(tenant_client, "Get-MailboxPermission", {"Identity": "helpdesk"}))["value"]
    assert seed.sales_mailbox.primary_smtp_address not in [e["User"] for e in entries]


async def test_send_on_behalf_hashtable_list_and_errors(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    anna, lena = seed.demo_employee, seed.list_owner
    helpdesk = tenant.state.users[seed.helpdesk_mailbox.id]
    before = helpdesk["exoWhenChanged"]
    added = await _ok(tenant_client, "Set-Mailbox", {
        "Identity": "helpdesk", "GrantSendOnBehalfTo": {"@odata.type": HASHTABLE, "ADD": [anna.mail, lena.mail]}})
    assert "@adminapi.warnings" not in added and added["value"] == []
    assert helpdesk["exoGrantSendOnBehalfTo"][-2:] == [anna.id, lena.id]
    assert helpdesk["exoWhenChanged"] > before
    again = await _ok(tenant_client, "Set-Mailbox", {
        "Identity": "helpdesk", "GrantSendOnBehalfTo": {"@odata.type": HASHTABLE, "add": anna.user_principal_name}})
    assert again["@adminapi.warnings"] == [
        "The command completed successfully but no settings of 'Helpdesk' have been modified."]
    await _ok(tenant_client, "Set-Mailbox", {
        "Identity": "helpdesk", "GrantSendOnBehalfTo": {"@odata.type": HASHTABLE, "Remove": [lena.id]}})
    [row] = (await _ok(tenant_client, "Get-Mailbox", {"Identity": "helpdesk"}))["value"]
    assert "anna.kowalska" in row["GrantSendOnBehalfTo"] and "lena.schmidt" not in row["GrantSendOnBehalfTo"]
    await _ok(tenant_client, "Set-Mailbox", {"Identity": "helpdesk", "GrantSendOnBehalfTo": [lena.mail]})
    assert helpdesk["exoGrantSendOnBehalfTo"] == [lena.id]  # a plain list overwrites
    unknown = await tenant_client.exo("Set-Mailbox", {
        "Identity": "helpdesk", "GrantSendOnBehalfTo": {"@odata.type": HASHTABLE, "Add": ["nobody@contoso.com"]}})
    assert _detail(unknown)[2].startswith('Couldn\'t find object "nobody@contoso.com".')
    bad_key = await tenant_client.exo("Set-Mailbox", {
        "Identity": "helpdesk", "GrantSendOnBehalfTo": {"@odata.type": HASHTABLE, "Replace": [anna.mail]}})
    assert _detail(bad_key)[1] == "System.ArgumentException"
    synced = await tenant_client.exo("Set-Mailbox", {
        "Identity": "info", "GrantSendOnBehalfTo": {"@odata.type": HASHTABLE, "Add": [anna.mail]}})
    assert "synchronized from your on-premises organization" in _detail(synced)[2]


async def test_full_access_entries_warning_and_absent_ace_error(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    anna, lena = seed.demo_employee, seed.list_owner
    body = await _ok(tenant_client, "Get-MailboxPermission", {"Identity": "sales-inbox", "ResultSize": "Unlimited"})
    entries = body["value"]
    assert entries[0]["User"] == SELF and entries[0]["IsInherited"] is False
    explicit = [e for e in entries if not e["IsInherited"] and e["User"] != SELF]
    assert [e["User"] for e in explicit] == [tenant.state.users[u]["userPrincipalName"]
                                             for u in seed.sales_mailbox.full_access_ids()]
    assert all(e["AccessRights"] == ["FullAccess"] and e["InheritanceType"] == "All" and e["Deny"] is False
               for e in explicit)
    assert any(e["IsInherited"] and e["Deny"] for e in entries)  # the organization's inherited deny entries
    mailbox = tenant.state.users[seed.helpdesk_mailbox.id]
    before = mailbox["exoWhenChanged"]
    added = await _ok(tenant_client, "Add-MailboxPermission", {
        "Identity": "helpdesk", "User": anna.mail, "AccessRights": "FullAccess", "InheritanceType": "All",
        "AutoMapping": False, "Confirm": False})
    assert added["value"][0]["User"] == anna.user_principal_name and "@adminapi.warnings" not in added
    assert tenant.state.mailbox_permissions[mailbox["id"]][-1]["AutoMapping"] is False
    assert mailbox["exoWhenChanged"] > before
    await _ok(tenant_client, "Add-MailboxPermission", {"Identity": "helpdesk", "User": lena.mail,
                                                       "AccessRights": ["FullAccess"]})
    assert tenant.state.mailbox_permissions[mailbox["id"]][-1]["AutoMapping"] is True  # Exchange's default
    changed = mailbox["exoWhenChanged"]
    duplicate = await _ok(tenant_client, "Add-MailboxPermission", {
        "Identity": "helpdesk", "User": anna.mail, "AccessRights": "FullAccess", "AutoMapping": True})
    assert duplicate["@adminapi.warnings"] == [
        f'The appropriate access control entry is already present on the object "Helpdesk" for account '
        f'"{anna.user_principal_name}".']
    assert tenant.state.mailbox_permissions[mailbox["id"]][-2]["AutoMapping"] is False  # unchanged by a re-add
    assert mailbox["exoWhenChanged"] == changed
    only_anna = await _ok(tenant_client, "Get-MailboxPermission", {"Identity": "helpdesk", "User": anna.mail})
    assert [e["User"] for e in only_anna["value"]] == [anna.user_principal_name]
    await _ok(tenant_client, "Remove-MailboxPermission", {
        "Identity": "helpdesk", "User": anna.mail, "AccessRights": "FullAccess", "InheritanceType": "All",
        "Confirm": False})
    absent = await tenant_client.exo("Remove-MailboxPermission", {
        "Identity": "helpdesk", "User": anna.mail, "AccessRights": "FullAccess", "InheritanceType": "All",
        "Confirm": False})
    assert _detail(absent)[2] == (f'Can\'t remove the access control entry on the object "Helpdesk" for account '
                                  f'"{anna.user_principal_name}" because the ACE doesn\'t exist on the object.')
    send_as_right = await tenant_client.exo("Add-MailboxPermission", {"Identity": "helpdesk", "User": anna.mail,
                                                                      "AccessRights": "ChangeOwner"})
    assert _detail(send_as_right)[1] == "System.NotImplementedException"
    synced = await tenant_client.exo("Add-MailboxPermission", {"Identity": "info", "User": anna.mail,
                                                               "AccessRights": "FullAccess"})
    assert "synchronized from your on-premises organization" in _detail(synced)[2]


async def test_send_as_entries_duplicate_and_absent_are_warnings(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    anna, jonas = seed.demo_employee, seed.demo_admin
    body = await _ok(tenant_client, "Get-RecipientPermission", {"Identity": "helpdesk"})
    assert [e["Trustee"] for e in body["value"]] == [SELF, *(tenant.state.users[u]["userPrincipalName"]
                                                            for u in seed.helpdesk_mailbox.send_as)]
    assert all(e["AccessRights"] == ["SendAs"] and e["AccessControlType"] == "Allow" for e in body["value"])
    by_trustee = await _ok(tenant_client, "Get-RecipientPermission", {"Trustee": jonas.mail, "ResultSize": "Unlimited"})
    assert [e["Identity"] for e in by_trustee["value"]] == ["Helpdesk"]
    duplicate = await _ok(tenant_client, "Add-RecipientPermission", {
        "Identity": "helpdesk", "Trustee": jonas.mail, "AccessRights": "SendAs", "Confirm": False})
    assert duplicate["@adminapi.warnings"][0].startswith("The appropriate access control entry is already present")
    await _ok(tenant_client, "Add-RecipientPermission", {"Identity": "helpdesk", "Trustee": anna.mail,
                                                         "AccessRights": ["SendAs"], "Confirm": False})
    assert tenant.state.recipient_permissions[seed.helpdesk_mailbox.id][-1]["Trustee"] == anna.id
    removed = await _ok(tenant_client, "Remove-RecipientPermission", {
        "Identity": "helpdesk", "Trustee": anna.mail, "AccessRights": "SendAs", "Confirm": False})
    assert "@adminapi.warnings" not in removed
    absent = await _ok(tenant_client, "Remove-RecipientPermission", {
        "Identity": "helpdesk", "Trustee": anna.mail, "AccessRights": "SendAs", "Confirm": False})
    assert "because the ACE doesn't exist on the object" in absent["@adminapi.warnings"][0]
    wrong = await tenant_client.exo("Add-RecipientPermission", {"Identity": "helpdesk", "Trustee": anna.mail,
                                                                "AccessRights": "FullAccess"})
    assert wrong.status == 400

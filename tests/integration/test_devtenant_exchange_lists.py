"""devtenant's Exchange: creating, changing and deleting distribution groups, Get-Recipient, and the JSON $batch."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

HASHTABLE = "#Exchange.GenericHashTable"


def _detail(reply: Any) -> list[str]:
    """The 'ErrId|ExceptionType|text' detail of a failed cmdlet."""
    assert reply.status == 400, reply.body
    return reply.body["error"]["details"][0]["message"].split("|", 2)


def _new(tenant: Any, **overrides: Any) -> dict[str, Any]:
    seed = tenant.seed
    return {"Name": "Project Nova", "Alias": "nova", "PrimarySmtpAddress": f"nova@{seed.domain}",
            "ManagedBy": [seed.list_owner.mail], **overrides}


async def test_new_group_is_an_exchange_group_and_a_graph_group(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    reply = await tenant_client.exo("New-DistributionGroup", _new(
        tenant, DisplayName="Project Nova team", Members=[seed.demo_employee.mail], Description=["Nova people"],
        MemberJoinRestriction="Open", RequireSenderAuthenticationEnabled=False))
    assert reply.status == 200, reply.body
    [created] = reply.body["value"]
    assert (created["Name"], created["DisplayName"], created["PrimarySmtpAddress"]) == (
        "Project Nova", "Project Nova team", f"nova@{seed.domain}")
    assert created["ManagedBy"] == [seed.list_owner.mail] and created["Description"] == ["Nova people"]
    assert created["MemberJoinRestriction"] == "Open" and created["MemberDepartRestriction"] == "Open"
    assert created["RequireSenderAuthenticationEnabled"] is False and created["IsDirSynced"] is False
    assert created["WhenCreatedUTC"] == created["WhenChangedUTC"]
    group_id = created["ExternalDirectoryObjectId"]

    read = await tenant_client.exo("Get-DistributionGroup", {"Identity": "nova"}, query="?$select=Description,Name")
    assert read.body["value"] == [{"Description": ["Nova people"], "Name": "Project Nova"}]
    graph = await tenant_client.graph("GET", f"/groups/{group_id}")
    assert graph.status == 200, graph.body
    assert (graph.body["mail"], graph.body["mailEnabled"], graph.body["securityEnabled"]) == (
        f"nova@{seed.domain}", True, False)
    assert tenant.state.list_members(group_id) == [seed.demo_employee.id]


async def test_defaults_alias_from_name_and_address_from_alias(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    reply = await tenant_client.exo("New-DistributionGroup", {"Name": "Ops (Berlin) .Team.",
                                                              "ManagedBy": tenant.seed.list_owner.mail})
    [created] = reply.body["value"]
    assert created["Alias"] == "OpsBerlin.Team"
    assert created["PrimarySmtpAddress"] == f"OpsBerlin.Team@{tenant.seed.domain}"
    assert created["MemberJoinRestriction"] == "Closed" and created["RequireSenderAuthenticationEnabled"] is True


async def test_an_app_must_name_the_owners(tenant_client: Any) -> None:
    reply = await tenant_client.exo("New-DistributionGroup", _new(tenant_client.tenant, ManagedBy=None))
    kind, text = _detail(reply)[1:]
    assert kind.endswith("RecipientTaskException") and "at least one owner" in text and "ManagedBy" in text
    assert tenant_client.tenant.state.find_group("nova") is None


async def test_owners_and_members_must_be_mailboxes(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    for parameters in ({"ManagedBy": ["ghost@contoso.com"]}, {"Members": ["ghost@contoso.com"]}):
        reply = await tenant_client.exo("New-DistributionGroup", _new(tenant, **parameters))
        assert 'Couldn\'t find object "ghost@contoso.com"' in _detail(reply)[2]
    # A user without a mailbox is not a recipient, so not an owner either.
    tenant.state.users[tenant.seed.demo_employee.id]["mail"] = None
    reply = await tenant_client.exo("New-DistributionGroup", _new(
        tenant, ManagedBy=[tenant.seed.demo_employee.user_principal_name]))
    assert "Couldn't find object" in _detail(reply)[2]


async def test_name_alias_and_domain_are_validated(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    too_long = await tenant_client.exo("New-DistributionGroup", _new(tenant, Name="N" * 65))
    assert _detail(too_long)[1] == "System.Management.Automation.ParameterBindingValidationException"
    assert 'less than or equal to "64"' in _detail(too_long)[2]
    exactly = await tenant_client.exo("New-DistributionGroup", _new(tenant, Name="N" * 64))
    assert exactly.status == 200, exactly.body

    for alias in ("two words", ".dot", "dot.", "a..b", "ümlaut"):
        reply = await tenant_client.exo("New-DistributionGroup", _new(tenant, Name=f"x {alias}", Alias=alias))
        assert _detail(reply)[2].startswith(f'Property expression "{alias}" isn\'t valid.'), alias
    odd_but_valid = await tenant_client.exo("New-DistributionGroup", _new(
        tenant, Name="Odd", Alias="o!d#d$%&'*+-/=?^_`{|}~.x", PrimarySmtpAddress=f"odd@{tenant.seed.domain}"))
    assert odd_but_valid.status == 200, odd_but_valid.body

    foreign = await tenant_client.exo("New-DistributionGroup", _new(tenant, PrimarySmtpAddress="nova@fabrikam.com"))
    assert "isn't an accepted domain" in _detail(foreign)[2]
    initial = await tenant_client.exo("New-DistributionGroup", _new(
        tenant, Name="Initial", Alias="initial", PrimarySmtpAddress=f"initial@{tenant.state.initial_domain}"))
    assert initial.status == 200, initial.body  # the onmicrosoft.com domain is accepted too
    assert initial.body["value"][0]["EmailAddresses"] == [f"SMTP:initial@{tenant.state.initial_domain}"]
    # "nova@<onmicrosoft>" is the proxy address of the 64-character group above (alias nova).
    proxy_taken = await tenant_client.exo("New-DistributionGroup", _new(
        tenant, Name="Nova 2", PrimarySmtpAddress=f"nova@{tenant.state.initial_domain}"))
    assert f'of "{"N" * 64}"' in _detail(proxy_taken)[2]
    malformed = await tenant_client.exo("New-DistributionGroup", _new(tenant, Name="M", PrimarySmtpAddress="m@"))
    assert "isn't correct" in _detail(malformed)[2]


async def test_name_must_be_unique(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    name = seed.open_list.name.upper()
    reply = await tenant_client.exo("New-DistributionGroup", _new(tenant_client.tenant, Name=name))
    assert _detail(reply)[1].endswith("ADObjectAlreadyExistsException")
    assert f'The name "{name}" is already being used.' in _detail(reply)[2]


async def test_an_address_used_by_any_recipient_is_refused(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    anna = tenant.state.users[seed.demo_employee.id]
    shared = tenant.state.add_shared_mailbox("Front Desk", "Front Desk", "frontdesk", f"frontdesk@{seed.domain}")
    taken = {
        anna["mail"]: anna["mailNickname"],  # a user's primary address
        f"{anna['mailNickname']}@{tenant.state.initial_domain}": anna["mailNickname"],  # a user's proxy address
        seed.open_list.primary_smtp_address.upper(): seed.open_list.name,  # a list's address, any case
        shared["mail"]: "Front Desk",  # a shared mailbox
    }
    for address, holder in taken.items():
        reply = await tenant_client.exo("New-DistributionGroup", _new(tenant, PrimarySmtpAddress=address))
        assert _detail(reply)[2] == (
            f'The proxy address "SMTP:{address}" is already being used by the proxy addresses or LegacyExchangeDN '
            f'of "{holder}". Please choose another proxy address.'), address
    assert tenant.state.find_group("nova") is None


async def test_set_changes_settings_owners_and_touches_when_changed(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    closed = seed.closed_list
    tenant.state.exo_groups[closed.id]["WhenChanged"] = "2020-01-01T00:00:00Z"
    reply = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": closed.alias, "BypassSecurityGroupManagerCheck": True, "DisplayName": "Closed, renamed",
        "Description": ["line one", "line two"], "MemberJoinRestriction": "ApprovalRequired",
        "MemberDepartRestriction": "Closed", "RequireSenderAuthenticationEnabled": False,
        "ManagedBy": {"@odata.type": HASHTABLE, "Add": [seed.demo_employee.user_principal_name]}})
    assert reply.status == 200, reply.body
    [group] = (await tenant_client.exo("Get-DistributionGroup", {"Identity": closed.id})).body["value"]
    assert group["DisplayName"] == "Closed, renamed" and group["Description"] == ["line one", "line two"]
    assert (group["MemberJoinRestriction"], group["MemberDepartRestriction"]) == ("ApprovalRequired", "Closed")
    assert group["RequireSenderAuthenticationEnabled"] is False
    assert group["ManagedBy"] == [seed.list_owner.mail, seed.demo_employee.mail]
    assert group["WhenChangedUTC"] > "2020-01-01T00:00:00Z"
    graph = await tenant_client.graph("GET", f"/groups/{closed.id}")
    assert graph.body["displayName"] == "Closed, renamed"

    removed = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": closed.alias, "BypassSecurityGroupManagerCheck": True,
        "ManagedBy": {"@odata.type": HASHTABLE, "remove": seed.list_owner.mail}})
    assert removed.status == 200, removed.body
    assert tenant.state.exo_groups[closed.id]["ManagedBy"] == [seed.demo_employee.mail]
    last = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": closed.alias, "BypassSecurityGroupManagerCheck": True,
        "ManagedBy": {"@odata.type": HASHTABLE, "Remove": [seed.demo_employee.mail]}})
    assert "last owner" in _detail(last)[2]
    overwritten = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": closed.alias, "BypassSecurityGroupManagerCheck": True,
        "ManagedBy": [seed.list_owner.user_principal_name, seed.demo_admin.mail]})
    assert overwritten.status == 200, overwritten.body
    assert tenant.state.exo_groups[closed.id]["ManagedBy"] == [seed.list_owner.mail, seed.demo_admin.mail]


async def test_set_refuses_without_bypass_on_dir_synced_and_unemulated_parameters(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    no_bypass = await tenant_client.exo("Set-DistributionGroup", {"Identity": seed.open_list.alias,
                                                                  "DisplayName": "x"})
    assert _detail(no_bypass)[1].endswith("OperationRequiresGroupManagerException")
    synced = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": seed.dir_synced_list.alias, "DisplayName": "x", "BypassSecurityGroupManagerCheck": True})
    assert _detail(synced)[2] == (
        f"The action 'Set-DistributionGroup', 'DisplayName', can't be performed on the object "
        f"'{seed.dir_synced_list.name}' because the object is being synchronized from your on-premises "
        "organization. This action should be performed on the object in your on-premises organization.")
    unknown = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": "no-such-list", "DisplayName": "x", "BypassSecurityGroupManagerCheck": True})
    assert _detail(unknown)[1].endswith("ManagementObjectNotFoundException")
    not_emulated = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": seed.open_list.alias, "CustomAttribute1": "x", "BypassSecurityGroupManagerCheck": True})
    assert _detail(not_emulated)[1] == "System.NotImplementedException"


async def test_set_primary_address_keeps_the_old_one_and_checks_the_new(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    open_list = seed.open_list
    taken = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": open_list.alias, "BypassSecurityGroupManagerCheck": True,
        "PrimarySmtpAddress": seed.closed_list.primary_smtp_address})
    assert "is already being used by the proxy addresses" in _detail(taken)[2]
    moved = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": open_list.alias, "BypassSecurityGroupManagerCheck": True,
        "PrimarySmtpAddress": f"open-new@{seed.domain}"})
    assert moved.status == 200, moved.body
    group = tenant.state.exo_groups[open_list.id]
    assert group["EmailAddresses"][0] == f"SMTP:open-new@{seed.domain}"
    assert f"smtp:{open_list.primary_smtp_address}" in group["EmailAddresses"]
    by_old = await tenant_client.exo("Get-DistributionGroup", {"Identity": open_list.primary_smtp_address})
    assert by_old.body["value"][0]["PrimarySmtpAddress"] == f"open-new@{seed.domain}"
    assert tenant.state.groups[open_list.id]["mail"] == f"open-new@{seed.domain}"


async def test_remove_deletes_the_group_everywhere(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    closed = seed.closed_list
    no_bypass = await tenant_client.exo("Remove-DistributionGroup", {"Identity": closed.alias, "Confirm": False})
    assert _detail(no_bypass)[1].endswith("OperationRequiresGroupManagerException")
    synced = await tenant_client.exo("Remove-DistributionGroup", {
        "Identity": seed.dir_synced_list.alias, "BypassSecurityGroupManagerCheck": True, "Confirm": False})
    assert "being synchronized from your on-premises organization" in _detail(synced)[2]
    removed = await tenant_client.exo("Remove-DistributionGroup", {
        "Identity": closed.primary_smtp_address, "BypassSecurityGroupManagerCheck": True, "Confirm": False})
    assert removed.status == 200, removed.body
    assert closed.id not in tenant.state.exo_groups and closed.id not in tenant.state.group_members
    assert (await tenant_client.graph("GET", f"/groups/{closed.id}")).status == 404
    again = await tenant_client.exo("Remove-DistributionGroup", {
        "Identity": closed.alias, "BypassSecurityGroupManagerCheck": True, "Confirm": False})
    assert _detail(again)[0] == "Ex6F9304"


async def test_filter_on_when_changed_utc(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    for group in tenant.state.exo_groups.values():
        group["WhenChanged"] = "2024-01-01T00:00:00Z"
    tenant.state.exo_groups[seed.open_list.id]["WhenChanged"] = "2024-06-01T12:00:00Z"
    newer = await tenant_client.exo("Get-DistributionGroup", {
        "ResultSize": "Unlimited", "Filter": "WhenChangedUTC -gt '2024-06-01T11:59:59Z'"}, query="?$select=Alias")
    assert newer.body["value"] == [{"Alias": seed.open_list.alias}]
    same_second = await tenant_client.exo("Get-DistributionGroup", {
        "Filter": "WhenChangedUTC -ge '2024-06-01T12:00:00Z'"}, query="?$select=Alias")
    assert same_second.body["value"] == [{"Alias": seed.open_list.alias}]
    none = await tenant_client.exo("Get-DistributionGroup", {"Filter": "WhenChangedUTC -gt '2030-01-01T00:00:00Z'"})
    assert none.status == 200 and none.body["value"] == []


async def test_get_recipient_finds_mailboxes_and_groups_by_any_address(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    anna = tenant.state.users[seed.demo_employee.id]
    proxy = f"{anna['mailNickname']}@{tenant.state.initial_domain}"
    for identity in (anna["mail"], proxy.upper(), anna["id"]):
        reply = await tenant_client.exo("Get-Recipient", {"Identity": identity})
        assert reply.status == 200, reply.body
        [found] = reply.body["value"]
        assert (found["PrimarySmtpAddress"], found["RecipientType"], found["RecipientTypeDetails"]) == (
            anna["mail"], "UserMailbox", "UserMailbox")
        assert found["ExternalDirectoryObjectId"] == anna["id"] and found["IsDirSynced"] is False
        assert f"smtp:{proxy}" in found["EmailAddresses"]
    [group] = (await tenant_client.exo("Get-Recipient", {"Identity": seed.dir_synced_list.primary_smtp_address})
               ).body["value"]
    assert (group["RecipientTypeDetails"], group["IsDirSynced"]) == ("MailUniversalDistributionGroup", True)
    disabled = await tenant_client.exo("Get-Recipient", {"Identity": seed.disabled_user.mail})
    assert disabled.body["value"][0]["RecipientTypeDetails"] == "UserMailbox"  # a disabled account keeps its mailbox


async def test_get_recipient_not_found_and_users_without_mail(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    missing = await tenant_client.exo("Get-Recipient", {"Identity": "nobody@contoso.com"})
    assert _detail(missing)[:2] == ["Ex6F9304",
                                    "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"]
    user = tenant.state.users[seed.demo_employee.id]
    user["mail"], user["proxyAddresses"] = None, []
    no_mailbox = await tenant_client.exo("Get-Recipient", {"Identity": seed.demo_employee.user_principal_name})
    assert "couldn't be found" in _detail(no_mailbox)[2]
    everyone = await tenant_client.exo("Get-Recipient", {"ResultSize": "Unlimited"}, query="?$select=Name")
    assert len(everyone.body["value"]) == (len(tenant.state.users) - 1) + len(tenant.state.exo_groups)


async def test_get_recipient_filters(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    tenant.state.add_shared_mailbox("Front Desk", "Front Desk", "frontdesk", f"frontdesk@{seed.domain}")
    shared = await tenant_client.exo("Get-Recipient", {"RecipientTypeDetails": ["SharedMailbox"],
                                                       "ResultSize": "Unlimited"}, query="?$select=Name")
    assert {"Name": "Front Desk"} in shared.body["value"]
    assert len(shared.body["value"]) == sum(
        1 for u in tenant.state.users.values() if u.get("exoRecipientTypeDetails") == "SharedMailbox")
    by_filter = await tenant_client.exo("Get-Recipient", {
        "Filter": "RecipientTypeDetails -eq 'MailUniversalDistributionGroup' -and IsDirSynced -eq $true"},
        query="?$select=Alias")
    assert by_filter.body["value"] == [{"Alias": seed.dir_synced_list.alias}]
    anr = await tenant_client.exo("Get-Recipient", {"Anr": seed.open_list.alias, "ResultSize": 5},
                                  query="?$select=PrimarySmtpAddress")
    assert {"PrimarySmtpAddress": seed.open_list.primary_smtp_address} in anr.body["value"]
    limited = await tenant_client.exo("Get-Recipient", {"ResultSize": 3})
    assert len(limited.body["value"]) == 3 and limited.body["@adminapi.warnings"]


# ------------------------------------------------------------------------------------------------ $batch


def _item(tenant: Any, item_id: str, cmdlet: str, parameters: dict[str, Any], query: str = "") -> dict[str, Any]:
    return {"id": item_id, "method": "POST", "url": f"{tenant.invoke_command_url}{query}",
            "body": {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}},
            "headers": {"Content-Type": "application/json"}}


async def _batch(tenant_client: Any, requests: list[dict[str, Any]], token: str | None = None) -> Any:
    tenant = tenant_client.tenant
    url = f"{tenant.exchange_base_url}/{tenant.tenant_id}/$batch"
    auth = token or await tenant_client.token("https://outlook.office365.com/.default")
    return await tenant_client.request("POST", url, json={"requests": requests},
                                       headers={"Authorization": f"Bearer {auth}",
                                                "Prefer": "odata.continue-on-error"})


async def test_batch_runs_each_cmdlet_and_answers_per_item(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    closed = seed.closed_list
    add = {"Identity": closed.alias, "Member": seed.demo_employee.mail, "BypassSecurityGroupManagerCheck": True}
    reply = await _batch(tenant_client, [
        _item(tenant, "a", "Add-DistributionGroupMember", add),
        _item(tenant, "b", "Add-DistributionGroupMember", add),
        _item(tenant, "c", "Get-DistributionGroup", {"Identity": closed.id}, "?$select=Alias"),
        _item(tenant, "d", "Get-Nonsense", {}),
    ])
    assert reply.status == 200, reply.body
    by_id = {r["id"]: r for r in reply.body["responses"]}
    assert [r["id"] for r in reply.body["responses"]] == ["a", "b", "c", "d"]
    assert by_id["a"]["status"] == 200 and by_id["a"]["body"]["value"] == []
    assert by_id["b"]["status"] == 400
    assert "MemberAlreadyExistsException" in by_id["b"]["body"]["error"]["details"][0]["message"]
    assert by_id["c"]["body"]["value"] == [{"Alias": closed.alias}]
    assert "CommandNotFoundException" in by_id["d"]["body"]["error"]["details"][0]["message"]
    assert seed.demo_employee.id in tenant.state.list_members(closed.id)

    http = tenant.state.calls("exchange")
    items = tenant.state.calls("exchange.batch")
    assert [(c.path.rsplit("/", 1)[-1], c.cmdlet, c.status) for c in http] == [("$batch", None, 200)]
    assert [(c.cmdlet, c.status) for c in items] == [
        ("Add-DistributionGroupMember", 200), ("Add-DistributionGroupMember", 400),
        ("Get-DistributionGroup", 200), ("Get-Nonsense", 400)]


async def test_batch_limits_and_auth(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    get = {"Identity": tenant.seed.open_list.alias}
    eleven = [_item(tenant, str(n), "Get-DistributionGroup", get) for n in range(11)]
    too_many = await _batch(tenant_client, eleven)
    assert too_many.status == 400 and "can't exceed 10" in too_many.body["error"]["message"]
    assert tenant.state.calls("exchange.batch") == []
    ten = await _batch(tenant_client, eleven[:10])
    assert ten.status == 200 and len(ten.body["responses"]) == 10
    duplicate = await _batch(tenant_client, [eleven[0], eleven[0]])
    assert duplicate.status == 400
    graph_token = await tenant_client.token()
    assert (await _batch(tenant_client, eleven[:1], token=graph_token)).status == 401
    elsewhere = {**eleven[0], "url": "https://outlook.office365.com/adminapi/beta/other.onmicrosoft.com/InvokeCommand"}
    [refused] = (await _batch(tenant_client, [elsewhere])).body["responses"]
    assert refused["status"] == 400


async def test_faults_hit_the_whole_batch_or_single_items(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    get = {"Identity": tenant.seed.open_list.alias}
    items = [_item(tenant, str(n), "Get-DistributionGroup", get) for n in range(3)]
    tenant.faults.set("exchange", status=429, retry_after=3, times=1, path_contains="/InvokeCommand")
    reply = await _batch(tenant_client, items)
    statuses = [(r["status"], r.get("headers", {}).get("Retry-After")) for r in reply.body["responses"]]
    assert statuses == [(429, "3"), (200, None), (200, None)]
    tenant.faults.clear()
    tenant.faults.set("exchange", status=503, times=1)
    whole = await _batch(tenant_client, items)
    assert whole.status == 503

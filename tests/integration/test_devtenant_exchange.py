"""devtenant's Exchange Online InvokeCommand: distribution group cmdlets and their real error shapes."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _detail(reply: Any) -> list[str]:
    """The 'ErrId|ExceptionType|text' detail split the way ExoHelper splits it."""
    assert reply.status == 400, reply.body
    error = reply.body["error"]
    assert error["message"] == "Error executing cmdlet"
    assert error["innererror"]["type"] == "Microsoft.Exchange.Admin.OData.Core.ODataServiceException"
    return error["details"][0]["message"].split("|", 2)


async def test_get_distribution_group_by_any_identity(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    closed = tenant.seed.closed_list
    for identity in (closed.id, closed.alias.upper(), closed.primary_smtp_address, closed.display_name):
        reply = await tenant_client.exo("Get-DistributionGroup", {"Identity": identity})
        assert reply.status == 200, reply.body
        [group] = reply.body["value"]
        assert group["ExternalDirectoryObjectId"] == closed.id
    assert reply.body["@odata.context"] == (f"{tenant.exchange_base_url}/{tenant.tenant_id}/$metadata"
                                            "#Collection(Exchange.GenericHashTable)")
    assert group["ManagedBy"] == [tenant.seed.list_owner.mail]
    assert group["MemberJoinRestriction"] == "Closed" and group["IsDirSynced"] is False
    assert group["RecipientTypeDetails"] == "MailUniversalDistributionGroup"
    assert "@adminapi.warnings" not in reply.body


async def test_get_all_filter_and_select(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    everything = await tenant_client.exo("Get-DistributionGroup", {"ResultSize": "Unlimited"}, query="?$select=Name")
    assert len(everything.body["value"]) == 20 and set(everything.body["value"][0]) == {"Name"}
    open_lists = await tenant_client.exo("Get-DistributionGroup", {"Filter": "MemberJoinRestriction -eq 'Open'"})
    assert {g["Alias"] for g in open_lists.body["value"]} == {
        dl.alias for dl in seed.distribution_lists if dl.member_join_restriction == "Open"}
    limited = await tenant_client.exo("Get-DistributionGroup", {"ResultSize": 2})
    assert len(limited.body["value"]) == 2 and limited.body["@adminapi.warnings"]


async def test_members_then_add_with_bypass(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    closed, anna = tenant.seed.closed_list, tenant.seed.demo_employee
    members = await tenant_client.exo("Get-DistributionGroupMember", {"Identity": closed.alias,
                                                                      "ResultSize": "Unlimited"})
    assert [m["ExternalDirectoryObjectId"] for m in members.body["value"]] == closed.member_ids
    assert {m["RecipientType"] for m in members.body["value"]} == {"UserMailbox"}
    added = await tenant_client.exo("Add-DistributionGroupMember", {
        "Identity": closed.primary_smtp_address, "Member": anna.user_principal_name,
        "BypassSecurityGroupManagerCheck": True})
    assert added.status == 200 and added.body["value"] == []
    assert anna.id in tenant.state.list_members(closed.id)
    graph = await tenant_client.graph("GET", f"/groups/{closed.id}/members?$select=id&$top=999")
    assert anna.id in [m["id"] for m in graph.body["value"]]  # one directory behind both APIs
    again = await tenant_client.exo("Add-DistributionGroupMember", {
        "Identity": closed.alias, "Member": anna.mail, "BypassSecurityGroupManagerCheck": True})
    err_id, kind, text = _detail(again)
    assert kind == "Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException"
    assert text == f"The recipient {anna.mail} is already a member of the group {closed.name}."
    assert err_id.startswith("Ex")
    removed = await tenant_client.exo("Remove-DistributionGroupMember", {
        "Identity": closed.alias, "Member": anna.id, "BypassSecurityGroupManagerCheck": True, "Confirm": False})
    assert removed.status == 200 and anna.id not in tenant.state.list_members(closed.id)
    gone = await tenant_client.exo("Remove-DistributionGroupMember", {
        "Identity": closed.alias, "Member": anna.id, "BypassSecurityGroupManagerCheck": True, "Confirm": False})
    assert _detail(gone)[1] == "Microsoft.Exchange.Management.Tasks.MemberNotFoundException"


async def test_membership_change_needs_the_bypass_switch(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    reply = await tenant_client.exo("Add-DistributionGroupMember", {
        "Identity": seed.open_list.alias, "Member": seed.demo_employee.mail})
    _, kind, text = _detail(reply)
    assert kind == "Microsoft.Exchange.Management.Tasks.OperationRequiresGroupManagerException"
    assert text == ("You don't have sufficient permissions. This operation can only be performed by a manager of "
                    "the group.")


async def test_dir_synced_list_is_read_only(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    reply = await tenant_client.exo("Add-DistributionGroupMember", {
        "Identity": seed.dir_synced_list.alias, "Member": seed.demo_employee.mail,
        "BypassSecurityGroupManagerCheck": True})
    assert "being synchronized from your on-premises organization" in _detail(reply)[2]


async def test_not_found(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    reply = await tenant_client.exo("Get-DistributionGroup", {"Identity": "no-such-list@contoso.com"})
    err_id, kind, text = _detail(reply)
    assert (err_id, kind) == ("Ex6F9304", "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException")
    assert text.startswith("The operation couldn't be performed because object 'no-such-list@contoso.com' "
                           "couldn't be found on '") and text.endswith(".PROD.OUTLOOK.COM'.")
    reply = await tenant_client.exo("Add-DistributionGroupMember", {
        "Identity": seed.open_list.alias, "Member": "ghost@contoso.com", "BypassSecurityGroupManagerCheck": True})
    assert 'Couldn\'t find object "ghost@contoso.com"' in _detail(reply)[2]


async def test_unknown_parameters_and_cmdlets_are_rejected(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    reply = await tenant_client.exo("Add-DistributionGroupMember", {
        "Identity": seed.open_list.alias, "Members": seed.demo_employee.mail})
    assert _detail(reply) == ["", "System.Management.Automation.ParameterBindingException",
                              "A parameter cannot be found that matches parameter name 'Members'."]
    on_prem_only = await tenant_client.exo("Get-DistributionGroup", {"DomainController": "dc1"})
    assert "DomainController" in _detail(on_prem_only)[2]
    case_insensitive = await tenant_client.exo("get-distributiongroup", {"identity": seed.open_list.alias,
                                                                         "erroraction": "Stop"})
    assert case_insensitive.status == 200
    bad_value = await tenant_client.exo("Get-DistributionGroup", {"ResultSize": "lots"})
    assert _detail(bad_value)[1] == "System.Management.Automation.ParameterBindingException"
    missing = await tenant_client.exo("Get-DistributionGroupMember", {})
    assert "missing mandatory parameters: Identity" in _detail(missing)[2]
    unknown = await tenant_client.exo("Add-DistributionGroupMembers", {})
    assert _detail(unknown)[1] == "System.Management.Automation.CommandNotFoundException"
    assert "The term 'Add-DistributionGroupMembers' is not recognized" in _detail(unknown)[2]


async def test_auth(tenant_client: Any) -> None:
    graph_token = await tenant_client.token()
    reply = await tenant_client.exo("Get-DistributionGroup", {}, token=graph_token)
    assert reply.status == 401 and "invalid_token" in reply.headers["WWW-Authenticate"]


async def test_paging_with_prefer_maxpagesize(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    prefer = {"Prefer": "odata.maxpagesize=8"}
    reply = await tenant_client.exo("Get-DistributionGroup", {}, headers=prefer)
    names = [g["Name"] for g in reply.body["value"]]
    while "@odata.nextLink" in reply.body:
        reply = await tenant_client.exo("Get-DistributionGroup", {}, headers=prefer, url=reply.body["@odata.nextLink"])
        names += [g["Name"] for g in reply.body["value"]]
    assert names == [dl.name for dl in seed.distribution_lists]


async def test_calls_are_logged_with_cmdlet_names(tenant_client: Any) -> None:
    await tenant_client.exo("Get-DistributionGroup", {"Identity": "marketing"})
    [call] = tenant_client.tenant.state.calls("exchange")
    assert (call.method, call.status, call.cmdlet) == ("POST", 200, "Get-DistributionGroup")
    assert call.path.endswith("/InvokeCommand")

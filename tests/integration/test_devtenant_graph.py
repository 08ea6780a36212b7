"""devtenant's Graph v1.0 subset over real HTTPS: users, filters, paging, licensing, groups, $batch."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

# Shapes copied from the team's shared/reference/graph (real Graph samples), kept here so the tests stand alone.
DEFAULT_USER_KEYS = {"businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation",
                     "preferredLanguage", "surname", "userPrincipalName", "id"}  # users.list.all.response.json
SUBSCRIBED_SKU_KEYS = {"accountName", "accountId", "appliesTo", "capabilityStatus", "consumedUnits", "id",
                       "prepaidUnits", "servicePlans", "skuId", "skuPartNumber", "subscriptionIds"}
MISSING_USAGE_LOCATION = {"code": "Request_BadRequest",  # assignLicense.error-400-missing-usageLocation.UNOFFICIAL
                          "message": "License assignment cannot be done for user with invalid usage location."}
E3, E5, BASIC, STANDARD = "ENTERPRISEPACK", "ENTERPRISEPREMIUM", "O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM"


def _error_keys(body: dict[str, Any]) -> tuple[set[str], set[str]]:
    return set(body["error"]), set(body["error"]["innerError"])


async def test_users_paging_follows_absolute_next_links(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    reply = await tenant_client.graph("GET", "/users?$top=60&$select=id,displayName,usageLocation")
    pages, ids = 1, [u["id"] for u in reply.body["value"]]
    assert reply.body["@odata.context"].endswith("/$metadata#users(id,displayName,usageLocation)")
    while "@odata.nextLink" in reply.body:
        assert reply.body["@odata.nextLink"].startswith(tenant_client.tenant.graph_base_url + "/users?")
        reply = await tenant_client.graph("GET", reply.body["@odata.nextLink"])
        assert set(reply.body["value"][0]) == {"id", "displayName", "usageLocation"}
        pages += 1
        ids += [u["id"] for u in reply.body["value"]]
    assert pages == 4 and ids == [u.id for u in seed.users] + [m.id for m in seed.shared_mailboxes]


async def test_default_page_and_properties(tenant_client: Any) -> None:
    reply = await tenant_client.graph("GET", "/users")
    assert len(reply.body["value"]) == 100 and "@odata.nextLink" in reply.body
    assert set(reply.body["value"][0]) == DEFAULT_USER_KEYS
    too_big = await tenant_client.graph("GET", "/users?$top=1000")
    assert too_big.status == 400 and too_big.body["error"]["code"] == "Request_UnsupportedQuery"


@pytest.mark.parametrize(("query", "expected"), [
    ("userPrincipalName eq 'ANNA.KOWALSKA@contoso.com'", lambda s: [s.demo_employee.id]),
    ("mail eq 'lena.schmidt@contoso.com'", lambda s: [s.list_owner.id]),
    ("accountEnabled eq false",  # shared mailboxes are disabled users too
     lambda s: [u.id for u in s.users if not u.account_enabled] + [m.id for m in s.shared_mailboxes]),
    ("startswith(displayName,'anna')", lambda s: [u.id for u in s.users if u.display_name.startswith("Anna")]),
    ("startswith(userPrincipalName,'jonas.') or startswith(mail,'sabine.')",
     lambda s: [u.id for u in s.users if u.mail.startswith(("jonas.", "sabine."))]),
    ("accountEnabled eq true and startswith(displayName,'Tomasz')",
     lambda s: [u.id for u in s.users if u.account_enabled and u.display_name.startswith("Tomasz")]),
    ("assignedLicenses/any(x:x/skuId eq c7df2760-2c81-4ef7-b578-5b5392b571df)",
     lambda s: s.sku("ENTERPRISEPREMIUM").direct_user_ids),
])
async def test_user_filters(tenant_client: Any, query: str, expected: Any) -> None:
    reply = await tenant_client.graph("GET", "/users", params={"$filter": query, "$select": "id", "$top": "999"})
    assert reply.status == 200, reply.body
    assert [u["id"] for u in reply.body["value"]] == expected(tenant_client.tenant.seed)


@pytest.mark.parametrize(("query", "code"), [
    ("accountEnabled ne true", "Request_UnsupportedQuery"),
    ("endswith(mail,'@contoso.com')", "Request_UnsupportedQuery"),
    ("signInActivity/lastSignInDateTime eq null", "Request_UnsupportedQuery"),
    ("nonsense eq 'x'", "BadRequest"),
    ("displayName eq 'unterminated", "BadRequest"),
])
async def test_unsupported_filters_are_refused(tenant_client: Any, query: str, code: str) -> None:
    reply = await tenant_client.graph("GET", "/users", params={"$filter": query})
    assert reply.status == 400 and reply.body["error"]["code"] == code
    assert _error_keys(reply.body) == ({"code", "message", "innerError"}, {"date", "request-id", "client-request-id"})


async def test_get_user_by_upn_and_not_found(tenant_client: Any) -> None:
    anna = tenant_client.tenant.seed.demo_employee
    reply = await tenant_client.graph("GET", f"/users/{anna.user_principal_name}?$select=id,usageLocation")
    assert reply.body == {"@odata.context": reply.body["@odata.context"], "id": anna.id, "usageLocation": "PL"}
    missing = await tenant_client.graph("GET", "/users/nobody@contoso.com",
                                        headers={"client-request-id": "abc-123"})
    assert missing.status == 404
    assert missing.body["error"]["code"] == "Request_ResourceNotFound"
    assert missing.body["error"]["message"] == ("Resource 'nobody@contoso.com' does not exist or one of its queried "
                                                "reference-property objects are not present.")
    assert missing.body["error"]["innerError"]["client-request-id"] == "abc-123"


async def test_token_is_required_and_must_be_for_graph(tenant_client: Any) -> None:
    reply = await tenant_client.request("GET", f"{tenant_client.tenant.graph_base_url}/users")
    assert reply.status == 401 and reply.body["error"]["code"] == "InvalidAuthenticationToken"
    exchange_token = await tenant_client.token("https://outlook.office365.com/.default")
    reply = await tenant_client.graph("GET", "/users", token=exchange_token)
    assert reply.status == 401 and "Invalid audience" in reply.body["error"]["message"]


async def test_missing_permission_is_403(tenant_client: Any) -> None:
    app = tenant_client.tenant.state.apps[tenant_client.tenant.client_id]
    app.roles["https://graph.microsoft.com"] = ["User.Read.All"]
    reply = await tenant_client.graph("POST", f"/users/{tenant_client.tenant.seed.demo_employee.id}/assignLicense",
                                      json={"addLicenses": [], "removeLicenses": []})
    assert reply.status == 403 and reply.body["error"]["code"] == "Authorization_RequestDenied"


async def test_assign_license_success_updates_seat_counts(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    anna, e3 = tenant.seed.demo_employee, tenant.seed.sku(E3)
    before = tenant.state.free_units(E3)
    reply = await tenant_client.graph("POST", f"/users/{anna.id}/assignLicense", json={
        "addLicenses": [{"skuId": e3.sku_id, "disabledPlans": []}],
        "removeLicenses": [tenant.seed.sku(BASIC).sku_id]})
    assert reply.status == 200, reply.body
    assert reply.body["id"] == anna.id
    assert reply.body["assignedLicenses"] == [{"disabledPlans": [], "skuId": e3.sku_id}]
    assert tenant.state.free_units(E3) == before - 1
    skus = await tenant_client.graph("GET", "/subscribedSkus")
    e3_row = next(s for s in skus.body["value"] if s["skuPartNumber"] == E3)
    assert e3_row["consumedUnits"] == e3.consumed_units + 1
    assert set(e3_row) == SUBSCRIBED_SKU_KEYS
    details = await tenant_client.graph("GET", f"/users/{anna.id}/licenseDetails")
    assert [d["skuPartNumber"] for d in details.body["value"]] == [E3]
    again = await tenant_client.graph("POST", f"/users/{anna.id}/assignLicense", json={
        "addLicenses": [{"skuId": e3.sku_id, "disabledPlans": []}], "removeLicenses": []})
    assert again.status == 200 and tenant.state.free_units(E3) == before - 1  # already assigned: a no-op


async def test_assign_license_without_usage_location(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    oliver = tenant.seed.employee_without_usage_location
    body = {"addLicenses": [{"skuId": tenant.seed.sku(BASIC).sku_id, "disabledPlans": []}], "removeLicenses": []}
    reply = await tenant_client.graph("POST", f"/users/{oliver.id}/assignLicense", json=body)
    assert reply.status == 400
    assert {k: reply.body["error"][k] for k in ("code", "message")} == MISSING_USAGE_LOCATION
    patched = await tenant_client.graph("PATCH", f"/users/{oliver.id}", json={"usageLocation": "GB"})
    assert patched.status == 204 and patched.body is None
    assert (await tenant_client.graph("POST", f"/users/{oliver.id}/assignLicense", json=body)).status == 200


async def test_patch_rejects_a_bad_usage_location(tenant_client: Any) -> None:
    anna = tenant_client.tenant.seed.demo_employee
    reply = await tenant_client.graph("PATCH", f"/users/{anna.id}", json={"usageLocation": "XX"})
    assert reply.status == 400 and "usageLocation" in reply.body["error"]["message"]
    reply = await tenant_client.graph("PATCH", f"/users/{anna.id}", json={"assignedLicenses": []})
    assert reply.status == 400 and "read-only" in reply.body["error"]["message"]


async def test_assign_license_errors(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    anna = seed.demo_employee

    async def assign(user: str, add: list[str], remove: list[str]) -> Any:
        return await tenant_client.graph("POST", f"/users/{user}/assignLicense", json={
            "addLicenses": [{"skuId": s, "disabledPlans": []} for s in add], "removeLicenses": remove})

    no_seats = await assign(anna.id, [seed.sku(E5).sku_id], [])
    assert no_seats.status == 400 and no_seats.body["error"]["code"] == "Request_BadRequest"
    assert no_seats.body["error"]["message"] == (f"Subscription with SKU {seed.sku(E5).sku_id} does not have any "
                                                 "available licenses.")
    inherited = await assign(seed.group_licensed_user.id, [], [seed.sku(E3).sku_id])
    assert inherited.status == 400
    assert inherited.body["error"]["message"] == ("User license is inherited from a group membership and it cannot "
                                                  "be removed directly from the user.")
    unknown = await assign(anna.id, ["11111111-2222-3333-4444-555555555555"], [])
    assert unknown.body["error"]["message"] == ("License 11111111-2222-3333-4444-555555555555 does not correspond to "
                                                "a valid company License.")
    not_held = await assign(anna.id, [], [seed.sku(STANDARD).sku_id])
    assert not_held.body["error"]["message"] == "User does not have a corresponding license."
    missing = await tenant_client.graph("POST", f"/users/{anna.id}/assignLicense", json={"addLicenses": []})
    assert missing.status == 400 and "removeLicenses" in missing.body["error"]["message"]
    assert tenant.state.user(anna.id)["assignedLicenses"] == [{"disabledPlans": [], "skuId": seed.sku(BASIC).sku_id}]


async def test_license_assignment_states_show_group_licensing(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    reply = await tenant_client.graph("GET", f"/users/{seed.group_licensed_user.id}"
                                             "?$select=assignedLicenses,licenseAssignmentStates")
    [state] = reply.body["licenseAssignmentStates"]
    assert state["assignedByGroup"] == seed.license_groups[0].id
    assert (state["state"], state["error"], state["skuId"]) == ("Active", "None", seed.sku(E3).sku_id)


async def test_groups_members_and_membership_checks(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    lists = await tenant_client.graph("GET", "/groups", params={
        "$filter": "mailEnabled eq true and securityEnabled eq false", "$select": "id,displayName,mail",
        "$top": "999"})
    assert [g["id"] for g in lists.body["value"]] == [dl.id for dl in seed.distribution_lists]
    by_name = await tenant_client.graph("GET", "/groups", params={"$filter": "displayName eq 'DSM_Admins'"})
    assert [g["id"] for g in by_name.body["value"]] == [seed.admins_group.id]
    closed = seed.closed_list
    members = await tenant_client.graph("GET", f"/groups/{closed.id}/members?$select=id,mail&$top=4")
    ids = [m["id"] for m in members.body["value"]]
    assert members.body["value"][0]["@odata.type"] == "#microsoft.graph.user"
    while "@odata.nextLink" in members.body:
        members = await tenant_client.graph("GET", members.body["@odata.nextLink"])
        ids += [m["id"] for m in members.body["value"]]
    assert ids == closed.member_ids
    owners = await tenant_client.graph("GET", f"/groups/{closed.id}/owners")
    assert owners.body["value"] == []  # DL owners live in Exchange's ManagedBy, as in the real service
    check = await tenant_client.graph("POST", f"/users/{seed.demo_admin.id}/checkMemberGroups",
                                      json={"groupIds": [seed.admins_group.id, closed.id]})
    assert check.body["value"] == [seed.admins_group.id]
    member_of = await tenant_client.graph("GET", f"/users/{seed.demo_admin.id}/transitiveMemberOf")
    assert seed.admins_group.id in [g["id"] for g in member_of.body["value"]]
    write = await tenant_client.graph("POST", f"/groups/{closed.id}/members/$ref",
                                      json={"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/"
                                                         f"{seed.demo_employee.id}"})
    # The desk's app may change security groups' members (GroupMember.ReadWrite.All, for group.leave), but as in
    # Graph, distribution lists are Exchange's: a member write through Graph is refused.
    assert write.status == 400 and "mail-enabled" in write.body["error"]["message"]


async def test_batch(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    anna, oliver = seed.demo_employee, seed.employee_without_usage_location
    basic = seed.sku(BASIC).sku_id
    reply = await tenant_client.graph("POST", "/$batch", json={"requests": [
        {"id": "1", "method": "GET", "url": f"/users/{anna.user_principal_name}?$select=id,displayName"},
        {"id": "2", "method": "POST", "url": f"/users/{oliver.id}/assignLicense",
         "headers": {"Content-Type": "application/json"},
         "body": {"addLicenses": [{"skuId": basic, "disabledPlans": []}], "removeLicenses": []}},
        {"id": "3", "method": "GET", "url": "users/nobody@contoso.com"},
        {"id": "4", "method": "GET", "url": "/users?$filter=startswith(displayName,'Anna')&$select=id",
         "dependsOn": ["1"]},
    ]})
    assert reply.status == 200
    by_id = {r["id"]: r for r in reply.body["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["displayName"] == anna.display_name
    assert by_id["2"]["status"] == 400 and "usage location" in by_id["2"]["body"]["error"]["message"]
    assert by_id["3"]["status"] == 404
    assert by_id["4"]["status"] == 200 and len(by_id["4"]["body"]["value"]) >= 1
    services = [c.service for c in tenant_client.tenant.state.call_log if c.service.startswith("graph")]
    assert services.count("graph") == 1 and services.count("graph.batch") == 4


async def test_batch_validation(tenant_client: Any) -> None:
    duplicate = await tenant_client.graph("POST", "/$batch", json={"requests": [
        {"id": "1", "method": "GET", "url": "/users"}, {"id": "1", "method": "GET", "url": "/groups"}]})
    assert duplicate.status == 400
    assert duplicate.body["error"]["message"] == "Request Id 1 has to be unique in a batch."
    too_many = await tenant_client.graph("POST", "/$batch", json={"requests": [
        {"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]})
    assert too_many.status == 400


async def test_unknown_segment(tenant_client: Any) -> None:
    reply = await tenant_client.graph("GET", "/frobnicators")
    assert reply.status == 400
    assert reply.body["error"]["message"] == "Resource not found for the segment 'frobnicators'."


async def test_advanced_queries_need_consistency_level(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    params = {"$search": '"displayName:kowal"', "$count": "true", "$select": "id"}
    refused = await tenant_client.graph("GET", "/users", params=params)
    assert refused.status == 400
    reply = await tenant_client.graph("GET", "/users", params=params, headers={"ConsistencyLevel": "eventual"})
    expected = [u.id for u in seed.users if any(w.startswith("kowal") for w in u.display_name.lower().split())]
    assert [u["id"] for u in reply.body["value"]] == expected and reply.body["@odata.count"] == len(expected)
    eventual = {"ConsistencyLevel": "eventual"}
    not_enabled = await tenant_client.graph("GET", "/users", headers=eventual, params={
        "$filter": "accountEnabled ne true", "$count": "true", "$select": "id"})
    assert [u["id"] for u in not_enabled.body["value"]] == [u.id for u in seed.users if not u.account_enabled] + [
        m.id for m in seed.shared_mailboxes]

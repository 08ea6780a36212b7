"""devtenant's Graph change tracking over real HTTPS: /users/delta rounds, next/delta links, @removed, manager@delta,
expired tokens, /domains, and the control endpoints that change the tenant outside the desk."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

SELECT = "id,displayName,accountEnabled,department,manager"


async def _round(client: Any, first: str, *, page_size: int | None = None) -> tuple[list[list[dict[str, Any]]], str]:
    """Follow a round from `first` (a path or a link) to its deltaLink: the pages' values and the deltaLink."""
    headers = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else {}
    pages: list[list[dict[str, Any]]] = []
    reply = await client.graph("GET", first, headers=headers)
    while True:
        assert reply.status == 200, reply.body
        body = reply.body
        assert ("@odata.nextLink" in body) != ("@odata.deltaLink" in body)
        pages.append(body["value"])
        if "@odata.deltaLink" in body:
            return pages, body["@odata.deltaLink"]
        reply = await client.graph("GET", body["@odata.nextLink"], headers=headers)


async def _control(client: Any, method: str, path: str, **kwargs: Any) -> Any:
    reply = await client.request(method, f"{client.tenant.control_url}{path}", **kwargs)
    assert reply.status < 300, (path, reply.status, reply.body)
    return reply.body


def _ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [item["id"] for page in pages for item in page]


async def test_first_round_pages_with_select_carried_by_the_links(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    first = await tenant_client.graph("GET", f"/users/delta?$select={SELECT}",
                                      headers={"Prefer": "odata.maxpagesize=60"})
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=60"
    assert first.body["@odata.context"].endswith(f"/$metadata#users({SELECT})")
    next_link = first.body["@odata.nextLink"]
    assert next_link.startswith(f"{tenant.graph_base_url}/users/delta?$skiptoken=") and "select" not in next_link
    pages, delta_link = await _round(tenant_client, f"/users/delta?$select={SELECT}", page_size=60)
    assert [len(p) for p in pages[:-1]] == [60] * (len(pages) - 1) and 0 < len(pages[-1]) <= 60
    assert sorted(_ids(pages)) == sorted(tenant.state.users)  # every user once, none twice
    assert delta_link.startswith(f"{tenant.graph_base_url}/users/delta?$deltatoken=")
    items = {item["id"]: item for page in pages for item in page}
    for item in items.values():
        assert set(item) - {"manager@delta"} == {"id", "displayName", "accountEnabled", "department"}
    managed = next(u for u in tenant.seed.users if u.manager_id)
    assert items[managed.id]["manager@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": managed.manager_id}]
    assert items[tenant.seed.disabled_user.id]["accountEnabled"] is False


async def test_default_page_size_properties_and_sdk_path(tenant_client: Any) -> None:
    reply = await tenant_client.graph("GET", "/users/delta()")  # what msgraph-sdk requests
    assert reply.status == 200 and len(reply.body["value"]) == 100 and "@odata.nextLink" in reply.body
    assert set(reply.body["value"][0]) == {"businessPhones", "displayName", "givenName", "jobTitle", "mail",
                                           "mobilePhone", "officeLocation", "preferredLanguage", "surname",
                                           "userPrincipalName", "id"}
    assert "Preference-Applied" not in reply.headers


async def test_delta_link_without_changes_is_empty(tenant_client: Any) -> None:
    _, delta_link = await _round(tenant_client, f"/users/delta?$select={SELECT}", page_size=999)
    pages, again = await _round(tenant_client, delta_link)
    assert pages == [[]]
    assert again.startswith(tenant_client.tenant.graph_base_url + "/users/delta?$deltatoken=")


async def test_delta_link_reports_exactly_the_changes(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    _, delta_link = await _round(tenant_client, f"/users/delta?$select={SELECT}", page_size=999)
    managers = {u.manager_id for u in seed.users if u.manager_id}
    others = [u for u in seed.users if u.account_enabled and u.id not in (seed.demo_employee.id, seed.demo_admin.id)
              and u.id not in managers]
    moved, leaver, promoted = others[0], others[1], others[2]
    gone = next(u for u in seed.users if u.id in managers and u.id != seed.demo_admin.id)
    patched = await tenant_client.graph("PATCH", f"/users/{moved.id}", json={"department": "Legal"})
    assert patched.status == 204
    await _control(tenant_client, "POST", f"/users/{leaver.id}/disable")
    await _control(tenant_client, "PATCH", f"/users/{promoted.id}",
                   json={"manager": seed.demo_admin.user_principal_name})
    created = (await _control(tenant_client, "POST", "/users", json={"count": 1, "prefix": "joiner"}))["value"][0]
    await _control(tenant_client, "DELETE", f"/users/{gone.id}")
    reports = [u.id for u in seed.users if u.manager_id == gone.id]  # lose their manager with the deletion
    assert reports

    pages, _ = await _round(tenant_client, delta_link)
    items = {item["id"]: item for page in pages for item in page}
    assert set(items) == {moved.id, leaver.id, promoted.id, created, gone.id, *reports}
    assert items[moved.id]["department"] == "Legal"
    assert items[leaver.id]["accountEnabled"] is False
    assert items[promoted.id]["manager@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": seed.demo_admin.id}]
    assert items[gone.id] == {"id": gone.id, "@removed": {"reason": "changed"}}  # soft-deleted: restorable
    for report in reports:
        assert items[report]["manager@delta"][0]["@removed"] == {"reason": "deleted"}
        assert items[report]["manager@delta"][0]["id"] == gone.id
    assert items[created]["displayName"].startswith("Joiner User")


async def test_changes_outside_the_selected_properties_are_not_reported(tenant_client: Any) -> None:
    anna = tenant_client.tenant.seed.demo_employee
    _, delta_link = await _round(tenant_client, "/users/delta?$select=id,department", page_size=999)
    await tenant_client.graph("PATCH", f"/users/{anna.id}", json={"jobTitle": "Chief Tester"})
    pages, delta_link = await _round(tenant_client, delta_link)
    assert pages == [[]]
    await tenant_client.graph("PATCH", f"/users/{anna.id}", json={"department": "QA"})
    pages, _ = await _round(tenant_client, delta_link)
    assert pages == [[{"department": "QA", "id": anna.id}]]


async def test_a_change_during_a_round_is_reported_by_the_next_round(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    first = await tenant_client.graph("GET", "/users/delta?$select=id,department",
                                      headers={"Prefer": "odata.maxpagesize=50"})
    served = first.body["value"][0]["id"]
    unserved = next(u for u in tenant.state.users if u not in {i["id"] for i in first.body["value"]})
    for user_id in (served, unserved):
        await _control(tenant_client, "PATCH", f"/users/{user_id}", json={"department": "Moved"})
    rest, delta_link = await _round(tenant_client, first.body["@odata.nextLink"], page_size=50)
    round_one = [first.body["value"], *rest]
    assert unserved not in _ids(round_one)  # changed after the round began: left to the next round
    pages, _ = await _round(tenant_client, delta_link)
    assert {i["id"]: i["department"] for i in pages[0]} == {served: "Moved", unserved: "Moved"}
    assert set(_ids(round_one)) | {unserved} == set(tenant.state.users)


async def test_direct_state_edits_are_noticed(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    _, delta_link = await _round(tenant_client, f"/users/delta?$select={SELECT}", page_size=999)
    tenant.state.user(tenant.seed.list_owner.id)["department"] = "Edited in place"  # no record_user_change
    pages, _ = await _round(tenant_client, delta_link)
    assert [(i["id"], i["department"]) for i in pages[0]] == [(tenant.seed.list_owner.id, "Edited in place")]


async def test_manager_cleared_restore_and_enable(tenant_client: Any) -> None:
    seed = tenant_client.tenant.seed
    managed = next(u for u in seed.users if u.manager_id and u.account_enabled)
    _, delta_link = await _round(tenant_client, f"/users/delta?$select={SELECT}", page_size=999)
    cleared = await _control(tenant_client, "PATCH", f"/users/{managed.id}", json={"manager": None})
    assert cleared["manager"] is None
    await _control(tenant_client, "DELETE", f"/users/{seed.list_owner.id}")
    await _control(tenant_client, "POST", f"/users/{seed.disabled_user.id}/enable")
    pages, delta_link = await _round(tenant_client, delta_link)
    items = {i["id"]: i for i in pages[0]}
    assert items[managed.id]["manager@delta"] == [{"@odata.type": "#microsoft.graph.user", "id": managed.manager_id,
                                                   "@removed": {"reason": "deleted"}}]
    assert items[seed.disabled_user.id]["accountEnabled"] is True
    assert "@removed" in items[seed.list_owner.id]
    restored = await _control(tenant_client, "POST", f"/users/{seed.list_owner.id}/restore")
    assert restored["id"] == seed.list_owner.id
    pages, _ = await _round(tenant_client, delta_link)
    assert [(i["id"], "@removed" in i) for i in pages[0]] == [(seed.list_owner.id, False)]


async def test_deleted_user_leaves_groups_and_list_ownership(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    owner = tenant.seed.list_owner
    closed = tenant.state.exo_group(tenant.seed.closed_list.id)
    assert owner.mail in closed["ManagedBy"]
    await _control(tenant_client, "DELETE", f"/users/{owner.id}")
    assert owner.mail not in closed["ManagedBy"]
    assert (await tenant_client.graph("GET", f"/users/{owner.id}")).status == 404
    assert all(owner.id not in members for members in tenant.state.group_members.values())
    assert (await tenant_client.request("DELETE", f"{tenant.control_url}/users/{owner.id}")).status == 404


async def test_latest_syncs_from_now(tenant_client: Any) -> None:
    anna = tenant_client.tenant.seed.demo_employee
    reply = await tenant_client.graph("GET", "/users/delta?$deltatoken=latest&$select=id,department")
    assert reply.status == 200 and reply.body["value"] == [] and "@odata.nextLink" not in reply.body
    await tenant_client.graph("PATCH", f"/users/{anna.id}", json={"department": "Now"})
    pages, _ = await _round(tenant_client, reply.body["@odata.deltaLink"])
    assert pages == [[{"id": anna.id, "department": "Now"}]]


async def test_bad_expired_and_reset_tokens(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    garbage = await tenant_client.graph("GET", "/users/delta?$deltatoken=not-a-token")
    assert garbage.status == 400 and garbage.body["error"]["code"] == "Request_BadRequest"
    bad_skip = await tenant_client.graph("GET", "/users/delta?$skiptoken=abc")
    assert bad_skip.status == 400
    _, delta_link = await _round(tenant_client, f"/users/delta?$select={SELECT}", page_size=999)
    first = await tenant_client.graph("GET", "/users/delta?$select=id", headers={"Prefer": "odata.maxpagesize=10"})
    await _control(tenant_client, "POST", "/delta/expire", json={})
    for link in (delta_link, first.body["@odata.nextLink"]):
        expired = await tenant_client.graph("GET", link)
        assert expired.status == 400 and expired.body["error"]["code"] == "syncStateNotFound"
        assert "expired" in expired.body["error"]["message"]
    _, delta_link = await _round(tenant_client, "/users/delta?$select=id,department", page_size=999)
    await _control(tenant_client, "POST", "/delta/expire", json={"status": 410})
    gone = await tenant_client.graph("GET", delta_link)
    assert gone.status == 410 and gone.body["error"]["code"] == "resyncRequired"
    assert gone.headers["Location"] == f"{tenant.graph_base_url}/users/delta?$deltatoken=&$select=id,department"
    restart, _ = await _round(tenant_client, gone.headers["Location"], page_size=999)  # a full round again
    assert len(_ids(restart)) == len(tenant.state.users)
    tenant.reset()  # a reset tenant forgets every round
    assert (await tenant_client.graph("GET", delta_link)).status in (400, 410)


async def test_domains(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    reply = await tenant_client.graph("GET", "/domains")
    assert reply.status == 200
    by_id = {d["id"]: d for d in reply.body["value"]}
    assert set(by_id) == {tenant.seed.domain, tenant.state.initial_domain}
    assert by_id[tenant.seed.domain]["isDefault"] is True and by_id[tenant.seed.domain]["isInitial"] is False
    assert by_id[tenant.state.initial_domain]["isInitial"] is True
    assert all(d["isVerified"] and "Email" in d["supportedServices"] for d in by_id.values())
    await _control(tenant_client, "POST", "/domains", json={"id": "pending.example", "isVerified": False})
    await _control(tenant_client, "POST", "/domains", json={"id": "Fabrikam.COM"})
    reply = await tenant_client.graph("GET", "/domains?$select=id,isVerified")
    assert {d["id"]: d["isVerified"] for d in reply.body["value"]} == {
        tenant.seed.domain: True, tenant.state.initial_domain: True, "fabrikam.com": True, "pending.example": False}
    assert "fabrikam.com" in tenant.state.accepted_domains  # Exchange accepts mail for it too
    one = await tenant_client.graph("GET", f"/domains/{tenant.seed.domain}")
    assert one.status == 200 and one.body["isDefault"] is True
    assert (await tenant_client.graph("GET", "/domains/nowhere.example")).status == 404


async def test_generate_a_large_tenant_quickly(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    users_before, lists_before = len(tenant.state.users), len(tenant.state.exo_groups)
    started = time.perf_counter()
    body = await _control(tenant_client, "POST", "/generate",
                          json={"users": 10_000, "lists": 2_000, "members_per_list": 25})
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"generating 10k users and 2k lists took {elapsed:.1f} s"
    assert body["users"] == 10_000 and body["lists"] == 2_000 and body["members"] == 50_000
    assert len(tenant.state.users) == users_before + 10_000
    assert len(tenant.state.exo_groups) == lists_before + 2_000
    generated = [g for g in tenant.state.exo_groups.values() if g["Alias"].startswith("gen-list-")]
    assert all(g["ManagedBy"] and len(tenant.state.group_members[g["ExternalDirectoryObjectId"]]) == 25
               for g in generated)
    listed = await tenant_client.exo("Get-DistributionGroup", {"Identity": generated[0]["PrimarySmtpAddress"]})
    assert listed.status == 200, listed.body
    pages, _ = await _round(tenant_client, "/users/delta?$select=id,accountEnabled", page_size=999)
    assert len(_ids(pages)) == len(tenant.state.users) and len(pages) == -(-len(tenant.state.users) // 999)
    refused = await tenant_client.request("POST", f"{tenant.control_url}/generate", json={"users": -1})
    assert refused.status == 400

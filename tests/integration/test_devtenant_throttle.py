"""devtenant's Graph identity write limit over HTTP: on and off by a control endpoint, 429 with Retry-After."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_control_endpoint_switches_the_write_limit(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    control = tenant.control_url
    assert (await tenant_client.request("GET", f"{control}/throttle")).body == {"enabled": False}
    reply = await tenant_client.request("POST", f"{control}/throttle", json={})
    assert reply.status == 201
    assert (reply.body["limit"], reply.body["window_s"], reply.body["rate_per_s"]) == (3000, 150.0, 20.0)
    bad = await tenant_client.request("POST", f"{control}/throttle", json={"limit": 0})
    assert bad.status == 400
    reply = await tenant_client.request("POST", f"{control}/throttle", json={"limit": 2, "window_s": 60})
    assert reply.body["start_tokens"] is None

    anna = tenant.seed.demo_employee
    patch = {"json": {"jobTitle": "Analyst"}}
    assert (await tenant_client.graph("PATCH", f"/users/{anna.id}", **patch)).status == 204
    assert (await tenant_client.graph("GET", f"/users/{anna.id}")).status == 200  # reads are not counted
    assert (await tenant_client.graph("PATCH", f"/users/{anna.id}", **patch)).status == 204
    throttled = await tenant_client.graph("PATCH", f"/users/{anna.id}", **patch)
    assert throttled.status == 429 and throttled.body["error"]["code"] == "TooManyRequests"
    assert throttled.headers["Retry-After"] == "30"  # one write per 30 s at 2 per 60 s
    assert throttled.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    state = (await tenant_client.request("GET", f"{control}/throttle")).body
    assert (state["allowed"], state["throttled"]) == (2, 1)

    assert (await tenant_client.request("DELETE", f"{control}/throttle")).status == 204
    assert (await tenant_client.graph("PATCH", f"/users/{anna.id}", **patch)).status == 204


async def test_batch_items_are_counted_one_by_one(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    tenant.faults.throttle_writes(limit=2, window_s=60)
    users = [u for u in tenant.seed.users if u.account_enabled][:3]
    body = {"requests": [
        {"id": str(n), "method": "PATCH", "url": f"/users/{u.id}", "headers": {"Content-Type": "application/json"},
         "body": {"jobTitle": "Analyst"}} for n, u in enumerate(users)]}
    reply = await tenant_client.graph("POST", "/$batch", json=body)
    assert reply.status == 200
    assert sorted(r["status"] for r in reply.body["responses"]) == [204, 204, 429]
    assert [c.status for c in tenant.state.calls("graph.batch")] == [204, 204, 429]


async def test_generated_people_for_load_tests(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    reply = await tenant_client.request("POST", f"{tenant.control_url}/users", json={"count": 3, "prefix": "bench"})
    assert reply.status == 201 and len(reply.body["value"]) == 3
    user = tenant.state.user(reply.body["value"][0])
    assert user["userPrincipalName"] == f"bench.user00001@{tenant.seed.domain}" and user["usageLocation"] == "PL"
    more = await tenant_client.request("POST", f"{tenant.control_url}/users", json={"count": 1, "prefix": "bench"})
    assert tenant.state.user(more.body["value"][0])["userPrincipalName"].startswith("bench.user00004@")
    assert (await tenant_client.request("POST", f"{tenant.control_url}/users", json={})).status == 400
    tenant.reset()
    assert tenant.state.find_user(reply.body["value"][0]) is None

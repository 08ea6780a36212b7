"""devtenant fault injection: throttling, outages and latency per service, set in-process or over HTTP."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The keys of reference/graph/error.429-throttling.response.json (a real Graph throttling answer).
THROTTLING_KEYS = {"code", "innerError", "message"}
THROTTLING_INNER_KEYS = {"code", "date", "message", "request-id", "status"}


async def test_graph_429_with_retry_after_then_success(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    await tenant_client.token()
    rule = tenant.faults.set("graph", status=429, retry_after=2, times=1)
    throttled = await tenant_client.graph("GET", "/users?$top=1")
    assert throttled.status == 429 and throttled.headers["Retry-After"] == "2"
    assert set(throttled.body["error"]) == THROTTLING_KEYS
    assert set(throttled.body["error"]["innerError"]) == THROTTLING_INNER_KEYS
    assert throttled.body["error"]["code"] == "TooManyRequests"
    ok = await tenant_client.graph("GET", "/users?$top=1")
    assert ok.status == 200 and rule.hits == 1
    assert [c.status for c in tenant.state.calls("graph")] == [429, 200]


async def test_path_filter_and_503(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    tenant.faults.set("graph", status=503, retry_after=0.5, path_contains="/assignLicense")
    assert (await tenant_client.graph("GET", "/users?$top=1")).status == 200
    anna = tenant.seed.demo_employee
    reply = await tenant_client.graph("POST", f"/users/{anna.id}/assignLicense",
                                      json={"addLicenses": [], "removeLicenses": []})
    assert reply.status == 503 and reply.headers["Retry-After"] == "0.5"
    assert (await tenant_client.graph("POST", f"/users/{anna.id}/assignLicense",
                                      json={"addLicenses": [], "removeLicenses": []})).status == 503
    tenant.faults.clear("graph")
    assert (await tenant_client.graph("POST", f"/users/{anna.id}/assignLicense",
                                      json={"addLicenses": [], "removeLicenses": []})).status == 200


async def test_faults_inside_a_batch_hit_single_items(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    await tenant_client.token()
    tenant.faults.set("graph", status=429, times=1, path_contains="/users/")
    reply = await tenant_client.graph("POST", "/$batch", json={"requests": [
        {"id": "a", "method": "GET", "url": f"/users/{tenant.seed.demo_employee.id}"},
        {"id": "b", "method": "GET", "url": f"/users/{tenant.seed.demo_admin.id}"}]})
    statuses = {r["id"]: r["status"] for r in reply.body["responses"]}
    assert reply.status == 200 and statuses == {"a": 429, "b": 200}
    assert next(r for r in reply.body["responses"] if r["id"] == "a")["headers"]["Retry-After"] == "1"


async def test_exchange_throttling(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    tenant.faults.set("exchange", status=429, retry_after=1, times=1)
    throttled = await tenant_client.exo("Get-DistributionGroup", {"Identity": "marketing"})
    assert throttled.status == 429 and throttled.headers["Retry-After"] == "1"
    assert "maximum number of concurrent requests" in throttled.body["error"]["message"]
    assert (await tenant_client.exo("Get-DistributionGroup", {"Identity": "marketing"})).status == 200


async def test_token_outage_and_latency(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    tenant.faults.set("token", status=503, times=1)
    reply = await tenant_client.request("POST", tenant.token_endpoint, data={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret,
        "scope": "https://graph.microsoft.com/.default"})
    assert reply.status == 503 and reply.body["error"] == "temporarily_unavailable"
    await tenant_client.token()
    tenant.faults.set("graph", latency_ms=150, times=1)
    started = time.perf_counter()
    assert (await tenant_client.graph("GET", "/users?$top=1")).status == 200
    assert time.perf_counter() - started >= 0.15


async def test_faults_over_http(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    async with aiohttp.ClientSession(trust_env=False) as http:
        async with http.post(f"{tenant.control_url}/faults", json={"service": "connector", "status": 429,
                                                                   "times": 1}) as response:
            assert response.status == 201
        async with http.post(f"{tenant.control_url}/faults", json={"service": "nope"}) as response:
            assert response.status == 400
        conversation = tenant.state.personal_conversation_id(tenant.seed.demo_employee.id)
        url = f"{tenant.connector_url}v3/conversations/{conversation}/activities"
        async with http.post(url, json={"type": "message", "text": "hi"}) as response:
            assert response.status == 429 and response.headers["Retry-After"] == "1"
        async with http.post(url, json={"type": "message", "text": "hi"}) as response:
            assert response.status == 201
        async with http.post(f"{tenant.control_url}/faults", json={"service": "graph", "status": 503}) as response:
            assert response.status == 201
        async with http.delete(f"{tenant.control_url}/faults") as response:
            assert response.status == 204
    assert tenant.faults.rules() == []

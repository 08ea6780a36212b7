"""Cold start to ready, and the round trip of an approve click (p50/p99), against devtenant over real HTTP."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from app import SERVICES, create_app
from cards.verbs import Verb
from demo.run import settings_for_devtenant
from devtenant import DevTenant, run_devtenant


def _activity(tenant: DevTenant, user, *, kind: str = "message", **fields) -> dict:
    state = tenant.state
    body = {
        "type": kind,
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": tenant.connector_url,
        "locale": "en-US",
        "from": {"id": state.teams_user_id(user.id), "name": user.display_name, "aadObjectId": user.id},
        "conversation": {"conversationType": "personal", "id": state.personal_conversation_id(user.id)},
        "recipient": {"id": f"28:{tenant.client_id}", "name": "M365 Desk"},
        "channelData": {"tenant": {"id": tenant.tenant_id}},
    }
    body.update(fields)
    return body


async def _wait_ready(session: aiohttp.ClientSession, base: str, started: float) -> float:
    while True:
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.01)


async def run(clicks: int, database_url: str | None) -> dict:
    async with run_devtenant() as tenant:
        tenant.state.set_prepaid_units("ENTERPRISEPACK", clicks + 500)
        with tempfile.TemporaryDirectory() as scratch:
            url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
            settings = settings_for_devtenant(tenant, database_url=url, port=0, job_poll_seconds=0.2)
            started = time.perf_counter()
            app = create_app(settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession() as session:
                cold_start = await _wait_ready(session, base, started)
                result = await _clicks(session, base, tenant, app, clicks)
            await runner.cleanup()
    return {"cold_start_to_ready_s": round(cold_start, 3), "database": url.split(":", 1)[0], **result}


async def _clicks(session, base: str, tenant: DevTenant, app: web.Application, clicks: int) -> dict:
    seed = tenant.seed
    admins = set(seed.admins_group.member_ids)
    e3 = tenant.state.sku("ENTERPRISEPACK")["skuId"]
    requesters = [
        u
        for u in seed.users
        if u.id not in admins
        and u.account_enabled
        and e3 not in [x["skuId"] for x in tenant.state.user(u.id)["assignedLicenses"]]
    ][:clicks]
    for user in requesters:
        async with session.post(f"{base}/api/messages", json=_activity(tenant, user, text="request license E3")) as r:
            assert r.status in (200, 201, 202), await r.text()
    services = app[SERVICES]
    pending = []
    async with services.uow() as uow:
        for user in requesters:
            pending.extend(await uow.requests.list_for_requester(user.id, limit=1))
    tenant.state.reset_call_log()
    tracemalloc.start()
    timings = []
    for request in pending:
        value = {"action": {"type": "Action.Execute", "verb": Verb.APPROVE.value,
                            "data": {"request_id": request.public_id, "version": request.version}}}
        body = _activity(tenant, seed.demo_admin, kind="invoke", name="adaptiveCard/action", value=value)
        began = time.perf_counter()
        async with session.post(f"{base}/api/messages", json=body) as response:
            payload = await response.json()
        timings.append((time.perf_counter() - began) * 1000)
        assert "Approved by" in json.dumps(payload), payload
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cuts = statistics.quantiles(timings, n=100)
    graph_calls = len(tenant.state.calls("graph"))
    return {
        "clicks": len(timings),
        "approve_click_ms": {"p50": round(cuts[49], 1), "p99": round(cuts[98], 1), "max": round(max(timings), 1)},
        "graph_calls_during_clicks_and_jobs": graph_calls,
        "python_peak_alloc_mb_during_clicks": round(peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clicks", type=int, default=100)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.clicks, args.database_url)), indent=2))


if __name__ == "__main__":
    main()

""""Did you mean …?" latency on a large directory: p50/p99 of the desk's answer to an unknown text, in milliseconds.

    python -m bench.suggestions_latency [--users 10000] [--lists 2000] [--repeats 50] [--databases sqlite,postgres]

devtenant runs in this process with a synthetic tenant on top of its seed (`POST /_devtenant/generate`); the desk
(create_app, no HTTP server, no job runner) syncs its directory cache once, then answers each text `--repeats`
times through handlers.suggestions exactly as a typed message would (reading names from the cache, plans from the
tenant). Reported per kind of text: a command one letter off with a list name (exact, and mistyped too), with a
plan (which reads the tenant's plans from Graph), chat that matches nothing, a command without arguments, and the
not-found path of a list name; plus the matching step alone (a mistyped name against every loaded name) and the
read of the names from the cache alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from app import SERVICES, create_app
from bench.processes import scratch_database
from cards.i18n import Translator
from demo.run import settings_for_devtenant
from devtenant import run_devtenant
from handlers import suggestions
from handlers.context import Actor
from handlers.directory_sync import run_sync
from handlers.suggestion_matching import suggest

PG_URL = os.environ.get("DESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
TEXTS = {
    "command + list name": "joim Gen List 01234",
    "command + list name, both mistyped": "joim Gen Lsit 01234",
    "command + plan": "requst licence e3",
    "chat (no match)": "thanks, that was quick",
    "no-slot command": "my reqests",
}


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def _time(repeats: int, call: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await call()  # warm-up: first statement compilation and connection
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - began) * 1000)
    return _percentiles(samples)


async def _scenario(tenant: Any, database: str, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        url, drop = await scratch_database(PG_URL if database == "postgres" else f"sqlite+aiosqlite:///{scratch}/d.db")
        runner = web.AppRunner(create_app(settings_for_devtenant(tenant, database_url=url), run_jobs=False))
        await runner.setup()
        try:
            services = runner.app[SERVICES]
            await run_sync(services, full=True, replica="bench")
            employee = tenant.seed.demo_employee
            actor = Actor(user_id=employee.id, name=employee.display_name, tenant_id=tenant.tenant_id)
            t = Translator("en-US")
            results: dict[str, Any] = {}
            for label, text in TEXTS.items():
                reply = await suggestions.unknown_command(services, actor, text)
                offered = [a["data"]["text"] for a in (reply.card or {}).get("actions", []) if "text" in a["data"]]
                results[label] = {"text": text, "offered": offered,
                                  **await _time(repeats, lambda text=text: suggestions.unknown_command(
                                      services, actor, text))}
            results["list not found (near names)"] = {
                "text": "Gen List 0123x",
                **await _time(repeats, lambda: suggestions.near_names_reply(services, t, "Gen List 0123x",
                                                                             kind="list")),
            }
            vocabulary = await suggestions.load_vocabulary(services, {"list", "mailbox", "plan"})
            names = sum(len(v) for v in vocabulary.values())

            async def pure() -> None:
                suggest("joim Gen Lsit 01234", "en", vocabulary, services.kinds)

            results["matching only"] = {"names": names, **await _time(repeats, pure)}
            results["reading names from the cache"] = await _time(
                repeats, lambda: suggestions.load_vocabulary(services, {"list", "mailbox"}))
            return {"database": database, "results": results}
        finally:
            await runner.cleanup()
            await drop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--lists", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    async with run_devtenant() as tenant:
        async with aiohttp.ClientSession() as session:
            payload = {"users": args.users, "lists": args.lists, "members_per_list": 5}
            async with session.post(f"{tenant.control_url}/generate", json=payload) as reply:
                reply.raise_for_status()
                generated = await reply.json()
        report = {"generated": generated, "runs": []}
        for database in args.databases.split(","):
            report["runs"].append(await _scenario(tenant, database.strip(), args.repeats))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())

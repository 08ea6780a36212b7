"""Directory sync (F7): time and peak memory of a full sync of the seed tenant and of a synthetic 10k users / 2k lists
tenant, then of the incremental run after it, on SQLite and PostgreSQL.

    python -m bench.sync_tenant [--users 10000] [--lists 2000] [--members-per-list 25] [--databases sqlite,postgres]

devtenant runs as its own process (`python -m devtenant`). Each sync runs in a fresh child process built the way
`app.py sync` builds the desk (create_app without HTTP or job runner), so the memory figure is the peak resident
set (VmHWM) of a process doing exactly one sync, with its baseline after start-up reported next to it. Before the
incremental run, 20 lists get a member and 10 people are disabled "outside the desk", so it has something to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.processes import ROOT, scratch_database, start_devtenant

PG_URL = os.environ.get("DESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


async def _child(full: bool) -> dict[str, Any]:
    """One sync in this process (the child): settings from the environment, as `app.py sync` reads them."""
    from aiohttp import web

    from app import SERVICES, create_app
    from handlers.directory_sync import run_sync
    from settings import Settings

    runner = web.AppRunner(create_app(Settings(), run_jobs=False))
    await runner.setup()
    try:
        baseline = _vm_hwm_mb()
        began = time.perf_counter()
        report = await run_sync(runner.app[SERVICES], full=full, replica="bench")
        seconds = time.perf_counter() - began
    finally:
        await runner.cleanup()
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": _vm_hwm_mb(),
        "rss_after_startup_mb": baseline,
        "report": report.summary(),
        "ok": report.ok and not report.skipped,
    }


async def _sync_in_child(info: dict[str, Any], database_url: str, *, full: bool) -> dict[str, Any]:
    env = {
        **os.environ,
        "DESK_MODE": "demo",  # demo mode migrates the empty database on start, as `make demo` does
        "DESK_DATABASE_URL": database_url,
        "DESK_CLIENT_ID": info["client_id"],
        "DESK_CLIENT_SECRET": info["client_secret"],
        "DESK_TENANT_ID": info["tenant_id"],
        "DESK_AUTHORITY_HOST": info["authority_host"],
        "DESK_GRAPH_BASE_URL": info["graph_base_url"],
        "DESK_EXCHANGE_BASE_URL": info["exchange_base_url"],
        "DESK_CA_BUNDLE": info["ca_pem_path"],
        "DESK_DEFAULT_SERVICE_URL": info["connector_url"],
        "DESK_ADMINS_GROUP_ID": info["demo"]["admins_group_id"],
        "DESK_PRICES_FILE": str(ROOT / "config" / "prices.json"),
    }
    args = [sys.executable, "-m", "bench.sync_tenant", "--child", "full" if full else "incremental"]
    process = await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"sync child failed ({process.returncode}): {err.decode()[-2000:]}")
    return json.loads(out.decode().strip().splitlines()[-1])


async def _calls(session: aiohttp.ClientSession, control: str) -> dict[str, int]:
    async with session.get(f"{control}/calls") as reply:
        calls = (await reply.json())["value"]
    counts: dict[str, int] = {}
    for call in calls:
        key = call["service"] if call["service"] != "exchange" else f"exchange:{call['cmdlet']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


async def _outside_changes(session: aiohttp.ClientSession, info: dict[str, Any]) -> None:
    """20 lists get a member and 10 people are disabled, through the tenant's own APIs (not the desk)."""
    async with session.post(
        info["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "scope": EXCHANGE_SCOPE,
        },
    ) as reply:
        token = (await reply.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    invoke = info["invoke_command_url"]

    async def cmdlet(name: str, **parameters: Any) -> list[dict[str, Any]]:
        body = {"CmdletInput": {"CmdletName": name, "Parameters": parameters}}
        async with session.post(invoke, json=body, headers=headers) as reply:
            payload = await reply.json(content_type=None)
            if reply.status != 200:
                raise RuntimeError(f"{name}: {payload}")
            return payload.get("value", [])

    lists = (await cmdlet("Get-DistributionGroup", ResultSize="Unlimited"))[:40]
    people = info["_people"]
    changed = 0
    for row in lists:
        if row.get("IsDirSynced") or changed >= 20:
            continue
        for person in people:
            members = {
                m.get("PrimarySmtpAddress", "").lower()
                for m in await cmdlet("Get-DistributionGroupMember", Identity=row["ExternalDirectoryObjectId"])
            }
            if person.lower() not in members:
                await cmdlet(
                    "Add-DistributionGroupMember",
                    Identity=row["ExternalDirectoryObjectId"],
                    Member=person,
                    BypassSecurityGroupManagerCheck=True,
                )
                changed += 1
                break
    for user_id in info["_disable"]:
        async with session.post(f"{info['control_url']}/users/{user_id}/disable") as reply:
            reply.raise_for_status()


async def _scenario(info: dict[str, Any], name: str, database: str, generate: dict[str, int] | None) -> dict[str, Any]:
    control = info["control_url"]
    base_url = PG_URL if database == "postgres" else None
    with tempfile.TemporaryDirectory() as scratch:
        url, drop = await scratch_database(PG_URL) if base_url else (f"sqlite+aiosqlite:///{scratch}/desk.db", None)
        try:
            connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=info["ca_pem_path"]))
            async with aiohttp.ClientSession(connector=connector) as session:
                async with session.post(f"{control}/reset") as reply:
                    reply.raise_for_status()
                generated: dict[str, Any] = {}
                if generate:
                    async with session.post(f"{control}/generate", json=generate) as reply:
                        generated = await reply.json()
                        reply.raise_for_status()
                async with session.delete(f"{control}/calls"):
                    pass
                full = await _sync_in_child(info, url, full=False)  # the first run of an empty cache is full
                full["calls"] = await _calls(session, control)
                async with session.delete(f"{control}/calls"):
                    pass
                await _outside_changes(session, info)
                async with session.delete(f"{control}/calls"):
                    pass
                incremental = await _sync_in_child(info, url, full=False)
                incremental["calls"] = await _calls(session, control)
        finally:
            if drop is not None:
                await drop()
    return {"tenant": name, "database": database, "generated": generated, "full": full, "incremental": incremental}


async def run(users: int, lists: int, per_list: int, databases: list[str]) -> dict[str, Any]:
    from devtenant import build_seed

    seed = build_seed()
    with tempfile.TemporaryDirectory() as scratch:
        devtenant = await start_devtenant(Path(scratch) / "devtenant")
        try:
            info = dict(devtenant.info)
            people = [u.mail for u in seed.users if u.account_enabled and u.mail][:3]
            info["_people"] = people
            info["_disable"] = [u.id for u in seed.users if u.account_enabled][10:20]
            results = []
            for database in databases:
                results.append(await _scenario(info, "seed", database, None))
                synthetic = {"users": users, "lists": lists, "members_per_list": per_list}
                results.append(await _scenario(info, f"synthetic {users} users / {lists} lists", database, synthetic))
            return {"results": results, "devtenant_peak_rss_mb": devtenant.peak_rss_mb()}
        finally:
            await devtenant.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--lists", type=int, default=2_000)
    parser.add_argument("--members-per-list", type=int, default=25)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--child", choices=["full", "incremental"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child == "full"))))
        return
    result = asyncio.run(run(args.users, args.lists, args.members_per_list, args.databases.split(",")))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

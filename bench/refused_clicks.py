"""Refused clicks: what each costs (every one writes an audit event under the head lock) and what a flood of them
does to everyone else's clicks, with devtenant and the desk as processes.

    python -m bench.refused_clicks [--clicks 200] [--concurrency 50] [--database-url postgresql+asyncpg://…]

Measured: a bystander's "My requests" click alone (baseline); an outsider's refused Approve clicks one after the
other within their budget of audited refusals (handlers.refusals), on an existing and on a missing request (their
times should not tell the two apart); then `clicks` clicks fired `concurrency` at a time while the bystander keeps
clicking: harmless ones (the control), refused ones by one person (past the budget) and refused ones spread over
enough people that each stays within it (every one audited). The audit events written are counted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bench.approve_roundtrip import _approve_data, _inbox, activity
from bench.processes import free_port, scratch_database, start_desk, start_devtenant
from cards.verbs import Verb
from devtenant import SeedUser, build_seed
from handlers.refusals import DEFAULT_LIMIT
from storage.db import create_engine, create_session_factory
from storage.models import AuditEvent

MISSING = "REQ-2026-999999"
SEQUENTIAL_PEOPLE = 5  # one after the other, each person's whole budget: 100 timings, half of them on each kind


def _summary(timings: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"n": len(timings), "p50": round(cuts[49], 1), "p99": round(cuts[98], 1), "max": round(max(timings), 1)}


async def _click(session: aiohttp.ClientSession, url: str, tenant: dict[str, Any], user: SeedUser, verb: str,
                 data: dict[str, Any]) -> tuple[float, Any]:
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
    body = activity(tenant, user, kind="invoke", name="adaptiveCard/action", value=value)
    began = time.perf_counter()
    async with session.post(f"{url}/api/messages", json=body) as response:
        payload = await response.json()
    return (time.perf_counter() - began) * 1000, payload


async def _bystander(session, url, tenant, user, count: int) -> list[float]:
    return [(await _click(session, url, tenant, user, Verb.MY_REQUESTS.value, {}))[0] for _ in range(count)]


async def run(clicks: int, concurrency: int, database_url: str | None) -> dict[str, Any]:
    seed = build_seed()
    admins = set(seed.admins_group.member_ids)
    employee, admin = seed.demo_employee, seed.demo_admin
    others = [u for u in seed.users if u.id not in admins and u.id != employee.id and u.account_enabled]
    bystander, outsiders = others[0], others[1:]
    with tempfile.TemporaryDirectory() as scratch:
        devtenant = await start_devtenant(Path(scratch) / "devtenant")
        tenant = devtenant.info | {"admins_group_id": seed.admins_group.id}
        url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        url, drop = await scratch_database(url)
        try:
            async with aiohttp.ClientSession() as session:
                desk, _ = await start_desk(tenant, url, free_port())
                try:
                    result = await _measure(session, desk.info["url"], tenant, employee, admin, outsiders, bystander,
                                            clicks, concurrency)
                finally:
                    await desk.stop()
            result["click_refused"] = await _count_refusals(url)
        finally:
            await devtenant.stop()
            await drop()
    return {"database": url.split(":", 1)[0], "clicks": clicks, "concurrency": concurrency, **result}


async def _measure(session, url, tenant, employee, admin, outsiders, bystander, clicks: int,
                   concurrency: int) -> dict[str, Any]:
    async with session.post(f"{url}/api/messages", json=activity(tenant, employee, text="request license E3")) as r:
        assert r.status in (200, 201, 202), await r.text()
    deadline = time.monotonic() + 60
    while not (found := [d for item in await _inbox(session, tenant, admin.id) if (d := _approve_data(item))]):
        assert time.monotonic() < deadline, "no approval card arrived"
        await asyncio.sleep(0.1)
    existing = found[0]
    missing = existing | {"request_id": MISSING}
    # Warm up: the first turn of each person stores their conversation reference.
    for user in (*outsiders[: SEQUENTIAL_PEOPLE + max(1, clicks // DEFAULT_LIMIT)], bystander):
        await _click(session, url, tenant, user, Verb.MY_REQUESTS.value, {})

    baseline = await _bystander(session, url, tenant, bystander, 40)

    # One person's refused clicks one after the other, within their budget (every one audited): existing and
    # missing requests alternate, and their times should not tell the two apart.
    on_existing, on_missing = [], []
    refusal = None
    for person in outsiders[:SEQUENTIAL_PEOPLE]:
        for index in range(DEFAULT_LIMIT):
            data = existing if index % 2 == 0 else missing
            elapsed, payload = await _click(session, url, tenant, person, Verb.APPROVE.value, data)
            refusal = refusal or payload
            assert payload == refusal, "every refusal is the same"
            (on_existing if index % 2 == 0 else on_missing).append(elapsed)

    async def flood(people: list[SeedUser], verb: str, payloads: list[dict[str, Any]],
                    expected: Any) -> tuple[list[float], list[float], float]:
        """`clicks` clicks spread over `people`, `concurrency` at a time, while the bystander clicks "My requests"."""
        gate = asyncio.Semaphore(concurrency)

        async def one(index: int) -> float:
            async with gate:
                elapsed, payload = await _click(session, url, tenant, people[index % len(people)], verb,
                                                payloads[index % len(payloads)])
                assert expected is None or payload == expected
                return elapsed

        began = time.perf_counter()
        flood_task = asyncio.gather(*(one(index) for index in range(clicks)))
        during = await _bystander(session, url, tenant, bystander, 40)
        timings = await flood_task
        return timings, during, time.perf_counter() - began

    # The control: as many harmless clicks ("My requests"), to tell the cost of a refusal apart from the cost of
    # any flood of clicks on one desk process.
    fresh = outsiders[SEQUENTIAL_PEOPLE:]
    per_person = max(1, clicks // DEFAULT_LIMIT)
    control, during_control, control_wall = await flood(fresh[:per_person], Verb.MY_REQUESTS.value, [{}], None)
    # One person (already past their budget): answered at once, counted, not audited one by one.
    one_person, during_one, one_wall = await flood(outsiders[:1], Verb.APPROVE.value, [existing, missing], refusal)
    # Many people, each within their budget: every click audited — the most a flood of accounts can make it write.
    many, during_many, many_wall = await flood(fresh[:per_person], Verb.APPROVE.value, [existing, missing], refusal)
    return {
        "bystander_my_requests_ms_alone": _summary(baseline),
        "refused_sequential_existing_ms": _summary(on_existing),
        "refused_sequential_missing_ms": _summary(on_missing),
        "control_flood_my_requests_ms": _summary(control),
        "control_flood_per_s": round(clicks / control_wall, 1),
        "bystander_ms_during_control_flood": _summary(during_control),
        "refused_flood_one_person_ms": _summary(one_person),
        "refused_flood_one_person_per_s": round(clicks / one_wall, 1),
        "bystander_ms_during_one_person_flood": _summary(during_one),
        "refused_flood_people": per_person,
        "refused_flood_many_people_ms": _summary(many),
        "refused_flood_many_people_per_s": round(clicks / many_wall, 1),
        "bystander_ms_during_many_people_flood": _summary(during_many),
    }


async def _count_refusals(url: str) -> dict[str, Any]:
    """The click.refused events: in all, per person, and the clicks they report as answered unaudited."""
    engine = create_engine(url)
    try:
        async with create_session_factory(engine)() as session:
            stmt = select(AuditEvent.actor_id, AuditEvent.detail).where(AuditEvent.action == "click.refused")
            rows = (await session.execute(stmt)).all()
    finally:
        await engine.dispose()
    per_person: dict[str, int] = {}
    for actor_id, _detail in rows:
        per_person[actor_id] = per_person.get(actor_id, 0) + 1
    return {
        "events": len(rows),
        "events_per_person": sorted(per_person.values(), reverse=True),
        "clicks_reported_unaudited": sum(int(detail.get("suppressed", 0)) for _actor, detail in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.clicks, args.concurrency, args.database_url)), indent=2))


if __name__ == "__main__":
    main()

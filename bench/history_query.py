"""History search (F21): p50/p95 of `history` with each single filter, server-side, on PostgreSQL with N requests.

    python -m bench.history_query [--requests 200000] [--users 100000] [--runs 50]

A scratch database is migrated (so the timings use 0009's indexes), then filled in bulk with COPY: N requests over
the last two years across every kind and state, a subject on a third of them, a decision on half, and the directory
cache's users. Each filter then runs the desk's own query (storage.repositories.history, first page of 11 rows)
`--runs` times in the desk's process; the table shows p50 and p95 in milliseconds, and the top node of the plan of the
statement that answered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import event

from app import families
from bench.processes import scratch_database
from kinds.history.grammar import parse_history
from kinds.history.search import resolve
from kinds.registry import build_registry
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.repositories.history import HistoryRepository

PG_URL = os.environ.get("DESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
STATES = ("completed",) * 12 + ("pending",) * 2 + ("rejected", "failed", "cancelled", "approved", "expired")
TARGETS = {
    "license": ("{name} · Office 365 E3", "{name} · Microsoft 365 Business Standard", "{name} · Office 365 E5"),
    "dl": ("List {n} <list{n}@contoso.com>", "Sales {n} <sales{n}@contoso.com>"),
    "mailbox": ("Mailbox {n} <shared{n}@contoso.com>", "Helpdesk {n} <helpdesk{n}@contoso.com>"),
    "group": ("Group {n}",),
}
FILTERS = (
    "history",
    "history user:person000042",
    "history user:user-000042",
    "history licenses",
    "history dl.join",
    "history pending",
    "history rejected",
    "history list:Sales",
    "history plan:E5",
    "history mailbox:helpdesk7",
    "history last 30 days",
    "history from:2025-06-01 to:2025-06-30",
    '"REQ-2026-0001"',
    "history text:person00004",
    "history text:helpdesk 7",
    "history incidents",
    "history incidents last 30 days",
    "history type:incident text:sync",
)


async def fill(url: str, *, requests: int, users: int) -> None:
    """Bulk rows with COPY; one connection, no ORM (the desk never writes this way, the bench only seeds)."""
    registry = build_registry(families())
    kinds = [kind.id for kind in registry.kinds]
    rng = random.Random(10)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await connection.copy_records_to_table(
            "dir_users",
            columns=["id", "display_name", "user_principal_name", "mail", "mail_key", "account_enabled", "deleted",
                     "synced_at"],
            records=[(f"user-{i:06d}", f"Person{i:06d}", f"person{i:06d}@contoso.com", f"person{i:06d}@contoso.com",
                      f"person{i:06d}@contoso.com", True, False, NOW) for i in range(users)],
        )
        rows, subjects, decisions = [], [], []
        span = timedelta(days=730).total_seconds()
        for i in range(1, requests + 1):
            kind = rng.choice(kinds)
            person = rng.randrange(users)
            created = NOW - timedelta(seconds=span * (requests - i) / requests)
            label = rng.choice(TARGETS.get(kind.split(".")[0], TARGETS["group"])).format(
                name=f"Person{rng.randrange(users):06d}", n=rng.randrange(500))
            state = rng.choice(STATES)
            rows.append((i, f"REQ-{created.year}-{i:06d}", kind, f"user-{person:06d}", f"Person{person:06d}",
                         label.split("<")[-1].rstrip(">"), label, "{}", "[]", "[]", state, 1, "en", created, created,
                         created if state != "pending" else None, None, None, None, None))
            if i % 3 == 0:
                subjects.append((i, f"user-{rng.randrange(users):06d}"))
            if i % 2 == 0 and state != "pending":
                approver = rng.randrange(users)
                decisions.append((i, f"user-{approver:06d}", f"Person{approver:06d}", "approved", created))
        await connection.copy_records_to_table(
            "requests",
            columns=["id", "public_id", "kind", "requester_id", "requester_name", "target_id", "target_label",
                     "payload", "plan", "approver_ids", "state", "version", "locale", "created_at", "updated_at",
                     "decided_at", "completed_at", "due_at", "error", "result"],
            records=rows,
        )
        await connection.copy_records_to_table("request_subjects", columns=["request_id", "user_id"], records=subjects)
        await connection.copy_records_to_table(
            "decisions", columns=["request_id", "approver_id", "approver_name", "outcome", "created_at"],
            records=decisions,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def measure(url: str, runs: int) -> list[tuple[str, float, float, int, str]]:
    registry = build_registry(families())
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    results = []
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters or ()))
    try:
        for text in FILTERS:
            command = parse_history(text if text.startswith("history") else f"history {text}")
            assert command is not None and command.problem is None, text
            wanted = resolve(command.query, registry, now=NOW, zone=ZoneInfo("Europe/Warsaw"))
            timings = []
            found = 0
            async with sessions() as session:
                repository = HistoryRepository(session)
                await repository.search(wanted, offset=0, limit=11)  # warm the statement cache
                for _ in range(runs):
                    started = time.perf_counter()
                    found = len(await repository.search(wanted, offset=0, limit=11))
                    timings.append((time.perf_counter() - started) * 1000)
                # The plan of the statement that answered (free text may be answered by its few matches).
                statements.clear()
                await repository.search(wanted, offset=0, limit=11)
                statement, parameters = statements[-1]
                raw = (await (await session.connection()).get_raw_connection()).driver_connection
                plan = (await raw.fetch("EXPLAIN " + statement, *parameters))[0][0]
            timings.sort()
            p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
            results.append((text, statistics.median(timings), p95, found, str(plan).strip()[:60]))
    finally:
        await engine.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    url, drop = await scratch_database(PG_URL)
    try:
        await upgrade(url)
        started = time.perf_counter()
        await fill(url, requests=args.requests, users=args.users)
        print(f"seeded {args.requests:,} requests, {args.users:,} users in {time.perf_counter() - started:.1f} s")
        rows = await measure(url, args.runs)
    finally:
        await drop()
    print(json.dumps({"requests": args.requests, "runs": args.runs}))
    print(f"{'filter':42} {'p50 ms':>8} {'p95 ms':>8} {'rows':>5}  plan")
    for text, p50, p95, found, plan in rows:
        print(f"{text:42} {p50:8.1f} {p95:8.1f} {found:5d}  {plan}")


if __name__ == "__main__":
    asyncio.run(main())

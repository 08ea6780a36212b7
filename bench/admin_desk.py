"""The admins' desk at scale (issue 10): p50/p95 of `history` (every filter, free text too), `pending`, `unused lists`,
`orphaned` and `statistics`, server-side on PostgreSQL; and the daily message-trace collection's query budget.

    python -m bench.admin_desk [--requests 200000] [--users 100000] [--lists 20000] [--mailboxes 5000]
                               [--audit 1000000] [--runs 50] [--trace-lists 20000] [--keep | --database URL]

A scratch database is migrated (the timings use every index the migrations make), then filled in bulk with COPY:
bench.history_query's requests and users, then lists with owners and members, shared mailboxes with recorded owners
and delegates, audit events, "last mail seen" rows and the collection's cursor; a twentieth of the users disabled,
one in forty deleted, managers everywhere. Each command runs through the desk's own handler (an admin's reply, card
included; the statistics also by their queries alone, and with every chart drawn anew rather than kept by the
family, as after any change of the figures), `--runs` times in the desk's process. `--keep` leaves the
seeded database in place and prints its URL; `--database URL` times against such a database again (migrated to head
first, not seeded), for EXPLAIN ANALYZE and quick iterations.

The trace part runs kinds/usage/collect.py against the in-memory tenant (its message trace enforces Exchange's
limits: 10 days and 5,000 rows per query, 100 queries per rolling 5 minutes) with a settable clock: the first round
(90 days back) and then, after a day in which a quarter of the lists got mail, the daily round; each resuming 5 minutes
after a run spent its budget, as the periodic task does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from app import families
from bench.history_query import NOW, fill, measure
from bench.processes import scratch_database
from cards.i18n import installed_catalogues
from handlers.context import Actor, Reply
from handlers.plans import PlanCatalogue
from handlers.services import ApprovalPolicy, Services
from kinds.orphans.commands import ShowOrphaned
from kinds.orphans.report import show_orphaned
from kinds.queue.commands import ShowPending
from kinds.queue.pending import show_pending
from kinds.registry import build_registry
from kinds.statistics.commands import ShowStatistics
from kinds.statistics.report import gather_figures, show_statistics
from kinds.usage.collect import QUERY_BUDGET, STATE_NAME, CollectionRun, Cursor, collect_now
from kinds.usage.commands import LISTS, ShowUnused
from kinds.usage.report import show_unused
from kinds.usage.schedule import RESUME_AFTER_SECONDS
from m365.memory import memory_tenant, tenant_state
from m365.memory.seed import GroupSeed, ListSeed, TenantSeed, UserSeed
from m365.ports import TRACE_MAX_DAYS_PER_QUERY, TRACE_MAX_RESULT_SIZE, TRACE_QUERIES_PER_WINDOW
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

PG_URL = os.environ.get("DESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
ADMIN_ID, ADMINS_GROUP = "bench-admin", "bench-admins"


async def fill_admin_desk(url: str, *, users: int, lists: int, mailboxes: int, audit: int, requests: int) -> None:
    """The directory cache's lists and mailboxes, audit events and last-mail-seen rows (COPY; users already in)."""
    rng = random.Random(11)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        # A kind another engineer is still adding may have no name in the catalogue yet; the queue card needs one.
        english = installed_catalogues()["en"].messages
        unnamed = [kind.id for kind in build_registry(families()).kinds if f"request.kind.{kind.id}" not in english]
        if unnamed:
            await connection.execute("UPDATE requests SET kind = 'dl.join' WHERE kind = ANY($1::text[])", unnamed)
        await connection.execute(
            "UPDATE dir_users SET account_enabled = (CAST(substr(id, 6) AS integer) % 20 <> 0), "
            "deleted = (CAST(substr(id, 6) AS integer) % 40 = 1), "
            "manager_id = 'user-' || lpad(CAST(CAST(substr(id, 6) AS integer) / 10 AS text), 6, '0')")

        def person(i: int) -> str:
            return f"person{i:06d}@contoso.com"

        list_rows, members = [], []
        for n in range(lists):
            # One list in fifty has no owner; the rest one to three people (some of them disabled or deleted).
            owners = [] if n % 50 == 0 else [person(rng.randrange(users)) for _ in range(rng.randint(1, 3))]
            address = f"list{n:05d}@contoso.com"
            list_rows.append((f"dl-{n:05d}", f"List {n:05d}", f"List {n:05d}", address, address, f"list{n:05d}", "",
                              "Closed", "Open", False, False, NOW, json.dumps(owners), NOW))
            for member in rng.sample(range(users), 10):
                members.append((f"dl-{n:05d}", person(member), person(member), f"Person{member:06d}",
                                f"user-{member:06d}", "UserMailbox"))
        await connection.copy_records_to_table(
            "dir_lists", columns=["identity", "name", "display_name", "address", "address_key", "alias",
                                  "description", "member_join_restriction", "member_depart_restriction",
                                  "accepts_external_senders", "is_dir_synced", "changed_at", "owners", "synced_at"],
            records=list_rows)
        await connection.copy_records_to_table(
            "dir_list_members", columns=["list_id", "address", "address_key", "display_name", "object_id",
                                         "recipient_type"], records=members)
        boxes, owners_rows, delegates = [], [], []
        for n in range(mailboxes):
            address = f"shared{n:05d}@contoso.com"
            boxes.append((f"mbx-{n:05d}", f"Shared {n:05d}", f"Shared {n:05d}", f"shared{n:05d}", address, address,
                          False, NOW, NOW))
            for owner in rng.sample(range(users), 0 if n % 50 == 0 else rng.randint(1, 2)):
                owners_rows.append((f"mbx-{n:05d}", f"user-{owner:06d}", person(owner), person(owner),
                                    f"Person{owner:06d}"))
            for access, delegate in zip(("FullAccess", "SendAs", "FullAccess", "SendOnBehalf"),
                                        rng.sample(range(users), 4), strict=True):
                delegates.append((f"mbx-{n:05d}", access, person(delegate), person(delegate), f"Person{delegate:06d}",
                                  f"user-{delegate:06d}", None))
        await connection.copy_records_to_table(
            "dir_mailboxes", columns=["identity", "name", "display_name", "alias", "address", "address_key",
                                      "is_dir_synced", "changed_at", "synced_at"], records=boxes)
        await connection.copy_records_to_table(
            "dir_mailbox_owners", columns=["mailbox_id", "user_id", "address", "address_key", "display_name"],
            records=owners_rows)
        await connection.copy_records_to_table(
            "dir_mailbox_delegates", columns=["mailbox_id", "access", "address", "address_key", "display_name",
                                              "object_id", "auto_mapping"], records=delegates)
        # Three lists in four received mail in the last 200 days; the collection has watched for 120.
        seen = [(f"list{n:05d}@contoso.com", f"list{n:05d}@contoso.com",
                 NOW - timedelta(days=rng.uniform(0, 200)), NOW) for n in range(lists) if n % 4]
        await connection.copy_records_to_table(
            "last_mail_seen", columns=["address_key", "address", "last_received", "updated_at"], records=seen)
        cursor = Cursor(covered_since=(NOW - timedelta(days=120)).isoformat(), collected_until=NOW.isoformat())
        await connection.execute("INSERT INTO dir_sync_state (name, cursor) VALUES ($1, $2)", STATE_NAME,
                                 cursor.save())
        span = timedelta(days=730).total_seconds()
        events = []
        for i in range(1, audit + 1):
            created = NOW - timedelta(seconds=span * (audit - i) / audit)
            request_id = max(1, min(requests, i * requests // audit))
            events.append((i, request_id, f"user-{rng.randrange(users):06d}", "Person", "request.submitted",
                           "{}", created, f"{i - 1:064x}", f"{i:064x}"))
            if len(events) == 100_000 or i == audit:
                await connection.copy_records_to_table(
                    "audit_events", columns=["id", "request_id", "actor_id", "actor_name", "action", "detail",
                                             "created_at", "prev_hash", "hash"], records=events)
                events = []
        # Incidents beside the requests (F18): one for every ten requests over the same two years, the last 300 open.
        incidents = []
        count = max(requests // 10, 1)
        for i in range(1, count + 1):
            created = NOW - timedelta(seconds=span * (count - i) / count)
            state = ("new", "in_progress", "waiting_for_user")[i % 3] if i > count - 300 else "closed"
            done = None if state != "closed" else created + timedelta(hours=rng.uniform(1, 80))
            incidents.append((i, f"INC-{created.year}-{i:06d}", f"user-{rng.randrange(users):06d}", f"Person{i:06d}",
                              "en", f"Outlook problem {i}: mail does not sync", rng.choice(("mailbox", "other")),
                              "medium", "medium", rng.choice(("P1", "P2", "P3", "P4")), 1, state, 1, created, created,
                              created + timedelta(hours=8), created + timedelta(days=5), done, done, done))
        await connection.copy_records_to_table(
            "incidents", columns=["id", "public_id", "reporter_id", "reporter_name", "locale", "text", "category",
                                  "impact", "urgency", "priority", "support_level", "state", "version", "created_at",
                                  "updated_at", "first_response_due_at", "resolution_due_at", "first_responded_at",
                                  "resolved_at", "closed_at"], records=incidents)
        await connection.execute("VACUUM ANALYZE")  # a settled database, as autovacuum leaves it
    finally:
        await connection.close()


def admin_services(engine: AsyncEngine, clock: Callable[[], datetime], seed: TenantSeed) -> Services:
    """Services as app.py wires them, over an in-memory tenant (its admins group) and ``engine``'s database."""
    return Services(
        uow=UnitOfWorkFactory(create_session_factory(engine)),
        tenant=memory_tenant(seed, clock=clock),
        messenger=None,  # type: ignore[arg-type]  # the commands timed here answer; none sends
        policy=ApprovalPolicy(admins_group_id=ADMINS_GROUP),
        plans=PlanCatalogue.load(),
        kinds=build_registry(families()),
        clock=clock,
    )


def admin_seed(lists: tuple[ListSeed, ...] = ()) -> TenantSeed:
    admin = UserSeed("admin@contoso.com", "Bench Admin", id=ADMIN_ID)
    return TenantSeed(users=(admin,), groups=(GroupSeed(ADMINS_GROUP, "Admins", (ADMIN_ID,)),), lists=lists)


async def time_commands(url: str, runs: int) -> list[tuple[str, float, float, str]]:
    engine = create_engine(url)
    services = admin_services(engine, lambda: NOW, admin_seed())
    actor = Actor(user_id=ADMIN_ID, name="Bench Admin", tenant_id="bench", locale="en-US")
    (statistics,) = [command.handle for command in services.kinds.commands if command.name == "statistics"]

    commands: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
        ("pending", lambda: show_pending(services, actor, ShowPending())),
        ("pending lists", lambda: show_pending(services, actor, ShowPending(kind="lists"))),
        ("pending incidents", lambda: show_pending(services, actor, ShowPending(kind="incidents"))),
        ("unused lists 90d", lambda: show_unused(services, actor, ShowUnused(what=LISTS, days="90"))),
        ("orphaned", lambda: show_orphaned(services, actor, ShowOrphaned())),
        ("statistics (queries)", lambda: gather_figures(services, NOW)),
        # As the desk answers: the family's handler, whose charts are drawn once per change of their figures.
        ("statistics (reply)", lambda: statistics(services, actor, ShowStatistics())),
        ("statistics (reply, every chart drawn anew)", lambda: show_statistics(services, actor, ShowStatistics())),
    ]
    try:
        results = [await _timed(name, call, runs) for name, call in commands]
    finally:
        await engine.dispose()
    return results


async def _timed(name: str, call: Callable[[], Awaitable[Any]], runs: int) -> tuple[str, float, float, str]:
    first = await call()  # warms the statement cache
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    return name, statistics.median(timings), p95, _answered(first)


def _answered(result: object) -> str:
    """What came back, so a refusal ("not collected", "not admin") cannot pass for a fast answer."""
    if not isinstance(result, Reply):
        return ""
    return "card" if result.card is not None else (result.text or "")[:40]


async def trace_budget(lists: int) -> list[str]:
    """The collection for ``lists`` lists on the memory tenant: first round, then one day later the daily round."""
    moment = [NOW]
    rng = random.Random(12)
    seeds = tuple(ListSeed(alias=f"list{n:05d}", display_name=f"List {n:05d}", id=f"dl-{n:05d}") for n in range(lists))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'trace.db'}"
        await upgrade(url)
        engine = create_engine(url)
        services = admin_services(engine, lambda: moment[0], admin_seed(seeds))
        records = tenant_state(services.tenant).usage
        for n in range(0, lists, 4):  # a quarter of the lists get mail, a few messages in the last 100 days
            records.add_messages(f"list{n:05d}@contoso.com",
                                 [NOW - timedelta(days=rng.uniform(0, 100)) for _ in range(2)])
        lines = []
        for label in ("first round (90 days)", "daily round (1 day)"):
            started, wall = moment[0], time.perf_counter()
            runs: list[CollectionRun] = []
            while True:
                run = await collect_now(services, "bench", force=True)
                runs.append(run)
                if run.stopped not in ("budget", "throttled"):
                    break
                moment[0] += timedelta(seconds=RESUME_AFTER_SECONDS)
            queries = sum(r.queries for r in runs)
            throttled = sum(r.stopped == "throttled" for r in runs)
            elapsed = moment[0] - started
            lines.append(f"{label:24} {queries:6d} queries in {len(runs):3d} runs (≤{QUERY_BUDGET} each, "
                         f"{throttled} throttled), {sum(r.rows for r in runs):7d} rows, done after {elapsed} of "
                         f"tenant time ({time.perf_counter() - wall:.1f} s to simulate); {runs[-1].stopped}")
            day_before, moment[0] = moment[0], moment[0] + timedelta(days=1)
            for n in range(0, lists, 4):  # and the same lists get a message or two during the next day
                records.add_messages(f"list{n:05d}@contoso.com",
                                     [day_before + timedelta(hours=rng.uniform(0, 23)) for _ in range(n % 2 + 1)])
        lines.append(f"limits: {TRACE_QUERIES_PER_WINDOW} queries / 5 min, ≤{TRACE_MAX_DAYS_PER_QUERY} days and "
                     f"{TRACE_MAX_RESULT_SIZE} rows per query; {lists} lists in chunks of 100 recipients")
        await engine.dispose()
    return lines


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--lists", type=int, default=20_000)
    parser.add_argument("--mailboxes", type=int, default=5_000)
    parser.add_argument("--audit", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--trace-lists", type=int, default=20_000, help="0: no message-trace part")
    reuse = parser.add_mutually_exclusive_group()
    reuse.add_argument("--keep", action="store_true", help="leave the seeded scratch database (its URL is printed)")
    reuse.add_argument("--database", help="time against a database an earlier --keep run seeded")
    args = parser.parse_args()
    url, drop = (args.database, None) if args.database else await scratch_database(PG_URL)
    try:
        await upgrade(url)
        if not args.database:
            started = time.perf_counter()
            await fill(url, requests=args.requests, users=args.users)
            await fill_admin_desk(url, users=args.users, lists=args.lists, mailboxes=args.mailboxes,
                                  audit=args.audit, requests=args.requests)
            print(f"seeded {args.requests:,} requests, {args.users:,} users, {args.lists:,} lists, "
                  f"{args.mailboxes:,} mailboxes, {args.audit:,} audit events in {time.perf_counter() - started:.1f} s")
        history = await measure(url, args.runs)
        commands = await time_commands(url, args.runs)
    finally:
        if args.keep:
            print(f"kept: --database {url}")
        elif drop is not None:
            await drop()
    print(json.dumps({k: v for k, v in vars(args).items()} | {"at": datetime.now(UTC).isoformat(timespec="seconds")}))
    print(f"{'command':42} {'p50 ms':>8} {'p95 ms':>8}  notes")
    for text, p50, p95, found, plan in history:
        print(f"{text:42} {p50:8.1f} {p95:8.1f}  {found} rows; {plan}")
    for name, p50, p95, note in commands:
        print(f"{name:42} {p50:8.1f} {p95:8.1f}  {note}")
    if args.trace_lists:
        print("message trace collection:")
        for line in await trace_budget(args.trace_lists):
            print("  " + line)


if __name__ == "__main__":
    asyncio.run(main())

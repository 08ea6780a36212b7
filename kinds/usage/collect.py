"""The daily "last mail seen" collection (F20): message trace for every distribution list, in slices Exchange
accepts (at most 10 days, the last 90 days, 5,000 rows without paging), within a query budget per run, resumable.

A round covers [from, to): on the first run from 90 days back (Exchange keeps no more), later from where the last
round ended. It walks recipients in chunks and each chunk through 10-day slices, newest first; a full answer is
continued from its last row (StartingRecipientAddress and that row's time as EndDate). Where it stopped (budget spent,
throttled, a crash) is the cursor, saved after every query together with what the query found, so the next run goes
on from there and nothing is asked twice. One run per day across replicas: a lease, and the day of the last finished
round. ``collect_now`` is the trigger (tests and the periodic task call it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from handlers.services import Services
from m365.errors import Throttled
from m365.ports import TRACE_HISTORY_DAYS, TRACE_MAX_DAYS_PER_QUERY, TRACE_MAX_RESULT_SIZE, TraceRow, Usage

logger = logging.getLogger(__name__)

STATE_NAME = "usage.last_mail_seen"
# 100 queries per rolling 5 minutes are the tenant's, shared with admins' own traces: a run takes at most 80.
QUERY_BUDGET = 80
RECIPIENTS_PER_QUERY = 100
LEASE = timedelta(minutes=30)
# Exchange refuses a start older than 90 days; an hour of margin keeps clock skew from costing a refused query.
HISTORY_MARGIN = timedelta(hours=1)


@dataclass(slots=True)
class Cursor:
    """Where the collection is: the history it covers, the finished rounds, and the round in progress."""

    covered_since: str  # ISO: the desk has watched lists' mail since then ("never seen in N days of history")
    collected_until: str | None = None  # the end of the last finished round
    round_from: str | None = None
    round_to: str | None = None
    chunk: int = 0  # index of the recipients chunk in progress
    slice_end: str | None = None  # the slice in progress ends here (walking back to round_from)
    end_date: str | None = None  # a full answer's continuation: its last row's time ...
    starting_recipient: str | None = None  # ... and recipient

    def save(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def load(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError):
            logger.warning("last-mail-seen cursor unreadable; starting a new round")
            return None


@dataclass(frozen=True, slots=True)
class CollectionRun:
    """What one run did: queries sent, rows read, whether the round finished, why it stopped."""

    queries: int
    rows: int
    finished: bool
    stopped: str  # "done", "budget", "throttled", "already_today", "lease_held", "no_usage_port"


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def collect_now(services: Services, owner: str, *, budget: int = QUERY_BUDGET,
                      chunk_size: int = RECIPIENTS_PER_QUERY, force: bool = False) -> CollectionRun:
    """One run: claim the lease, go on with the round (or start today's), stop when done or out of budget."""
    usage = services.tenant.usage
    if usage is None:
        return CollectionRun(0, 0, False, "no_usage_port")
    now = services.clock()
    async with services.uow() as uow:
        claimed = await uow.leases.try_claim(STATE_NAME, owner, now + LEASE, now)
        await uow.commit()
        if not claimed:
            return CollectionRun(0, 0, False, "lease_held")
        cursor = Cursor.load(await uow.sync_state.cursor(STATE_NAME))
    try:
        return await _run(services, usage, cursor, now, budget, chunk_size, force)
    finally:
        async with services.uow() as uow:
            await uow.leases.release(STATE_NAME, owner)
            await uow.commit()


async def _run(services: Services, usage: Usage, cursor: Cursor | None, now: datetime, budget: int,
               chunk_size: int, force: bool) -> CollectionRun:
    oldest = now - timedelta(days=TRACE_HISTORY_DAYS) + HISTORY_MARGIN
    if cursor is None:
        cursor = Cursor(covered_since=oldest.isoformat())
    if cursor.round_from is None:
        last_end = _t(cursor.collected_until) if cursor.collected_until else None
        if last_end is not None and last_end.date() == now.date() and not force:
            return CollectionRun(0, 0, True, "already_today")
        start = max(last_end, oldest) if last_end is not None else oldest
        cursor.round_from, cursor.round_to, cursor.chunk, cursor.slice_end = start.isoformat(), now.isoformat(), 0, \
            now.isoformat()
    addresses = sorted({dl.primary_smtp_address.lower() for dl in await services.tenant.distribution_lists.all_lists()
                        if dl.primary_smtp_address})
    chunks = [addresses[i:i + chunk_size] for i in range(0, len(addresses), chunk_size)]
    queries = rows_read = 0
    # A round spread over several runs (the budget, throttling) outlives its start: Exchange keeps 90 days from *now*,
    # so the start moves forward with every run, and what aged out before it was read is lost, not asked for again.
    round_from = max(_t(cursor.round_from), oldest)
    cursor.round_from = round_from.isoformat()
    while cursor.chunk < len(chunks):
        if queries >= budget:
            return CollectionRun(queries, rows_read, False, "budget")
        slice_end = _t(cursor.slice_end or cursor.round_to or now.isoformat())
        if slice_end <= round_from:  # this chunk's older slices have aged out meanwhile: on to the next chunk
            cursor.chunk, cursor.slice_end, cursor.end_date, cursor.starting_recipient = (
                cursor.chunk + 1, cursor.round_to, None, None)
            continue
        slice_start = max(round_from, slice_end - timedelta(days=TRACE_MAX_DAYS_PER_QUERY))
        end = _t(cursor.end_date) if cursor.end_date else slice_end
        try:
            rows = await usage.message_trace(chunks[cursor.chunk], slice_start, end,
                                             result_size=TRACE_MAX_RESULT_SIZE,
                                             starting_recipient=cursor.starting_recipient)
        except Throttled:
            logger.info("message trace throttled after %d queries; the next run goes on", queries)
            return CollectionRun(queries, rows_read, False, "throttled")
        queries += 1
        rows_read += len(rows)
        _advance(cursor, rows, slice_start, round_from)
        await _save(services, cursor, _newest(rows), now)
    cursor.collected_until, cursor.round_from, cursor.round_to = cursor.round_to, None, None
    cursor.chunk, cursor.slice_end = 0, None
    await _save(services, cursor, {}, now, finished=True)
    return CollectionRun(queries, rows_read, True, "done")


def _advance(cursor: Cursor, rows: Sequence[TraceRow], slice_start: datetime, round_from: datetime) -> None:
    """The next query: the rest of a full answer, else the older slice, else the next chunk from the newest slice."""
    if len(rows) >= TRACE_MAX_RESULT_SIZE:
        last = rows[-1]
        cursor.end_date, cursor.starting_recipient = last.received.isoformat(), last.recipient_address
        return
    cursor.end_date = cursor.starting_recipient = None
    if slice_start > round_from:
        cursor.slice_end = slice_start.isoformat()
        return
    cursor.chunk += 1
    cursor.slice_end = cursor.round_to


def _newest(rows: Sequence[TraceRow]) -> dict[str, datetime]:
    newest: dict[str, datetime] = {}
    for row in rows:
        key = row.recipient_address.lower()
        if key not in newest or row.received > newest[key]:
            newest[key] = row.received
    return newest


async def _save(services: Services, cursor: Cursor, seen: dict[str, datetime], now: datetime, *,
                finished: bool = False) -> None:
    """What a query found and where to go on, in one transaction: a crash between them cannot lose or skip rows."""
    async with services.uow() as uow:
        await uow.last_mail_seen.raise_to(seen, now)
        await uow.sync_state.set_cursor(STATE_NAME, cursor.save())
        if finished:
            await uow.sync_state.record_run(STATE_NAME, started_at=now, full=True)
        await uow.commit()


async def covered_since(services: Services) -> datetime | None:
    """Since when the desk has watched lists' mail (None before the first run)."""
    async with services.uow() as uow:
        cursor = Cursor.load(await uow.sync_state.cursor(STATE_NAME))
    return _t(cursor.covered_since) if cursor is not None else None

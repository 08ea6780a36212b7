"""The directory sync (F7): Exchange lists and shared mailboxes and Graph users into the desk's cache.

One run: claim the database lease (one replica per period), then users (Graph delta, resumable page by page),
lists with members and shared mailboxes with delegates (full the first time and once a day, otherwise only what
Exchange reports changed since the last run, plus the deletions found by comparing identities). Each page, chunk
of lists or chunk of mailboxes is its own transaction, so memory stays flat and a crash loses at most one chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from handlers.services import Services
from handlers.stopping import StopSignal
from m365.errors import DeltaTokenExpired, M365Error, NotFound
from m365.ports import DistributionList, SharedMailbox
from storage.columns import utcnow
from storage.repositories.directory_cache import DirectoryCacheRepository

logger = logging.getLogger(__name__)

LEASE = "directory"  # the sync state row whose lease decides which replica runs
USERS = "users"  # cursor: the stored next/delta link of Graph /users/delta
USERS_ROUND = "users.round"  # cursor: when the current full round of users began (ISO), while one is open
LISTS = "lists"  # cursor: the watermark (ISO start of the last successful run of the lists part)
MAILBOXES = "mailboxes"

LEASE_SECONDS = 600.0  # renewed after every chunk, so only a dead replica's lease runs out
# WhenChangedUTC is written by Exchange's servers and replicated with some delay: ask for a little more than
# "since the last run began" so a change committed just before that moment is not missed.
SAFETY_MARGIN = timedelta(minutes=5)
# A full pass now and then repairs what incremental runs cannot see (e.g. a delegation that did not touch the
# mailbox's WhenChanged).
FULL_EVERY = timedelta(hours=24)
CHUNK = 25  # lists (or mailboxes) per transaction
READ_CONCURRENCY = 4  # member/delegate reads in flight at once: well inside Exchange's per-app throttling budget

T = TypeVar("T")


class SyncLeaseLost(RuntimeError):
    """Another replica took the lease over (ours expired): this run stops writing."""


class SyncStopped(RuntimeError):
    """The desk is shutting down: the run ends after its current chunk; the stored cursors resume it next time."""


@dataclass(slots=True)
class SyncReport:
    """What one run did; ``skipped`` when another replica held the lease or ran this period already."""

    full: bool = False  # asked for, or due (first run, daily pass) for lists or mailboxes
    skipped: bool = False
    users_changed: int = 0
    users_removed: int = 0
    lists_added: int = 0
    lists_changed: int = 0
    lists_removed: int = 0
    mailboxes_added: int = 0
    mailboxes_changed: int = 0
    mailboxes_removed: int = 0
    duration_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.skipped:
            return "directory sync skipped: another replica holds the lease or ran this period"
        parts = [
            f"users {self.users_changed} changed, {self.users_removed} removed",
            f"lists {self.lists_added} added, {self.lists_changed} changed, {self.lists_removed} removed",
            f"mailboxes {self.mailboxes_added} added, {self.mailboxes_changed} changed, "
            f"{self.mailboxes_removed} removed",
        ]
        head = f"directory sync ({'full' if self.full else 'incremental'}, {self.duration_seconds:.1f} s): "
        tail = f"; errors: {' | '.join(self.errors)}" if self.errors else ""
        return head + "; ".join(parts) + tail


@dataclass(slots=True)
class _Run:
    services: Services
    owner: str
    report: SyncReport
    lease_seconds: float
    stop: StopSignal | None = None

    async def renew(self) -> None:
        """Extend the lease after a chunk; stop when it is not ours any more or when the desk shuts down."""
        if self.stop is not None and self.stop.requested:
            raise SyncStopped("the desk is shutting down")
        async with self.services.uow() as uow:
            kept = await uow.leases.extend(LEASE, self.owner, utcnow() + timedelta(seconds=self.lease_seconds))
            await uow.commit()
        if not kept:
            raise SyncLeaseLost(f"lease {LEASE!r} was taken over from {self.owner}")


async def run_sync(
    services: Services,
    *,
    full: bool = False,
    replica: str = "",
    min_interval_seconds: float = 0.0,
    safety_margin: timedelta = SAFETY_MARGIN,
    full_every: timedelta = FULL_EVERY,
    lease_seconds: float = LEASE_SECONDS,
    stop: StopSignal | None = None,
) -> SyncReport:
    """One sync run, if this caller wins the lease (and, with ``min_interval_seconds``, if no run succeeded that
    recently: how several replicas on the same period end up with one run per period)."""
    started = time.monotonic()
    # Unique per run, so two runs in one process are rivals too.
    owner = f"{replica or 'desk'}:{uuid.uuid4().hex[:12]}"
    # Wall-clock time, not services.clock (business time that tests move around): the lease is shared with other
    # processes, and the watermark is compared with Exchange's own WhenChangedUTC.
    now = utcnow()
    async with services.uow() as uow:
        claimed = await uow.leases.try_claim(LEASE, owner, now + timedelta(seconds=lease_seconds), now)
        state = await uow.sync_state.state(LEASE) if claimed else None
        await uow.commit()
    if not claimed:
        return SyncReport(full=full, skipped=True)
    report = SyncReport(full=full)
    try:
        if (
            not full
            and min_interval_seconds > 0
            and state is not None
            and state.last_run is not None
            and state.last_run > now - timedelta(seconds=min_interval_seconds)
        ):
            report.skipped = True
            return report
        run = _Run(services, owner, report, lease_seconds, stop)
        await _part(run, "users", _sync_users(run, full=full))
        await _part(run, "lists", _sync_objects(run, _lists(services), full=full, margin=safety_margin,
                                                full_every=full_every))
        if services.tenant.mailboxes is not None:
            await _part(run, "mailboxes", _sync_objects(run, _mailboxes(services), full=full, margin=safety_margin,
                                                        full_every=full_every))
        async with services.uow() as uow:
            error = "; ".join(report.errors) or None
            await uow.sync_state.record_run(LEASE, started_at=now, full=report.full, error=error)
            await uow.commit()
        return report
    finally:
        report.duration_seconds = time.monotonic() - started
        # Shielded: a cancelled run (shutdown) still hands the lease back rather than make the others wait it out.
        with contextlib.suppress(Exception):
            await asyncio.shield(_release(services, owner))


async def _release(services: Services, owner: str) -> None:
    async with services.uow() as uow:
        await uow.leases.release(LEASE, owner)
        await uow.commit()


async def _part(run: _Run, name: str, work: Awaitable[None]) -> None:
    """One part of the run; its failure is recorded and the other parts still run (a lost lease stops all)."""
    try:
        await work
    except (SyncLeaseLost, SyncStopped, asyncio.CancelledError):
        raise
    except Exception as error:  # noqa: BLE001 - any failure of one part: logged, reported, retried next period
        logger.exception("directory sync: %s failed", name)
        run.report.errors.append(f"{name}: {type(error).__name__}: {error}")


# ------------------------------------------------------------------ users (Graph delta)


def _delta_expired(error: M365Error) -> bool:
    """Graph's "sync state not found" (400) or "resync required" (410): the stored link is no good any more."""
    return (
        isinstance(error, DeltaTokenExpired)
        or error.status == 410
        or error.code in {"syncStateNotFound", "resyncRequired"}
    )


async def _sync_users(run: _Run, *, full: bool) -> None:
    source = run.services.tenant.directory_sync
    if source is None:
        return
    uow_factory = run.services.uow
    async with uow_factory() as uow:
        link = None if full else await uow.sync_state.cursor(USERS)
        round_started = await uow.sync_state.cursor(USERS_ROUND)
    restarted = False
    while True:
        if link is None:
            # A fresh full round: users it does not report were deleted while we were not looking (a delta round
            # only reports removals since its token, and a restarted round has no token).
            round_started = utcnow().isoformat()
            async with uow_factory() as uow:
                await uow.sync_state.set_cursor(USERS_ROUND, round_started)
                await uow.commit()
        try:
            page = await source.users_delta(link)
        except M365Error as error:
            if restarted or link is None or not _delta_expired(error):
                raise
            logger.warning("directory sync: users delta link expired (%s); starting a full round", error.code)
            restarted, link = True, None
            continue
        swept = 0
        async with uow_factory() as uow:
            if page.users:
                await uow.user_cache.upsert_users(page.users)
            if page.removed_ids:
                await uow.user_cache.remove_users(page.removed_ids)
            # After every page, in the same transaction as its users: a crash resumes from the next page.
            await uow.sync_state.set_cursor(USERS, page.next_link or page.delta_link)
            if page.next_link is None and round_started is not None:
                swept = await uow.user_cache.remove_users_synced_before(datetime.fromisoformat(round_started))
                await uow.sync_state.set_cursor(USERS_ROUND, None)
            await uow.commit()
        run.report.users_changed += len(page.users)
        run.report.users_removed += len(page.removed_ids) + swept
        await run.renew()
        if page.next_link is None:
            return
        link = page.next_link


# ------------------------------------------------------------------ lists and mailboxes (Exchange)


async def _plan(run: _Run, name: str, *, full: bool, margin: timedelta, full_every: timedelta) -> datetime | None:
    """The ``changed_since`` for this part: None means a full pass (first run, forced, or one is due)."""
    async with run.services.uow() as uow:
        state = await uow.sync_state.state(name)
    if full or state is None or state.cursor is None or state.last_full_run is None:
        return None
    if state.last_full_run < utcnow() - full_every:
        return None
    return datetime.fromisoformat(state.cursor) - margin


async def _finish_part(name: str, run: _Run, started: datetime, *, full: bool) -> None:
    async with run.services.uow() as uow:
        await uow.sync_state.set_cursor(name, started.isoformat())
        await uow.sync_state.record_run(name, started_at=started, full=full)
        await uow.commit()


async def _read_each(items: Sequence[T], read: Callable[[T], Awaitable[object]]) -> list[object]:
    """``read`` for every item, a few at a time; a failure is returned in place, not raised."""
    gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(item: T) -> object:
        async with gate:
            try:
                return await read(item)
            except NotFound as error:
                return error

    return list(await asyncio.gather(*(one(item) for item in items)))


@dataclass(frozen=True, slots=True)
class _Kind:
    """What differs between syncing lists and shared mailboxes: the port calls, the cache calls, the counters."""

    cursor: str  # LISTS | MAILBOXES: the part's watermark in the sync state
    counters: str  # "lists" | "mailboxes": SyncReport.<counters>_added / _changed / _removed
    changed: Callable[[datetime | None], Awaitable[Sequence[Any]]]  # objects changed since (None = all)
    details: Callable[[Any], Awaitable[list[Any]]]  # members of a list, delegates of a mailbox
    identities: Callable[[], Awaitable[set[str]]]  # every identity Exchange has, to find deletions
    cached: Callable[[DirectoryCacheRepository], Awaitable[set[str]]]
    upsert: Callable[[DirectoryCacheRepository, Any, list[Any] | None], Awaitable[None]]
    delete: Callable[[DirectoryCacheRepository, str], Awaitable[bool]]
    fetch: Callable[[str], Awaitable[Any]]  # one object from Exchange by identity or address; None = gone
    cached_one: Callable[[DirectoryCacheRepository, str], Awaitable[Any]]  # the same from the cache

    def count(self, report: SyncReport, what: str, by: int = 1) -> None:
        name = f"{self.counters}_{what}"
        setattr(report, name, getattr(report, name) + by)


def _lists(services: Services) -> _Kind:
    port = services.tenant.distribution_lists
    return _Kind(
        LISTS, "lists",
        changed=lambda since: port.all_lists(changed_since=since),
        details=lambda dl: port.members(dl.identity),
        identities=port.list_ids,
        cached=lambda cache: cache.list_identities(),
        upsert=lambda cache, dl, members: cache.upsert_list(dl, members),
        delete=lambda cache, identity: cache.delete_list(identity),
        fetch=port.get_list,
        cached_one=lambda cache, identity: cache.get_list(identity),
    )


def _mailboxes(services: Services) -> _Kind:
    port = services.tenant.mailboxes
    assert port is not None
    return _Kind(
        MAILBOXES, "mailboxes",
        changed=lambda since: port.all_shared_mailboxes(changed_since=since),
        details=lambda mb: port.delegates(mb.identity),
        identities=port.mailbox_ids,
        cached=lambda cache: cache.mailbox_identities(),
        upsert=lambda cache, mb, delegates: cache.upsert_mailbox(mb, delegates),
        delete=lambda cache, identity: cache.delete_mailbox(identity),
        fetch=port.get_mailbox,
        cached_one=lambda cache, identity: cache.get_mailbox(identity),
    )


async def _sync_objects(run: _Run, kind: _Kind, *, full: bool, margin: timedelta, full_every: timedelta) -> None:
    """Lists or mailboxes: what changed (with members/delegates) in chunks, then deletions by identity."""
    started = utcnow()
    since = await _plan(run, kind.cursor, full=full, margin=margin, full_every=full_every)
    run.report.full = run.report.full or since is None
    changed = await kind.changed(since)
    async with run.services.uow() as uow:
        cached = await kind.cached(uow.directory_cache)
    for start in range(0, len(changed), CHUNK):
        chunk = changed[start : start + CHUNK]
        details = await _read_each(chunk, kind.details)
        async with run.services.uow() as uow:
            for item, found in zip(chunk, details, strict=True):
                if isinstance(found, NotFound):  # deleted between the two reads
                    if await kind.delete(uow.directory_cache, item.identity):
                        kind.count(run.report, "removed")
                    cached.discard(item.identity)
                    continue
                assert isinstance(found, list)
                await kind.upsert(uow.directory_cache, item, found)
                kind.count(run.report, "changed" if item.identity in cached else "added")
                cached.add(item.identity)
            await uow.commit()
        await run.renew()
    # Identities last: an object created after the read above is not in the cache yet, one deleted after it is gone.
    existing = await kind.identities()
    if not existing and changed:
        raise M365Error(f"Exchange listed {kind.counters} but returned no identities; deletions not applied")
    ordered = sorted(cached - existing)
    for start in range(0, len(ordered), CHUNK):
        async with run.services.uow() as uow:
            for identity in ordered[start : start + CHUNK]:
                kind.count(run.report, "removed", int(await kind.delete(uow.directory_cache, identity)))
            await uow.commit()
    await _finish_part(kind.cursor, run, started, full=since is None)


# ------------------------------------------------------------------ one object, right after the desk changed it


async def refresh_list(services: Services, identity: str) -> DistributionList | None:
    """Re-read one list (and its members) into the cache, or drop it when Exchange has no such list any more.

    ``identity`` may be the object id or an address (what a request stored); returns the list as cached now.
    """
    return await _refresh(_lists(services), services, identity)


async def refresh_mailbox(services: Services, identity: str) -> SharedMailbox | None:
    """Re-read one shared mailbox (and its delegates) into the cache, or drop it (with its desk-recorded owners)
    when Exchange has no such mailbox any more."""
    if services.tenant.mailboxes is None:
        return None
    return await _refresh(_mailboxes(services), services, identity)


async def _refresh(kind: _Kind, services: Services, identity: str) -> Any:
    found = await kind.fetch(identity)
    details: list[Any] | None = None
    if found is not None:
        try:
            details = await kind.details(found)
        except NotFound:  # deleted between the two reads
            found = None
    async with services.uow() as uow:
        if found is None:
            cached = await kind.cached_one(uow.directory_cache, identity)
            if cached is not None:
                await kind.delete(uow.directory_cache, cached.identity)
        else:
            await kind.upsert(uow.directory_cache, found, details)
        await uow.commit()
    return found


# ------------------------------------------------------------------ the periodic task


async def sync_forever(
    services: Services,
    interval_seconds: float,
    *,
    replica: str = "",
    first_after_seconds: float = 5.0,
    stop: StopSignal | None = None,
) -> None:
    """The periodic sync, until ``stop`` (or cancelled): a failed run is logged and the next period tries again.

    Every replica runs this; the lease plus the "ran this period already" check make one of them do the work.
    """
    stop = stop or StopSignal()
    # An empty cache makes searches come back empty: the very first sync starts at once, later ones wait a little
    # so a rolling restart does not sync on every replica's start.
    try:
        async with services.uow() as uow:
            state = await uow.sync_state.state(LEASE)
        never_synced = state is None or state.last_run is None
    except Exception:  # noqa: BLE001 - the database may not be up yet; the loop below copes with that
        logger.warning("directory sync: could not read the sync state at startup", exc_info=True)
        never_synced = False
    if await stop.sleep(min(first_after_seconds, 1.0) if never_synced else first_after_seconds):
        return
    while True:
        try:
            report = await run_sync(services, replica=replica, min_interval_seconds=interval_seconds * 0.8, stop=stop)
            if not report.skipped:
                log = logger.warning if report.errors else logger.info
                log("%s", report.summary())
        except asyncio.CancelledError:
            raise
        except SyncStopped:
            logger.info("directory sync stopped for the shutdown; the next run resumes from the stored cursors")
            return
        except Exception:
            logger.exception("directory sync run failed")
        if await stop.sleep(interval_seconds):
            return

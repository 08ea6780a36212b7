"""The directory sync's Exchange parts: distribution lists with their members and shared mailboxes with their
delegates into the desk's cache (full the first time and once a day, otherwise what changed since the last run
plus the deletions found by comparing identities), and the re-read of one of them right after the desk changed it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from handlers.directory_sync_run import SyncReport, SyncRun
from handlers.services import Services
from m365.errors import M365Error, NotFound
from m365.ports import DistributionList, SharedMailbox
from storage.columns import utcnow
from storage.repositories.directory_cache import DirectoryCacheRepository

LISTS = "lists"  # cursor: the watermark (ISO start of the last successful run of the lists part)
MAILBOXES = "mailboxes"
# WhenChangedUTC is written by Exchange's servers and replicated with some delay: ask for a little more than
# "since the last run began" so a change committed just before that moment is not missed.
SAFETY_MARGIN = timedelta(minutes=5)
# A full pass now and then repairs what incremental runs cannot see (e.g. a delegation that did not touch the
# mailbox's WhenChanged).
FULL_EVERY = timedelta(hours=24)
CHUNK = 25  # lists (or mailboxes) per transaction
READ_CONCURRENCY = 4  # member/delegate reads in flight at once: well inside Exchange's per-app throttling budget

T = TypeVar("T")


async def _plan(run: SyncRun, name: str, *, full: bool, margin: timedelta, full_every: timedelta) -> datetime | None:
    """The ``changed_since`` for this part: None means a full pass (first run, forced, or one is due)."""
    async with run.services.uow() as uow:
        state = await uow.sync_state.state(name)
    if full or state is None or state.cursor is None or state.last_full_run is None:
        return None
    if state.last_full_run < utcnow() - full_every:
        return None
    return datetime.fromisoformat(state.cursor) - margin


async def _finish_part(name: str, run: SyncRun, started: datetime, *, full: bool) -> None:
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
class CachedKind:
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


def lists_kind(services: Services) -> CachedKind:
    """Distribution lists and their members, through the tenant's lists port."""
    port = services.tenant.distribution_lists
    return CachedKind(
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


def mailboxes_kind(services: Services) -> CachedKind:
    """Shared mailboxes and their delegates; only for a tenant with a mailboxes port (callers check)."""
    port = services.tenant.mailboxes
    assert port is not None
    return CachedKind(
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


async def sync_objects(run: SyncRun, kind: CachedKind, *, full: bool, margin: timedelta, full_every: timedelta) -> None:
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
    return await _refresh(lists_kind(services), services, identity)


async def refresh_mailbox(services: Services, identity: str) -> SharedMailbox | None:
    """Re-read one shared mailbox (and its delegates) into the cache, or drop it (with its desk-recorded owners)
    when Exchange has no such mailbox any more."""
    if services.tenant.mailboxes is None:
        return None
    return await _refresh(mailboxes_kind(services), services, identity)


async def _refresh(kind: CachedKind, services: Services, identity: str) -> Any:
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

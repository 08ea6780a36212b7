"""The directory sync (F7): one run under the database lease, and the periodic task every replica runs.

One run: claim the lease (one replica per period), then users (Graph delta, resumable page by page:
handlers/directory_sync_users.py), lists with members and shared mailboxes with delegates (full the first time and
once a day, otherwise only what Exchange reports changed: handlers/directory_sync_exchange.py). Each page, chunk of
lists or chunk of mailboxes is its own transaction, so memory stays flat and a crash loses at most one chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable
from datetime import timedelta

from handlers.directory_sync_exchange import (
    FULL_EVERY,
    SAFETY_MARGIN,
    lists_kind,
    mailboxes_kind,
    sync_objects,
)
from handlers.directory_sync_run import LEASE, LEASE_SECONDS, SyncLeaseLost, SyncReport, SyncRun, SyncStopped
from handlers.directory_sync_users import sync_users
from handlers.services import Services
from handlers.stopping import StopSignal
from storage.columns import utcnow

logger = logging.getLogger(__name__)


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
        run = SyncRun(services, owner, report, lease_seconds, stop)
        await _part(run, "users", sync_users(run, full=full))
        await _part(run, "lists", sync_objects(run, lists_kind(services), full=full, margin=safety_margin,
                                                full_every=full_every))
        if services.tenant.mailboxes is not None:
            await _part(run, "mailboxes", sync_objects(run, mailboxes_kind(services), full=full, margin=safety_margin,
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


async def _part(run: SyncRun, name: str, work: Awaitable[None]) -> None:
    """One part of the run; its failure is recorded and the other parts still run (a lost lease stops all)."""
    try:
        await work
    except (SyncLeaseLost, SyncStopped, asyncio.CancelledError):
        raise
    except Exception as error:  # noqa: BLE001 - any failure of one part: logged, reported, retried next period
        logger.exception("directory sync: %s failed", name)
        run.report.errors.append(f"{name}: {type(error).__name__}: {error}")


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

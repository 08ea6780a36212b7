"""The directory sync's users part: Graph's /users/delta into the desk's user cache, resumable page by page, with
the users a full round did not report swept out as deleted."""

from __future__ import annotations

import logging
from datetime import datetime

from handlers.directory_sync_run import SyncRun
from m365.errors import DeltaTokenExpired, M365Error
from storage.columns import utcnow

logger = logging.getLogger(__name__)

USERS = "users"  # cursor: the stored next/delta link of Graph /users/delta
USERS_ROUND = "users.round"  # cursor: when the current full round of users began (ISO), while one is open


def _delta_expired(error: M365Error) -> bool:
    """Graph's "sync state not found" (400) or "resync required" (410): the stored link is no good any more."""
    return (
        isinstance(error, DeltaTokenExpired)
        or error.status == 410
        or error.code in {"syncStateNotFound", "resyncRequired"}
    )


async def sync_users(run: SyncRun, *, full: bool) -> None:
    """Graph's /users/delta into the user cache, page by page; a full round when ``full`` or when no link is stored."""
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

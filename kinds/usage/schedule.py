"""The daily "last mail seen" collection as a background loop: every replica runs it, collect_now's lease and
"already today" check let one of them work per day."""

from __future__ import annotations

import asyncio
import logging

from handlers.services import Services
from handlers.stopping import StopSignal
from kinds.usage.collect import collect_now

logger = logging.getLogger(__name__)

# A run that spent its query budget or was throttled goes on once Exchange's rolling 5-minute window has refilled,
# not a day later: a tenant with many lists finishes its round within the day.
RESUME_AFTER_SECONDS = 300.0


async def collect_forever(services: Services, every_seconds: float, *, replica: str, first_after_seconds: float,
                          stop: StopSignal) -> None:
    """Until ``stop``: a run after ``first_after_seconds`` (so a restart burst does not all start at once), then
    one every ``every_seconds``; a failed run is logged and the next period goes on from the saved cursor."""
    if await stop.sleep(first_after_seconds):
        return
    while True:
        wait = every_seconds
        try:
            run = await collect_now(services, replica)
            logger.info("last-mail-seen collection: %d queries, %d rows, %s", run.queries, run.rows, run.stopped)
            if run.stopped in ("budget", "throttled"):
                wait = min(every_seconds, RESUME_AFTER_SECONDS)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("last-mail-seen collection run failed")
        if await stop.sleep(wait):
            return

"""Filing of desk-filed requests: the day's pass runs on one replica (the alerts' unique key,
storage/repositories/reports.py), and each occasion (an orphaning, a quiet period) is claimed once under its own key
before its request is filed, the claim given back when filing fails or finds nobody to decide."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from handlers.services import Services
from handlers.submission import Draft, submit
from kinds.desk_filed.spec import DeskFiled

logger = logging.getLogger(__name__)

FILED_DAY = "filed"  # the "day" of an occasion's claim: one request per occasion, ever


async def daily_pass(services: Services, spec: DeskFiled, file_new: Callable[[], Awaitable[int]]) -> int:
    """``file_new`` run by whichever replica claims today's pass first; how many requests it filed, else 0."""
    now = services.clock()
    day = now.astimezone(services.calendar.zone).date().isoformat()
    async with services.uow() as uow:
        claimed = await uow.alerts.claim(spec.pass_key, day, detail={}, now=now)
        await uow.commit()
    return await file_new() if claimed else 0


async def file_once(services: Services, key: str, identity: str, file: Callable[[], Awaitable[int | None]]) -> bool:
    """Files one occasion's request unless another run has claimed ``key``; True when this call filed it.

    ``file`` returns the stored request's id, or None when nobody decides it; then, or when it fails, the claim is
    given back so the next pass tries again. Safe on several replicas at once.
    """
    async with services.uow() as uow:
        won = await uow.alerts.claim(key, FILED_DAY, detail={"identity": identity}, now=services.clock())
        await uow.commit()
    if not won:
        return False
    try:
        request_id = await file()
    except Exception:  # noqa: BLE001 - one resource we cannot file must not stop the others
        logger.exception("filing %s failed", key)
        request_id = None
    if request_id is None:
        async with services.uow() as uow:
            await uow.alerts.release(key, FILED_DAY)
            await uow.commit()
        return False
    return True


async def submit_as_desk(services: Services, spec: DeskFiled, draft: Draft) -> int | None:
    """Files ``draft`` (no plan yet: the decider's choice makes it) in the desk's name; the stored request's id."""
    reply = await submit(services, spec.desk_actor(), draft)
    return reply.status_card_of

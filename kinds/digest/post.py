"""The digest pass (F21): for every channel with a digest schedule whose moment has come, one replica claims the
period (the alerts' unique key) and posts the digest card into the channel; the content is read here."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from cards.digest import DigestContent, DigestItem, digest_card
from cards.i18n import Translator
from handlers.context import ChannelAddress
from handlers.lifecycle import RequestState
from handlers.services import Services
from handlers.stopping import StopSignal, repeat
from kinds.digest.morning import run_morning_digests
from kinds.digest.schedule import Schedule, latest_due, period_of, previous_due
from kinds.digest.sections import alert_section, chart_section, unused_sections, waste_section
from kinds.orphans.cleanup import KIND as ORPHAN_CLEANUP
from m365.errors import TransientError
from storage.models import Request
from storage.models_digest import ChannelDigest
from storage.queue_queries import waiting_requests
from storage.repositories.orphans import OrphanRepository
from storage.statistics_queries import median_durations, requests_per_kind_and_week

logger = logging.getLogger(__name__)

WAITING_STATES = (
    RequestState.PENDING.value,
    RequestState.APPROVED.value,
    RequestState.EXECUTING.value,
    RequestState.AWAITING_FULFILMENT.value,
)
OLDEST_SHOWN = 5
DEFAULT_CHART_LINK_DAYS = 7  # a digest is read for days after it is posted: its chart's link lives that long


def schedule_of(row: ChannelDigest) -> Schedule:
    return Schedule(row.cadence, row.at_minute, row.weekday)


def claim_key(conversation_id: str) -> str:
    """The alerts table's key for one channel's digests (the conversation id hashed: it may outgrow the column)."""
    return "digest:" + hashlib.sha256(conversation_id.encode()).hexdigest()[:40]


def chat_link(bot_id: str) -> str | None:
    """Teams' deep link to the bot's personal chat, where the digest's commands answer."""
    return f"https://teams.microsoft.com/l/chat/0/0?users={quote(bot_id, safe=':')}" if bot_id else None


async def digest_content(services: Services, start: datetime, end: datetime, *, bot_id: str = "") -> DigestContent:
    """The digest's numbers for the period [start, end), and what waits at ``end``."""
    async with services.uow() as uow:
        session = uow.session
        page = await waiting_requests(session, states=WAITING_STATES, limit=OLDEST_SHOWN)
        breached = (await session.execute(
            select(func.count()).select_from(Request).where(
                Request.state.in_(WAITING_STATES), Request.due_at.is_not(None), Request.due_at < end)
        )).scalar_one()
        orphans = OrphanRepository(session)
        orphaned_lists = (await orphans.orphaned_lists(limit=0)).total
        orphaned_mailboxes = (await orphans.orphaned_mailboxes(limit=0)).total
        orphans_filed = (await session.execute(
            select(func.count()).select_from(Request).where(
                Request.kind == ORPHAN_CLEANUP, Request.created_at >= start, Request.created_at < end)
        )).scalar_one()
        counts = await requests_per_kind_and_week(session, week_starts=[start], end=end)
        every_kind = {kind.id: "all" for kind in services.kinds.kinds}
        medians = await median_durations(session, group_of=every_kind, start=start, end=end)
    overall = medians[0] if medians else None
    lists, mailboxes = await unused_sections(services)
    waste = await waste_section(services)
    alerts = await alert_section(services, start, end)
    return DigestContent(
        period_start=start,
        period_end=end,
        waiting=page.total,
        breached=int(breached),
        oldest=tuple(
            DigestItem(
                public_id=item.public_id,
                target_label=item.target_label,
                requester_name=item.requester_name,
                created_at=item.created_at,
                due_at=item.due_at,
                breached=item.due_at is not None and item.due_at < end,
            )
            for item in page.items
        ),
        orphaned_lists=orphaned_lists,
        orphaned_mailboxes=orphaned_mailboxes,
        orphans_filed=int(orphans_filed),
        filed=sum(count.count for count in counts),
        decided=overall.decided if overall else 0,
        completed=overall.completed if overall else 0,
        median_decision_seconds=overall.decision_seconds if overall else None,
        chat_url=chat_link(bot_id),
        unused_lists=lists,
        unused_mailboxes=mailboxes,
        waste=waste,
        alerts=alerts,
    )


async def run_digests(services: Services, *, chart_link_days: int = DEFAULT_CHART_LINK_DAYS) -> int:
    """Posts every digest that is due and not yet posted for its period; returns how many this replica posted.
    Safe on several replicas at once: each (channel, period) is claimed once before its card is built."""
    zone = ZoneInfo(services.calendar.timezone)
    now = services.clock()
    async with services.uow() as uow:
        rows = await uow.digests.all()
    posted = 0
    for row in rows:
        schedule = schedule_of(row)
        due = latest_due(schedule, now, zone)
        if due < row.set_at:
            continue  # the schedule was set after this period's moment: its first digest is the next one
        key, period = claim_key(row.conversation_id), period_of(due, zone)
        async with services.uow() as uow:
            won = await uow.alerts.claim(key, period, detail={"cadence": row.cadence}, now=now)
            await uow.commit()
        if not won:
            continue
        try:
            delivered = await _post(services, row, previous_due(schedule, due, zone), due,
                                    chart_link_days=chart_link_days)
        except TransientError:
            delivered = False
            logger.warning("channel digest not delivered; the next pass tries again", exc_info=True)
        if delivered:
            posted += 1
            continue
        async with services.uow() as uow:  # give the claim back: the next pass tries again
            await uow.alerts.release(key, period)
            await uow.commit()
    return posted


async def _post(services: Services, row: ChannelDigest, start: datetime, end: datetime, *,
                chart_link_days: int) -> bool:
    t = Translator(row.locale, services.calendar.timezone)
    content = await digest_content(services, start, end, bot_id=row.bot_id)
    chart = await chart_section(services, t, link_days=chart_link_days, created_by="digest")
    card = digest_card(replace(content, chart=chart), t)
    channel = ChannelAddress(
        conversation_id=row.conversation_id,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        bot_id=row.bot_id,
        channel_id=row.channel_id,
    )
    return await services.messenger.post_to_channel(channel, card) is not None


async def digest_loop(
    services: Services, *, every_seconds: float, first_after_seconds: float, stop: StopSignal,
    chart_link_days: int = DEFAULT_CHART_LINK_DAYS,
) -> None:
    """The periodic pass until ``stop``: the channel digests, then the approvers' morning digests; every replica
    may run it, the claims pick one per channel and period, and one per approver and day."""

    async def both() -> int:
        return await run_digests(services, chart_link_days=chart_link_days) + await run_morning_digests(services)

    await repeat(both, every_seconds=every_seconds, stop=stop, what="digest pass",
                 first_after_seconds=first_after_seconds)

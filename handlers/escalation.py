"""Reminders, escalation and expiry of waiting requests (F15) on the business-hours clock, and the background loop
that runs them: after ``remind_after_hours`` of business time waiting in its stage, the approvers (or their
delegates) get the card again and an e-mail, once per interval; after ``escalate_after_hours`` — or at once when an
approver is away (automatic replies on) without a delegate — the next approver set joins (the approvers' managers,
else the admins) and gets the card and an e-mail while the earlier approvers keep theirs; after
``expire_after_hours`` the request becomes ``expired`` and the requester is told, in Teams with "Ask again" and by
e-mail. Each step is claimed once per request across replicas (the alerts' unique key) and audited
(``request.reminded``, ``request.escalated``, ``request.expired``).

The intervals are the routing policy's (F14, per kind, family or for all); where it leaves one unset, the desk's
settings (DESK_REMIND_AFTER_HOURS, DESK_ESCALATE_AFTER_HOURS, DESK_EXPIRE_AFTER_HOURS) give it; 0 in either means
never. Kinds decided by a choice (orphan clean-ups, "Still needed?") are left to their own follow-ups
(kinds/desk_filed/follow_up.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from cards.requests import approval_card
from handlers.card_delivery import translator_for
from handlers.context import Actor, SentActivity
from handlers.delegation import AWAY, AWAY_REASON, stand_ins
from handlers.delivery import APPROVER, deliver_to
from handlers.lifecycle import InvalidTransition, RequestEvent, RequestState, next_state
from handlers.mail_notifications import queue_reminder_mail, queue_requester_mail
from handlers.request_views import request_view
from handlers.rerouting import DESK_ID, DESK_NAME, widen_to_next_set
from handlers.services import Services
from handlers.stopping import StopSignal, repeat
from handlers.submission import record_transition
from storage.errors import StaleVersion
from storage.models import CardCopy, Request

logger = logging.getLogger(__name__)

DESK = Actor(user_id=DESK_ID, name=DESK_NAME, tenant_id="")
OVERDUE = "overdue"


@dataclass(frozen=True, slots=True)
class Intervals:
    """Business hours of waiting before the reminder (repeated every as many), the escalation and the expiry;
    0 switches that step off."""

    remind_after_hours: float = 0.0
    escalate_after_hours: float = 0.0
    expire_after_hours: float = 0.0


@dataclass(frozen=True, slots=True)
class FollowedUp:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0


def intervals_for(services: Services, kind_id: str, defaults: Intervals) -> Intervals:
    """The kind's intervals: those the routing policy in force (F14) sets for it, the settings' ``defaults`` for
    those it leaves unset (the built-in policy, without a file, leaves all three unset); 0 switches a step off."""
    policy = services.routing.for_kind(kind_id)

    def pick(value: float | None, default: float) -> float:
        return default if value is None else value

    return Intervals(pick(policy.remind_after_hours, defaults.remind_after_hours),
                     pick(policy.escalate_after_hours, defaults.escalate_after_hours),
                     pick(policy.expire_after_hours, defaults.expire_after_hours))


def waiting_since(request: Request) -> datetime:
    """When the request began waiting for its current approvers (its filing; a stage's start once stages exist)."""
    started = request.payload.get("stage_started_at")
    return datetime.fromisoformat(started) if isinstance(started, str) else request.created_at


async def escalation_loop(services: Services, *, every_seconds: float, first_after_seconds: float,
                          defaults: Intervals, stop: StopSignal | None = None) -> None:
    """Until ``stop``: the reminders, escalations and expiries that are due, every ``every_seconds``."""

    async def one_round() -> None:
        await follow_up_waiting(services, defaults)

    await repeat(one_round, every_seconds=every_seconds, first_after_seconds=first_after_seconds,
                 stop=stop or StopSignal(), what="reminders and escalation")


async def follow_up_waiting(services: Services, defaults: Intervals) -> FollowedUp:
    """Every waiting request decided by Approve / Reject: expired, escalated or reminded as its business time says;
    safe on several replicas at once."""
    now = services.clock()
    async with services.uow() as uow:
        waiting = await uow.delegations.waiting_requests()
    reminded = escalated = expired = 0
    for request in waiting:
        if not _followed_up_here(services, request):
            continue
        intervals = intervals_for(services, request.kind, defaults)
        waited = services.calendar.business_time_between(waiting_since(request), now)
        if _due(waited, intervals.expire_after_hours):
            expired += await expire(services, request)
            continue
        # The reminder first: it goes to the approvers who had the card; the escalation's new ones get theirs.
        if _due(waited, intervals.remind_after_hours):
            round_number = int(waited / timedelta(hours=intervals.remind_after_hours))
            reminded += await remind(services, request, round_number)
        if _due(waited, intervals.escalate_after_hours):
            escalated += await escalate(services, request, OVERDUE)
    if reminded or escalated or expired:
        logger.info("waiting requests: %d reminded, %d escalated, %d expired", reminded, escalated, expired)
    return FollowedUp(reminded=reminded, escalated=escalated, expired=expired)


def _followed_up_here(services: Services, request: Request) -> bool:
    """Not a kind decided by a choice on its card: those remind and escalate by their own rules (the clean-up's
    deciders, then the admins), and their cards have no Approve for a reminder to repeat. Nor a kind this desk no
    longer has."""
    try:
        return not services.kinds.kind(request.kind).decided_by_choice
    except KeyError:
        return False


def _due(waited: timedelta, hours: float) -> bool:
    return hours > 0 and waited >= timedelta(hours=hours)


async def remind(services: Services, request: Request, round_number: int) -> int:
    """The card again to each approver (or their delegate), with a reminder, and an e-mail queued with the claim;
    once per stage and interval. An approver found away without a delegate also sends the request on to the next
    approver set."""
    now = services.clock()
    async with services.uow() as uow:
        seen = await uow.requests.get(request.id)
    if seen is None or seen.state != RequestState.PENDING:
        return 0
    # Read with no transaction open: delegations and automatic replies (a Graph call each) say who is reminded.
    routes = await stand_ins(services, seen.approver_ids, now)
    async with services.uow() as uow:
        current = await uow.requests.get(request.id)
        if current is None or current.state != RequestState.PENDING or current.version != seen.version:
            return 0  # decided, or moved to another stage, meanwhile: the next run looks again
        stage = current.stage or 0
        key = f"remind:{current.public_id}:{stage}"
        if not await uow.alerts.claim(key, str(round_number), detail={"approvers": current.approver_ids}, now=now):
            await uow.rollback()
            return 0
        await uow.audit.append(action="request.reminded", request_id=current.id, actor_id=DESK_ID,
                               actor_name=DESK_NAME, detail={"public_id": current.public_id,
                                                             "approvers": current.approver_ids,
                                                             "round": round_number})
        for recipient_id in dict.fromkeys(route.recipient_id for route in routes):
            if recipient_id != current.requester_id:
                await queue_reminder_mail(services, uow, current, recipient_id, stage=stage,
                                          round_number=round_number)
        await uow.commit()
    if any(route.how == AWAY for route in routes):
        await escalate(services, current, AWAY_REASON)
    async with services.uow() as uow:
        earlier = [copy for copy in await uow.cards.for_request(current.id) if copy.role == APPROVER]
    await deliver_to(services, current, list(current.approver_ids), notice="workflow.reminder", again=True)
    await retire_replaced(services, current, earlier)
    return 1


async def retire_replaced(services: Services, request: Request, earlier: list[CardCopy]) -> None:
    """The copies a reminder's new card replaced lose their buttons: only the newest copy of a person's card is
    kept current, so an older one left live would still offer a decision after the request was decided."""
    async with services.uow() as uow:
        kept = {copy.activity_id for copy in await uow.cards.for_request(request.id)}
        view = await request_view(services, uow, request)
    for copy in earlier:
        if copy.activity_id in kept:
            continue  # not replaced (the person was not reminded, or the new card could not be sent)
        t = await translator_for(services, copy.recipient_id)
        card = approval_card(view, t, can_decide=False,
                             notice=t("workflow.reminder.replaced", request_id=request.public_id))
        await services.messenger.update(SentActivity(copy.conversation_id, copy.service_url, copy.activity_id), card)


async def escalate(services: Services, request: Request, reason: str) -> int:
    """The next approver set joins the request and gets the card; once per request and stage. 1 when this call
    escalated it, 0 when another run did, it was decided, or there is nobody to add (then the next run tries)."""
    widened = await widen_to_next_set(services, request, reason)
    if widened is None:
        return 0
    current, added_ids = widened
    await deliver_to(services, current, added_ids, notice="workflow.escalated")
    return 1


async def expire(services: Services, request: Request) -> int:
    """No decision in time: ``expired``, audited, the requester's e-mail queued; the card-update job updates the
    cards and tells the requester in Teams."""
    async with services.uow() as uow:
        current = await uow.requests.get_by_public_id(request.public_id, for_update=True)
        if current is None or current.state != RequestState.PENDING:
            return 0
        try:
            state = next_state(current.state, RequestEvent.EXPIRE)
            await uow.requests.transition(current, state.value, expected_version=current.version,
                                          now=services.clock())
        except (StaleVersion, InvalidTransition):
            await uow.rollback()
            return 0
        await record_transition(uow, current, state.value, DESK, by="desk",
                                waited_since=waiting_since(current).isoformat())
        # With the transition it announces; the card-update job's own call for "expired" finds it queued.
        await queue_requester_mail(services, uow, current, RequestState.EXPIRED.value)
        await uow.commit()
    services.wake_jobs()
    logger.info("request %s expired", request.public_id)
    return 1

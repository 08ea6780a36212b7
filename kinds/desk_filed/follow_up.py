"""Reminders and escalation of waiting desk-filed requests on the business-hours clock, and the background loop that
runs them after each day's filing pass: one reminder card to the deciders after ``remind_days`` business days;
after ``escalate_days`` the admins join the approvers and get the card (the earlier deciders keep theirs). Each
happens once per request across replicas (the alerts' unique-key claim) and is audited (``request.reminded``,
``request.escalated``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from cards.i18n import Translator
from handlers.approvals import resolve_approvers
from handlers.card_delivery import send_card_and_record, translator_for
from handlers.delivery import APPROVER
from handlers.escalation import retire_replaced
from handlers.request_views import request_view
from handlers.services import Services
from handlers.stopping import StopSignal, repeat
from kinds.desk_filed.spec import DESK_NAME, DeskFiled
from storage.models import Request
from storage.repositories.orphans import OrphanRepository

logger = logging.getLogger(__name__)

# The "day" of each claim: a request is reminded once and escalated once, ever.
REMINDED, ESCALATED = "reminded", "escalated"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """When a waiting request reminds its deciders and when it goes to the admins, in business days from filing
    (the SLA calendar's); 0 switches that step off."""

    remind_days: float = 2.0
    escalate_days: float = 5.0


@dataclass(frozen=True, slots=True)
class FollowedUp:
    reminded: int = 0
    escalated: int = 0


async def pass_and_follow_up_loop(services: Services, spec: DeskFiled, day_pass: Callable[[], Awaitable[object]],
                                  policy: FollowUp, *, every_seconds: float, first_after_seconds: float,
                                  stop: StopSignal | None = None) -> None:
    """Until ``stop``: the day's filing pass (one replica per day), then the reminders and escalations that are due."""

    async def one_round() -> None:
        await day_pass()
        await follow_up_waiting(services, spec, policy)

    await repeat(one_round, every_seconds=every_seconds, first_after_seconds=first_after_seconds,
                 stop=stop or StopSignal(), what=f"{spec.kind} pass")


async def follow_up_waiting(services: Services, spec: DeskFiled, policy: FollowUp) -> FollowedUp:
    """Reminds or escalates every waiting request whose business time has run; safe on several replicas at once."""
    now = services.clock()
    async with services.uow() as uow:
        # Pending requests of one kind, oldest first, and (below) a guarded widening of their approvers.
        waiting = await OrphanRepository(uow.session).waiting_cleanups(spec.kind)
    reminded = escalated = 0
    for request in waiting:
        if policy.escalate_days > 0 and now >= _after(services, request.created_at, policy.escalate_days):
            # Escalation supersedes a reminder not sent yet: the admins' card says the same and more.
            if request.payload.get("route") != "admins":  # already with the admins: nobody to add
                escalated += await escalate(services, spec, request)
        elif policy.remind_days > 0 and now >= _after(services, request.created_at, policy.remind_days):
            reminded += await remind(services, spec, request)
    if reminded or escalated:
        logger.info("%s: %d reminded, %d escalated", spec.kind, reminded, escalated)
    return FollowedUp(reminded=reminded, escalated=escalated)


def _after(services: Services, start: datetime, business_days: float) -> datetime:
    calendar = services.calendar
    return calendar.add_business_time(start, calendar.business_days(business_days))


async def remind(services: Services, spec: DeskFiled, request: Request) -> int:
    """One reminder card to each current decider; 1 when this call sent it, 0 when another run did or it is decided."""
    now = services.clock()
    async with services.uow() as uow:
        current = await uow.requests.get(request.id)
        if current is None or current.state != "pending":
            return 0
        deciders = [approver for approver in current.approver_ids if approver != current.requester_id]
        if not await uow.alerts.claim(spec.remind_key(current.public_id), REMINDED, detail={"approvers": deciders},
                                      now=now):
            await uow.rollback()
            return 0
        await uow.audit.append(action="request.reminded", request_id=current.id, actor_id=spec.desk_id,
                               actor_name=DESK_NAME, detail={"public_id": current.public_id, "approvers": deciders})
        await uow.commit()
        view = await request_view(services, uow, current)
        earlier = [copy for copy in await uow.cards.for_request(current.id) if copy.role == APPROVER]
    for approver_id in deciders:
        t = await translator_for(services, approver_id)
        await send_card_and_record(services, current, approver_id, APPROVER,
                                   spec.card(view, current, t, approver_id, notice=_since(t, spec.reminder, current)))
    # Only a person's newest copy is kept current: the one the reminder replaced must not keep offering the choice.
    await retire_replaced(services, current, earlier)
    return 1


async def escalate(services: Services, spec: DeskFiled, request: Request) -> int:
    """The admins join the approvers and get the card; 1 when this call escalated it, 0 otherwise."""
    admins = await resolve_approvers(services, spec.desk_id)
    if not admins.ids:
        logger.warning("no admins to escalate %s to", request.public_id)
        return 0  # unclaimed: the next run tries again
    now = services.clock()
    async with services.uow() as uow:
        current = await uow.requests.get(request.id)
        if current is None or current.state != "pending":
            return 0
        added = [(admin_id, name) for admin_id, name in zip(admins.ids, admins.names, strict=True)
                 if admin_id not in current.approver_ids and admin_id != current.requester_id]
        added_ids = [admin_id for admin_id, _ in added]
        if not await uow.alerts.claim(spec.escalate_key(current.public_id), ESCALATED, detail={"added": added_ids},
                                      now=now):
            await uow.rollback()
            return 0
        payload = {
            **current.payload,
            "approver_names": [*current.payload.get("approver_names", []), *(name for _, name in added)],
            # Whom the escalation added: a kind's card may offer them more (an orphan's "Keep without owner"); the
            # server checks each click again.
            "escalated_to": added_ids,
        }
        if not await OrphanRepository(uow.session).widen_approvers(current, [*current.approver_ids, *added_ids],
                                                                   payload):
            await uow.rollback()  # decided meanwhile: the claim goes too, and there is nothing to escalate
            return 0
        await uow.audit.append(action="request.escalated", request_id=current.id, actor_id=spec.desk_id,
                               actor_name=DESK_NAME, detail={"public_id": current.public_id, "added": added_ids})
        await uow.commit()
        await uow.session.refresh(current)  # the guarded UPDATE bypassed the object: read its new approvers back
        view = await request_view(services, uow, current)
    for admin_id in added_ids:
        t = await translator_for(services, admin_id)
        await send_card_and_record(services, current, admin_id, APPROVER,
                                   spec.card(view, current, t, admin_id, notice=_since(t, spec.escalated, current)))
    return 1


def _since(t: Translator, key: str, request: Request) -> str:
    return t(key, request_id=request.public_id, since=t.datetime(request.created_at))

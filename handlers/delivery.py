"""Delivery jobs: approval cards to approvers, and keeping every copy of a request's card and its requester current.

No transaction stays open while a message travels: each reads what it needs, closes, sends, then records.
"""

from __future__ import annotations

import logging

from cards.i18n import Translator
from cards.requests import decider_name, stage_name, status_card
from cards.views import DecisionView, RequestView
from handlers.card_delivery import send_card_and_record, translator_for
from handlers.context import SentActivity
from handlers.delegation import AWAY, AWAY_REASON, DELEGATE, StandIn, delegate_card, delegate_card_for, stand_ins
from handlers.lifecycle import RequestState
from handlers.mail_notifications import mail_approver, mail_requester
from handlers.request_views import approver_card_for, request_view
from handlers.rerouting import widen_to_next_set
from handlers.services import Services
from handlers.stages import STAGE_MOVED
from storage.models import Job, Request

logger = logging.getLogger(__name__)

APPROVER, REQUESTER = "approver", "requester"
# Requests the desk files itself (requester ids "desk:expiry", …) have no person to message as their requester.
DESK_REQUESTER_PREFIX = "desk:"


async def deliver_approval_cards(services: Services, job: Job) -> None:
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
    if request is not None and request.state == "pending":
        await mail_requester(services, request, "submitted")
        await _deliver_to(services, request, list(request.approver_ids))


async def deliver_pending_to(services: Services, user_id: str) -> int:
    """When an approver installs the app or opens the chat, hand them the cards they could not get before."""
    async with services.uow() as uow:
        pending = await uow.requests.pending_for_approver(user_id)
    sent = 0
    for request in pending:
        sent += await _deliver_to(services, request, [user_id])
    return sent


async def _deliver_to(services: Services, request: Request, recipients: list[str]) -> int:
    return await deliver_to(services, request, recipients)


async def deliver_to(
    services: Services, request: Request, recipients: list[str], *, notice: str | None = None, again: bool = False
) -> int:
    """Each approver's card to them, or to their delegate for them (F15); ``again``: also to those who have one
    (a reminder). Approvers away without a delegate are audited and left to the next approver set (escalation)."""
    async with services.uow() as uow:
        have = {copy.recipient_id for copy in await uow.cards.for_request(request.id) if copy.role == APPROVER}
        view = await request_view(services, uow, request)
    sent_count = 0
    away: list[str] = []
    for route in await stand_ins(services, recipients, services.clock()):
        if route.how == DELEGATE and route.recipient_id == request.requester_id:
            # A delegate never decides their own request: the approver keeps this card, or nobody would get it.
            route = StandIn(route.approver_id, route.approver_id, route.approver_name)
        recipient_id = route.recipient_id
        if route.how == AWAY:
            away.append(route.approver_id)
        if (recipient_id in have and not again) or recipient_id == request.requester_id:
            continue
        await mail_approver(services, request, recipient_id)
        t = await translator_for(services, recipient_id)
        text = t(notice, request_id=request.public_id, since=t.datetime(request.created_at)) if notice else None
        kinds_card = services.kinds.kind(request.kind).approver_card
        if route.how == DELEGATE:
            card = delegate_card(view, request, recipient_id, route.approver_name, t, text, kind_card=kinds_card,
                                 principal_id=route.approver_id)
        elif kinds_card is not None:
            card = kinds_card(view, request, t, recipient_id)
        else:
            card = approver_card_for(view, request, recipient_id, t, notice=text)
        sent_count += await send_card_and_record(services, request, recipient_id, APPROVER, card)
    if away:
        async with services.uow() as uow:
            await uow.audit.append(action="approver.away", request_id=request.id,
                                   detail={"public_id": request.public_id, "approvers": away})
            await uow.commit()
        # Away without a delegate: the request goes on to the next approver set now, not at the escalation time.
        widened = await widen_to_next_set(services, request, AWAY_REASON)
        if widened is not None:
            sent_count += await deliver_to(services, widened[0], widened[1], notice="workflow.escalated")
    return sent_count


async def update_request_cards(services: Services, job: Job) -> None:
    """Every copy of the card shows the new state; the requester also gets a message saying what happened."""
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        if request is None:
            return
        view = await request_view(services, uow, request)
        copies = await uow.cards.for_request(request.id)
    kind = services.kinds.kind(request.kind)
    for copy in copies:
        t = await translator_for(services, copy.recipient_id)
        role_card = kind.role_cards.get(copy.role)
        delegates = await delegate_card_for(services, view, request, copy.recipient_id, t) if copy.role == APPROVER \
            else None
        if delegates is not None:
            card = delegates  # a delegate's copy (F15): still theirs to decide while it waits
        elif copy.role == APPROVER and kind.approver_card is not None:
            card = kind.approver_card(view, request, t, copy.recipient_id)
        elif copy.role == APPROVER:
            card = approver_card_for(view, request, copy.recipient_id, t)
        elif role_card is not None:
            # A copy for a role the kind defines (a seat order's fulfillers): the kind draws it for that reader.
            card = role_card(view, request, t, copy.recipient_id)
        else:
            card = status_card(view, t)
        await services.messenger.update(SentActivity(copy.conversation_id, copy.service_url, copy.activity_id), card)
    if request.requester_id.startswith(DESK_REQUESTER_PREFIX):
        return  # filed by the desk itself (e.g. an expired grant): nobody to tell but the people on its cards
    t = await translator_for(services, request.requester_id, fallback=request.locale)
    # The message names the transition this job announces, even if the request has moved on since.
    state = job.kind.split(":", 1)[1]
    await mail_requester(services, request, state)
    approver = decider_name(view.decision, t) if view.decision else ""
    if state == RequestState.EXPIRED:
        # No decision in time (F15): the requester's card, with "Ask again" to file the same request anew.
        expired = t("workflow.expired.requester", request_id=request.public_id)
        await services.messenger.send(request.requester_id, text=expired, card=status_card(view, t))
        return
    kinds_own = kind.requester_message(state, request, t, approver) if kind.requester_message else None
    message = kinds_own or _requester_message(state, request, view, t)
    if message:
        await services.messenger.send(request.requester_id, text=message)


def _requester_message(state: str, request: Request, view: RequestView, t: Translator) -> str | None:
    decision: DecisionView | None = view.decision
    approver = decider_name(decision, t) if decision else ""
    match state:
        case "approved":
            return t("notify.approved", request_id=request.public_id, name=approver)
        case "rejected":
            if decision and decision.reason:
                return t("notify.rejected_reason", request_id=request.public_id, name=approver, reason=decision.reason)
            return t("notify.rejected", request_id=request.public_id, name=approver)
        case "completed":
            return t("notify.completed", request_id=request.public_id, kind=t("request.kind." + request.kind))
        case "failed":
            return t("notify.failed", request_id=request.public_id, error=request.error or "")
    if state.startswith(STAGE_MOVED + ".") and view.stage is not None and view.state == "pending":
        # Approved at one stage (F14), waiting for the next: the requester hears who approved and what comes next.
        who = stage_name(view.stage.who, t)
        return t(
            "stages.notify_moved",
            request_id=request.public_id,
            name=approver,
            number=view.stage.number,
            total=view.stage.total,
            who=who,
        )
    return None

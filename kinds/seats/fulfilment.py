"""license.seats (F10), after approval: the hand-over to the fulfillers (the people who order from the CSP partner),
their fulfilment card, "Mark fulfilled" / "Could not fulfil", and what the requester is told.

Graph cannot buy seats, so an approved order is not applied through Microsoft 365: the execute job hands it to
the fulfillers (awaiting_fulfilment) with a card on which one of them records the partner's order reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cards.elements import Element
from cards.i18n import Translator
from cards.seat_orders import MAX_REASON, MAX_REFERENCE, FulfilmentView, SeatFigures, fulfilment_card, signed
from cards.verbs import Verb
from cards.views import RequestView
from handlers import access
from handlers.card_delivery import send_card_and_record, translator_for
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import InvalidTransition, RequestEvent, RequestState, next_state
from handlers.request_views import request_view
from handlers.services import Services
from handlers.submission import card_update_job
from kinds.card_data import bounded
from kinds.seats.orders import ANY_LENGTH, KIND
from storage.errors import StaleVersion
from storage.models import Job, Request

logger = logging.getLogger(__name__)

FULFILLER = "fulfiller"  # the card copy role of the fulfilment card


@dataclass(frozen=True, slots=True)
class FulfilClick:
    """"Mark fulfilled": which order, at which card version, and the partner's order reference as typed (its
    length is the handler's check, so a long one gets the same answer as an empty one)."""

    request_id: str = bounded(ANY_LENGTH, blank_is_none=False)
    version: int | None = None
    order_reference: str | None = bounded(ANY_LENGTH, optional=True)


@dataclass(frozen=True, slots=True)
class UnfulfillableClick:
    """"Could not fulfil": which order, at which card version, and the reason the requester is told."""

    request_id: str = bounded(ANY_LENGTH, blank_is_none=False)
    version: int | None = None
    reason: str | None = bounded(ANY_LENGTH, optional=True)


async def hand_over(services: Services, job: Job) -> bool:
    """The kind's hand_over hook, run by the execute job instead of the plan: moves the approved order to
    awaiting_fulfilment and sends the fulfilment cards. Re-runnable: cards already sent are not sent again."""
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        if request is None:
            return False
        if request.state == RequestState.APPROVED:
            new_state = next_state(request.state, RequestEvent.AWAIT_FULFILMENT)
            await uow.requests.transition(request, new_state.value, now=services.clock())
            await uow.audit.append(
                action=f"request.{new_state.value}",
                request_id=request.id,
                detail={"public_id": request.public_id, "fulfillers_group_id": services.policy.fulfillers},
            )
            await uow.jobs.enqueue(request.id, card_update_job(new_state.value))
            await uow.commit()
        elif request.state != RequestState.AWAITING_FULFILMENT:
            return True  # finished or withdrawn meanwhile: nothing to hand over
        copies = await uow.cards.for_request(request.id)
        have = {copy.recipient_id for copy in copies if copy.role == FULFILLER}
        view = await request_view(services, uow, request)
    services.wake_jobs()
    sent_count = 0
    for person_id in await _fulfiller_ids(services):
        if person_id in have:
            continue
        t = await translator_for(services, person_id)
        card = fulfilment_card_for(view, request, t, reader_id=person_id)
        sent_count += await send_card_and_record(services, request, person_id, FULFILLER, card)
    if not have and not sent_count:
        logger.warning("seat order %s: no fulfiller could be reached", request.public_id)
    return True


async def fulfil(services: Services, actor: Actor, data: FulfilClick) -> Reply:
    """"Mark fulfilled": re-checked here (a fulfiller now and not its requester, still waiting, card version, a
    reference), then recorded."""
    text = data.order_reference or ""
    return await _finish(
        services,
        actor,
        Verb.SEATS_FULFIL,
        public_id=data.request_id,
        version=data.version,
        event=RequestEvent.FULFIL,
        value=text,
        refusal="seats.fulfil.no_reference" if not text or len(text) > MAX_REFERENCE else None,
    )


async def not_fulfilled(services: Services, actor: Actor, data: UnfulfillableClick) -> Reply:
    """"Could not fulfil": the same checks, with the reason the requester is told."""
    text = (data.reason or "")[:MAX_REASON]
    return await _finish(
        services,
        actor,
        Verb.SEATS_UNFULFILLABLE,
        public_id=data.request_id,
        version=data.version,
        event=RequestEvent.FAIL,
        value=text,
        refusal=None if text else "seats.fulfil.no_reason",
    )


async def _finish(
    services: Services,
    actor: Actor,
    verb: Verb,
    *,
    public_id: str,
    version: int | None,
    event: RequestEvent,
    value: str,
    refusal: str | None,
) -> Reply:
    t = actor_translator(actor)
    found = await access.find(services, actor, public_id, verb, kind=KIND)
    if isinstance(found, Reply):
        return found
    # As access.find read it, unlocked: enough to refuse early; the change below re-reads the row under a lock.
    seen, standing = found
    public_id = seen.public_id
    if not standing.fulfiller or standing.requester:
        # Involved (an admin, the requester), so they may see the order; the card says why they may not record it.
        if not standing.fulfiller:
            why, notice = access.Why.NOT_FULFILLER, t("seats.fulfil.not_fulfiller", request_id=public_id)
        else:
            why, notice = access.Why.REQUESTER, t("authority.own_seat_order", request_id=public_id)
        await access.record_refusal(services, actor, verb, why, public_id=public_id, request=seen)
        return await _current(services, actor, public_id, notice, can_fulfil=False)
    if seen.state != RequestState.AWAITING_FULFILMENT:
        return await _not_waiting(services, actor, public_id)
    if version is None or version != seen.version:
        return await _current(services, actor, public_id, t("seats.fulfil.stale", request_id=public_id))
    if refusal:
        return await _current(services, actor, public_id, t(refusal, most=MAX_REFERENCE))

    fulfilled = event is RequestEvent.FULFIL
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id, for_update=True)
        assert request is not None  # requests are never deleted
        try:
            new_state = next_state(request.state, event)
            if fulfilled:
                request.result = {
                    "steps": [{"index": 0, "status": "done"}],
                    "order_reference": value,
                    "fulfilled_by": actor.name,
                    "fulfilled_by_id": actor.user_id,
                }
            else:
                request.error = value
            await uow.requests.transition(request, new_state.value, expected_version=version, now=services.clock())
        except (StaleVersion, InvalidTransition):
            # Another fulfiller was quicker between our check and our write; show what won.
            await uow.rollback()
            return await _not_waiting(services, actor, public_id)
        await uow.audit.append(
            action="request.fulfilled" if fulfilled else "request.failed",
            request_id=request.id,
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail={
                "public_id": public_id,
                "version": request.version,
                "order_reference" if fulfilled else "reason": value,
                "sku_part_number": request.payload.get("sku_part_number"),
                "seats": request.payload.get("seats"),
            },
        )
        await uow.jobs.enqueue(request.id, card_update_job(new_state.value))
        await uow.commit()
        view = await request_view(services, uow, request)
    services.wake_jobs()
    logger.info("seat order %s %s by %s", public_id, new_state.value, actor.user_id)
    return Reply(card=fulfilment_card_for(view, request, t))


def fulfilment_card_for(
    view: RequestView,
    request: Request,
    t: Translator,
    *,
    can_fulfil: bool = True,
    notice: str | None = None,
    reader_id: str | None = None,
) -> Element:
    """The fulfiller's card for a stored seat order (only fulfillers get it; a click is checked again anyway).

    A fulfiller who asked for the order themselves gets it without the buttons: someone else records it.
    """
    can_fulfil = can_fulfil and reader_id != request.requester_id
    figures = request.payload.get("seats") or {}
    result = request.result or {}
    seats = SeatFigures(
        plan=str(figures.get("plan", request.target_label)),
        purchased=int(figures.get("purchased", 0)),
        assigned=int(figures.get("assigned", 0)),
        change=int(figures.get("change", 0)),
        resulting=int(figures.get("resulting", 0)),
    )
    return fulfilment_card(
        FulfilmentView(
            request=view,
            seats=seats,
            can_fulfil=can_fulfil,
            reference=result.get("order_reference"),
            fulfilled_by=result.get("fulfilled_by"),
            notice=notice,
        ),
        t,
    )


def fulfiller_card(view: RequestView, request: Request, t: Translator, reader_id: str) -> Element:
    """The kind's role card for the fulfillers' copies, when a transition brings every copy up to date."""
    return fulfilment_card_for(view, request, t, reader_id=reader_id)


def requester_message(state: str, request: Request, t: Translator, approver: str) -> str | None:
    """What the requester of a seat order is told at a transition; None: the generic message (or none)."""
    figures = request.payload.get("seats") or {}
    plan, change = str(figures.get("plan", "")), signed(int(figures.get("change", 0)))
    match state:
        case "approved":
            return t("notify.seats_approved", request_id=request.public_id, name=approver, plan=plan, change=change)
        case "completed":
            return t(
                "notify.seats_fulfilled",
                request_id=request.public_id,
                plan=plan,
                change=change,
                seats=figures.get("resulting", ""),
                reference=(request.result or {}).get("order_reference", ""),
            )
    return None


async def _current(
    services: Services, actor: Actor, public_id: str, notice: str, *, can_fulfil: bool = True
) -> Reply:
    """The order as it stands now, with a notice saying why nothing changed."""
    t = actor_translator(actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        view = await request_view(services, uow, request)
    card = fulfilment_card_for(view, request, t, can_fulfil=can_fulfil, notice=notice, reader_id=actor.user_id)
    return Reply(text=notice, card=card)


async def _not_waiting(services: Services, actor: Actor, public_id: str) -> Reply:
    t = actor_translator(actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
    assert request is not None
    notice = t("seats.fulfil.not_waiting", request_id=public_id, state=t("request.state." + request.state))
    return await _current(services, actor, public_id, notice)


async def _fulfiller_ids(services: Services) -> list[str]:
    group_id = services.policy.fulfillers
    if not group_id:
        return []
    directory = services.tenant.directory
    people = []
    for person_id in await directory.group_member_ids(group_id):
        person = await directory.get_user(person_id)
        if person is not None and person.account_enabled:
            people.append(person.id)
    return people



async def is_fulfiller(services: Services, actor: Actor) -> bool:
    """Membership asked of the directory at the moment of the click; no group configured means nobody."""
    group_id = services.policy.fulfillers
    return bool(group_id) and await services.tenant.directory.is_member_of(actor.user_id, group_id)

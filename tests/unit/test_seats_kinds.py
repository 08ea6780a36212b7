"""The seats family through the registry, against the in-memory tenant: a seat order's refusals, the request it
files (kind, typed plan, approvers, never approved by policy), the offer's button, and the way after approval —
handed over to the fulfillers instead of run, then marked fulfilled or not fulfillable on their card, with every
copy and the requester told through the kind's hooks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from desk_fixture import ANNA, BASIC_SKU_ID, E3_SKU_ID, JONAS, Desk

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.delivery import update_request_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.execution import execute_request
from kinds.apply import apply_steps
from kinds.seats.steps import SeatOrder
from kinds.steps import StepContext
from m365.errors import InvalidRequest
from m365.memory import UserSeed
from storage.models import Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

t = Translator("en-US")


async def say(desk: Desk, person: UserSeed, text: str) -> Reply:
    return await dispatch_command(desk.services, desk.actor(person), parse(text, desk.services.kinds))


async def click(desk: Desk, person: UserSeed, verb: Verb, data: dict[str, Any]) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), verb, data)


async def filed(desk: Desk, person: UserSeed) -> list[Request]:
    async with desk.services.uow() as uow:
        return await uow.requests.list_for_requester(person.user_id)


async def stored(desk: Desk, request: Request) -> Request:
    async with desk.services.uow() as uow:
        found = await uow.requests.get(request.id)
    assert found is not None
    return found


async def plan_name(desk: Desk, sku_id: str) -> str:
    skus = await desk.services.tenant.licenses.list_skus()
    return desk.services.plans.name(next(sku for sku in skus if sku.sku_id == sku_id))


async def run_job(desk: Desk, request: Request, kind: str) -> None:
    async with desk.services.uow() as uow:
        job = await uow.jobs.for_request(request.id, kind)
    assert job is not None, f"no {kind} job for {request.public_id}"
    if kind == "execute":
        await execute_request(desk.services, job)
    else:
        await update_request_cards(desk.services, job)


async def approved_order(desk: Desk) -> Request:
    """Anna's order for 2 more Business Basic seats, approved by Jonas (an admin, so also a fulfiller)."""
    await say(desk, ANNA, "order 2 more Business Basic")
    (request,) = await filed(desk, ANNA)
    await click(desk, JONAS, Verb.APPROVE, {"request_id": request.public_id, "version": request.version})
    return await stored(desk, request)


def verbs_on(card: Any) -> list[str]:
    found = []
    for action in card.get("actions", []):
        if "verb" in action:
            found.append(action["verb"])
        found.extend(inner["verb"] for inner in action.get("card", {}).get("actions", []))
    return found


# ------------------------------------------------------------------ filing


async def test_an_order_is_filed_for_the_admins_with_the_seat_figures_and_one_typed_step(desk: Desk) -> None:
    reply = await say(desk, ANNA, "order 2 more Business Basic")
    (request,) = await filed(desk, ANNA)
    basic = await plan_name(desk, BASIC_SKU_ID)
    # Not approved by any policy: seats cost money, an admin decides.
    assert (request.kind, request.state, request.target_id) == ("license.seats", "pending", BASIC_SKU_ID)
    assert request.approver_ids == [JONAS.user_id] and reply.status_card_of == request.id
    assert request.target_label == f"{basic} · +2"
    # Anna holds one of the five Business Basic seats.
    assert request.payload["seats"] == {"plan": basic, "purchased": 5, "assigned": 1, "change": 2, "resulting": 7}
    (step,) = desk.services.kinds.steps.load_plan(request.plan)
    assert step == SeatOrder(sku_id=BASIC_SKU_ID, sku_part_number="O365_BUSINESS_ESSENTIALS", plan=basic, quantity=2,
                             reduce=False, change="+2", seats="7")
    assert step.params() == {"plan": basic, "change": "+2", "seats": "7"} and step.subjects() == frozenset()


async def test_a_reduction_down_to_the_assigned_seats_is_filed_with_a_negative_change(desk: Desk) -> None:
    await say(desk, ANNA, "reduce Business Basic by 4")
    (request,) = await filed(desk, ANNA)
    (step,) = desk.services.kinds.steps.load_plan(request.plan)
    assert (step.reduce, step.quantity, step.change, step.seats) == (True, 4, "−4", "1")


async def test_seat_order_refusals_file_nothing(desk: Desk) -> None:
    basic, e3 = await plan_name(desk, BASIC_SKU_ID), await plan_name(desk, E3_SKU_ID)
    assert (await say(desk, ANNA, "order five more E3")).text == t("seats.bad_quantity", quantity="five")
    assert (await say(desk, ANNA, "order 10001 more E3")).text == t("seats.bad_quantity", quantity="10001")
    unknown = (await say(desk, ANNA, "order 2 more Kitchen Sink")).text
    assert unknown is not None and unknown.startswith(t("seats.unknown_plan", plan="Kitchen Sink", plans="")[:30])
    # Jonas holds the only E3 seat: giving it back would take his license away.
    assert (await say(desk, ANNA, "reduce E3 by 1")).text == t(
        "seats.below_assigned", plan=e3, requested=1, purchased=1, assigned=1, most=0)
    assert await filed(desk, ANNA) == []
    await say(desk, ANNA, "order 2 more Business Basic")
    (pending,) = await filed(desk, ANNA)
    assert (await say(desk, ANNA, "order 3 more Business Basic")).text == t(
        "seats.already_pending", request_id=pending.public_id, plan=basic)
    assert len(await filed(desk, ANNA)) == 1


async def test_the_offer_button_orders_like_typed_text_and_a_tampered_one_is_refused(desk: Desk) -> None:
    assert (await click(desk, ANNA, Verb.SEATS_ORDER, {"sku_id": BASIC_SKU_ID, "quantity": 0})).text == t(
        "seats.bad_quantity", quantity="0")
    assert (await click(desk, ANNA, Verb.SEATS_ORDER, {"quantity": 1})).text == t("error.bad_card")
    assert (await click(desk, ANNA, Verb.SEATS_ORDER, {"sku_id": BASIC_SKU_ID, "quantity": [1]})).text == t(
        "error.bad_card")
    assert await filed(desk, ANNA) == []
    await click(desk, ANNA, Verb.SEATS_ORDER, {"sku_id": BASIC_SKU_ID, "quantity": 1})
    (request,) = await filed(desk, ANNA)
    (step,) = desk.services.kinds.steps.load_plan(request.plan)
    assert (request.kind, step.quantity, step.change) == ("license.seats", 1, "+1")


# ------------------------------------------------------------------ after approval


async def test_an_approved_order_is_handed_to_the_fulfillers_instead_of_run(desk: Desk) -> None:
    request = await approved_order(desk)
    assert request.state == "approved"
    await run_job(desk, request, "execute")
    assert (await stored(desk, request)).state == "awaiting_fulfilment"
    (sent,) = [each for each in desk.messenger.to(JONAS.user_id) if each.card and verbs_on(each.card)
               == [Verb.SEATS_FULFIL, Verb.SEATS_UNFULFILLABLE]]
    assert sent.card is not None and sent.card["actions"][0]["data"]["request_id"] == request.public_id
    # Graph cannot buy seats: the tenant's seat count is the partner's to change, not the desk's.
    skus = {sku.sku_id: sku for sku in await desk.services.tenant.licenses.list_skus()}
    assert skus[BASIC_SKU_ID].enabled_units == 5
    # A second run (a lost job bookkeeping) sends no second card.
    before = len(desk.messenger.sent)
    await run_job(desk, request, "execute")
    assert len(desk.messenger.sent) == before


async def test_a_fulfiller_records_the_reference_and_the_requester_and_every_card_are_told(desk: Desk) -> None:
    request = await approved_order(desk)
    await run_job(desk, request, "execute")
    waiting = await stored(desk, request)
    data = {"request_id": waiting.public_id, "version": waiting.version}
    # The requester is no fulfiller; an empty reference and an old card version change nothing.
    refused = await click(desk, ANNA, Verb.SEATS_FULFIL, data | {"order_reference": "CSP-1"})
    assert refused.text == t("seats.fulfil.not_fulfiller", request_id=waiting.public_id)
    empty = await click(desk, JONAS, Verb.SEATS_FULFIL, data | {"order_reference": "  "})
    assert empty.text == t("seats.fulfil.no_reference", most=100)
    stale = await click(desk, JONAS, Verb.SEATS_FULFIL, data | {"version": waiting.version - 1,
                                                                 "order_reference": "CSP-1"})
    assert stale.text == t("seats.fulfil.stale", request_id=waiting.public_id)
    assert (await click(desk, JONAS, Verb.SEATS_FULFIL, data | {"version": "3"})).text == t("error.bad_card")
    assert (await stored(desk, request)).state == "awaiting_fulfilment"

    done = await click(desk, JONAS, Verb.SEATS_FULFIL, data | {"order_reference": " CSP-42 "})
    fulfilled = await stored(desk, request)
    assert fulfilled.state == "completed" and fulfilled.result is not None
    assert (fulfilled.result["order_reference"], fulfilled.result["fulfilled_by_id"]) == ("CSP-42", JONAS.user_id)
    assert done.card is not None and verbs_on(done.card) == []
    await run_job(desk, request, "sync:completed")
    basic = await plan_name(desk, BASIC_SKU_ID)
    told = [each.text for each in desk.messenger.to(ANNA.user_id) if each.text]
    assert told[-1] == t("notify.seats_fulfilled", request_id=fulfilled.public_id, plan=basic, change="+2",
                         seats=7, reference="CSP-42")
    # Jonas' fulfilment copy is redrawn by the kind's role card: the reference, no buttons any more.
    fulfilment_updates = [card for _sent, card in desk.messenger.updates if "CSP-42" in json.dumps(card)]
    assert fulfilment_updates and all(verbs_on(card) == [] for card in fulfilment_updates)


async def test_an_order_the_partner_cannot_place_fails_with_the_fulfillers_reason(desk: Desk) -> None:
    request = await approved_order(desk)
    await run_job(desk, request, "execute")
    waiting = await stored(desk, request)
    data = {"request_id": waiting.public_id, "version": waiting.version}
    assert (await click(desk, JONAS, Verb.SEATS_UNFULFILLABLE, data | {"reason": " "})).text == t(
        "seats.fulfil.no_reason")
    await click(desk, JONAS, Verb.SEATS_UNFULFILLABLE, data | {"reason": "end of sale"})
    failed = await stored(desk, request)
    assert (failed.state, failed.error) == ("failed", "end of sale")
    await run_job(desk, request, "sync:failed")
    told = [each.text for each in desk.messenger.to(ANNA.user_id) if each.text]
    assert told[-1] == t("notify.failed", request_id=failed.public_id, error="end of sale")


async def test_the_approved_message_names_the_plan_and_the_change(desk: Desk) -> None:
    request = await approved_order(desk)
    await run_job(desk, request, "sync:approved")
    told = [each.text for each in desk.messenger.to(ANNA.user_id) if each.text]
    assert told[-1] == t("notify.seats_approved", request_id=request.public_id, name=JONAS.display_name,
                         plan=await plan_name(desk, BASIC_SKU_ID), change="+2")


async def test_a_seat_order_step_that_reaches_the_plan_runner_is_a_refusal(desk: Desk) -> None:
    step = SeatOrder(sku_id=BASIC_SKU_ID, sku_part_number="O365_BUSINESS_ESSENTIALS", plan="Business Basic",
                     quantity=1, reduce=False, change="+1", seats="6")
    context = StepContext(tenant=desk.services.tenant, uow=desk.services.uow, request_id=1, clock=desk.clock)
    (outcome,) = await apply_steps(context, [step])
    assert isinstance(outcome, InvalidRequest)


async def test_a_forged_or_oversized_order_id_is_refused_like_a_missing_one(desk: Desk) -> None:
    missing = await click(desk, JONAS, Verb.SEATS_FULFIL, {"request_id": "REQ-2026-999999", "version": 1})
    assert missing.text != t("error.bad_card")
    for forged in ("", "REQ-2026-1' OR 1=1 --" + "x" * 5000):
        for verb in (Verb.SEATS_FULFIL, Verb.SEATS_UNFULFILLABLE):
            assert await click(desk, JONAS, verb, {"request_id": forged, "version": 1}) == missing, (verb, forged)

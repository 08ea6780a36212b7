"""Seat orders (F10) end to end: typed order → admins approve → a fulfiller records the partner's order reference."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import DevTenant, SeedUser
from storage.models import Request

E3, BASIC, E5 = "ENTERPRISEPACK", "O365_BUSINESS_ESSENTIALS", "ENTERPRISEPREMIUM"
REFERENCE = "CSP-2026-0042"


def _seats(desk: Desk, part_number: str) -> tuple[int, int]:
    """(purchased, assigned) in the emulated tenant."""
    state = desk.tenant.state
    sku = state.sku(part_number)
    return sku["prepaidUnits"]["enabled"], state.consumed_units(sku["skuId"])


async def _requests_of(desk: Desk, user: SeedUser) -> list[Request]:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user.id)


async def _actions(desk: Desk, request: Request) -> list[str]:
    async with desk.uow() as uow:
        return [event.action for event in await uow.audit.for_request(request.id)]


def _outsider(desk: Desk) -> SeedUser:
    seed = desk.tenant.seed
    return next(u for u in seed.users if u.id not in seed.admins_group.member_ids and u.id != seed.demo_employee.id)


def _graph_writes(desk: Desk) -> list:
    """Changes asked of Graph (membership checks are POSTs that only read)."""
    reads = ("/checkMemberGroups", "/checkMemberObjects", "/getMemberGroups", "/getMemberObjects")
    return [
        call
        for call in desk.tenant.state.calls("graph")
        if call[1] in ("POST", "PATCH", "DELETE") and not call[2].endswith(reads)
    ]


async def _approved_order(desk: Desk, text: str = "order 5 more E3", *, locale: str = "en-US") -> Request:
    """The employee's order, approved by the demo admin, handed to the fulfillers."""
    employee, admin = desk.tenant.seed.demo_employee, desk.tenant.seed.demo_admin
    await desk.say(employee, text, locale=locale)
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    reply = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert "Approved by" in card_text(reply["value"])
    await desk.run_jobs()
    (request,) = await _requests_of(desk, employee)
    assert request.state == "awaiting_fulfilment"
    return request


def _fulfilment_card(desk: Desk, user: SeedUser) -> tuple[str, dict]:
    cards = [(card_id, card) for card_id, card in desk.cards(user) if "Seat order to place" in card_text(card)]
    assert cards, f"{user.display_name} got no fulfilment card"
    return cards[-1]


async def test_order_approved_fulfilled_with_reference_and_requester_told(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    purchased, assigned = _seats(desk, E3)
    writes_before = len(_graph_writes(desk))

    await desk.say(employee, "order 5 more E3")
    _, status = desk.last_card(employee)
    assert "Seat order" in card_text(status) and "Waiting for approval" in card_text(status)

    await desk.run_jobs()  # approval cards to the admins
    card_id, approval = desk.last_card(admin)
    text = card_text(approval)
    assert "Approval needed" in text and employee.display_name in text
    for label, value in (
        ("Purchased seats", purchased),
        ("Assigned seats", assigned),
        ("Free seats", purchased - assigned),
        ("Change", "+5"),
        ("Seats after the change", purchased + 5),
    ):
        assert f'"title": "{label}", "value": "{value}"' in text, label
    assert "from the next billing period" in text

    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    await desk.run_jobs()  # the execute job hands the order over; cards synced
    (request,) = await _requests_of(desk, employee)
    assert request.state == "awaiting_fulfilment"
    assert len(_graph_writes(desk)) == writes_before, "Graph cannot buy seats: the desk must not try"
    assert _seats(desk, E3) == (purchased, assigned)
    assert any("licensing partner" in line for line in desk.texts(employee))
    fulfillers = [u for u in seed.users if u.id in seed.admins_group.member_ids and u.id != employee.id]
    for person in fulfillers:  # the default fulfillers: the admins group
        _, fulfilment = _fulfilment_card(desk, person)
        assert "Mark fulfilled" in card_text(fulfilment) and "next billing period" in card_text(fulfilment)

    fulfiller = fulfillers[-1]
    card_id, fulfilment = _fulfilment_card(desk, fulfiller)
    data = action_data(fulfilment, Verb.SEATS_FULFIL) | {"order_reference": f"  {REFERENCE} "}
    reply = await desk.click(fulfiller, Verb.SEATS_FULFIL, data, reply_to_id=card_id)
    assert f"Fulfilled by {fulfiller.display_name}, order reference {REFERENCE}." in card_text(reply["value"])
    assert "actions" not in reply["value"]

    await desk.run_jobs()  # every copy updated, the requester told
    (request,) = await _requests_of(desk, employee)
    assert request.state == "completed" and request.completed_at is not None
    assert request.result["order_reference"] == REFERENCE
    told = desk.texts(employee)[-1]
    assert REFERENCE in told and "next billing period" in told and "+5" in told
    _, status = desk.last_card(employee)
    assert "Done" in card_text(status)
    _, approval = desk.last_card(admin)
    assert "Done" in card_text(approval)
    for person in fulfillers:
        _, copy = _fulfilment_card(desk, person)
        assert REFERENCE in card_text(copy) and "Mark fulfilled" not in card_text(copy)

    actions = await _actions(desk, request)
    assert actions == [
        "request.submitted",
        "request.approved",
        "request.awaiting_fulfilment",
        "request.fulfilled",
    ]
    async with desk.uow() as uow:
        check = await uow.audit.verify()  # with the desk's audit keys
    assert check.ok


async def test_polish_order_and_german_reduction_parse_and_localize(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "zamów 5 licencji E3", locale="pl-PL")
    _, status = desk.last_card(employee)
    assert "Zamówienie licencji" in card_text(status) and "+5" in card_text(status)
    purchased, assigned = _seats(desk, BASIC)
    await desk.say(employee, f"Business Basic um {purchased - assigned + 1} reduzieren", locale="de-DE")
    assert "kann nicht um" in desk.texts(employee)[-1]


async def test_reduction_below_assigned_is_refused_with_the_numbers(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    purchased, assigned = _seats(desk, BASIC)
    too_many = purchased - assigned + 1
    await desk.say(employee, f"reduce Business Basic by {too_many}")
    answer = desk.texts(employee)[-1]
    assert f"cannot be reduced by {too_many}" in answer
    assert f"{purchased} seats are purchased and {assigned} are assigned" in answer
    assert f"at most {purchased - assigned} can go" in answer
    assert await _requests_of(desk, employee) == []

    await desk.say(employee, "reduce Business Basic by 0")
    assert '"0" is not a number of seats' in desk.texts(employee)[-1]
    await desk.say(employee, "order 10001 more E3")
    assert '"10001" is not a number of seats' in desk.texts(employee)[-1]
    await desk.say(employee, "order 5 more Z9")
    assert 'I don\'t know the plan "Z9"' in desk.texts(employee)[-1]
    assert await _requests_of(desk, employee) == []

    assert purchased - assigned >= 1  # the seed has free Business Basic seats: a reduction within them is filed
    await desk.say(employee, "reduce Business Basic by 1")
    (request,) = await _requests_of(desk, employee)
    assert request.kind == "license.seats" and request.payload["seats"]["resulting"] == purchased - 1
    assert request.plan[0]["change"] == "−1"


async def test_non_fulfiller_click_is_refused_and_nothing_changes(desk: Desk) -> None:
    request = await _approved_order(desk)
    admin = desk.tenant.seed.demo_admin
    _, fulfilment = _fulfilment_card(desk, admin)
    data = action_data(fulfilment, Verb.SEATS_FULFIL) | {"order_reference": REFERENCE}
    outsider = _outsider(desk)
    reply = await desk.click(outsider, Verb.SEATS_FULFIL, data)
    assert reply["value"] == Translator("en-US")("authority.refused"), "an outsider learns nothing about the order"
    reply = await desk.click(desk.tenant.seed.demo_employee, Verb.SEATS_FULFIL, data)  # the requester, not an admin
    assert "Only the people who place seat orders" in card_text(reply["value"])
    (after,) = await _requests_of(desk, desk.tenant.seed.demo_employee)
    assert (after.state, after.version, after.result) == ("awaiting_fulfilment", request.version, None)
    assert "request.fulfilled" not in await _actions(desk, after)


async def test_empty_or_too_long_reference_is_refused(desk: Desk) -> None:
    request = await _approved_order(desk)
    admin = desk.tenant.seed.demo_admin
    _, fulfilment = _fulfilment_card(desk, admin)
    data = action_data(fulfilment, Verb.SEATS_FULFIL)
    for reference in (None, "", "   ", "x" * 101):
        clicked = data if reference is None else data | {"order_reference": reference}
        reply = await desk.click(admin, Verb.SEATS_FULFIL, clicked)
        assert "Enter the partner's order reference (at most 100 characters)" in card_text(reply["value"])
        assert "Mark fulfilled" in card_text(reply["value"]), "the fulfiller may try again"
    (after,) = await _requests_of(desk, desk.tenant.seed.demo_employee)
    assert (after.state, after.version) == ("awaiting_fulfilment", request.version)


async def test_repeated_fulfilled_click_changes_nothing(desk: Desk) -> None:
    await _approved_order(desk)
    seed = desk.tenant.seed
    admin = seed.demo_admin
    other = next(u for u in seed.users if u.id in seed.admins_group.member_ids and u.id != admin.id)
    _, fulfilment = _fulfilment_card(desk, admin)
    data = action_data(fulfilment, Verb.SEATS_FULFIL)
    first = await desk.click(admin, Verb.SEATS_FULFIL, data | {"order_reference": REFERENCE})
    assert REFERENCE in card_text(first["value"])
    again = await desk.click(admin, Verb.SEATS_FULFIL, data | {"order_reference": "CSP-OTHER"})
    assert "is not waiting for fulfilment" in card_text(again["value"])
    late = await desk.click(other, Verb.SEATS_FULFIL, data | {"order_reference": "CSP-LATE"})  # an old copy
    assert "is not waiting for fulfilment" in card_text(late["value"])
    await desk.run_jobs()
    await desk.run_jobs()
    (request,) = await _requests_of(desk, seed.demo_employee)
    assert request.state == "completed" and request.result["order_reference"] == REFERENCE
    assert (await _actions(desk, request)).count("request.fulfilled") == 1
    assert sum(REFERENCE in line for line in desk.texts(seed.demo_employee)) == 1


async def test_could_not_fulfil_fails_the_order_with_the_reason(desk: Desk) -> None:
    await _approved_order(desk)
    seed = desk.tenant.seed
    _, fulfilment = _fulfilment_card(desk, seed.demo_admin)
    data = action_data(fulfilment, Verb.SEATS_UNFULFILLABLE)
    empty = await desk.click(seed.demo_admin, Verb.SEATS_UNFULFILLABLE, data | {"reason": " "})
    assert "Say why the order could not be placed" in card_text(empty["value"])
    reply = await desk.click(seed.demo_admin, Verb.SEATS_UNFULFILLABLE, data | {"reason": "E3 is end of sale"})
    assert "Failed" in card_text(reply["value"])
    await desk.run_jobs()
    (request,) = await _requests_of(desk, seed.demo_employee)
    assert request.state == "failed" and request.error == "E3 is end of sale"
    assert "E3 is end of sale" in desk.texts(seed.demo_employee)[-1]


async def test_no_free_seat_offers_a_seat_order_that_files_one(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee = seed.demo_employee
    assert state.free_units(E5) == 0
    await desk.say(employee, "request license E5")
    assert "no free" in desk.texts(employee)[-1]
    card_id, offer = desk.last_card(employee)
    data = action_data(offer, Verb.SEATS_ORDER)
    assert data == {"sku_id": state.sku(E5)["skuId"], "quantity": 1}

    reply = await desk.click(employee, Verb.SEATS_ORDER, data, reply_to_id=card_id)
    assert "Seat order" in card_text(reply["value"]) and "+1" in card_text(reply["value"])
    (request,) = await _requests_of(desk, employee)
    purchased, assigned = _seats(desk, E5)
    assert request.kind == "license.seats" and request.payload["seats"] == {
        "plan": "Office 365 E5",
        "purchased": purchased,
        "assigned": assigned,
        "change": 1,
        "resulting": purchased + 1,
    }
    again = await desk.click(employee, Verb.SEATS_ORDER, data, reply_to_id=card_id)  # a double click
    assert f"seat order {request.public_id}" in again["value"] and len(await _requests_of(desk, employee)) == 1
    tampered = await desk.click(employee, Verb.SEATS_ORDER, data | {"quantity": 0})
    assert "is not a number of seats" in tampered["value"]

    await desk.run_jobs()
    _, approval = desk.last_card(seed.demo_admin)
    assert "Seat order" in card_text(approval) and "Approval needed" in card_text(approval)


@pytest.fixture
async def partner_desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    """Fulfillers configured as their own group (here the E3 license group's members), not the admins."""
    group_id = tenant.seed.license_groups[0].id
    running = await start_desk(tenant, desk_settings(tenant, database_url, fulfillers_group_id=group_id))
    try:
        yield running
    finally:
        await running.client.close()


async def test_configured_fulfillers_group_gets_the_card_and_admins_may_not_fulfil(partner_desk: Desk) -> None:
    desk = partner_desk
    seed = desk.tenant.seed
    await _approved_order(desk)
    partner = desk.tenant.seed.user(seed.license_groups[0].member_ids[0])
    card_id, fulfilment = _fulfilment_card(desk, partner)
    assert not [c for c in desk.cards(seed.demo_admin) if "Seat order to place" in card_text(c[1])]
    data = action_data(fulfilment, Verb.SEATS_FULFIL) | {"order_reference": REFERENCE}
    refused = await desk.click(seed.demo_admin, Verb.SEATS_FULFIL, data)
    assert "Only the people who place seat orders" in card_text(refused["value"])
    done = await desk.click(partner, Verb.SEATS_FULFIL, data, reply_to_id=card_id)
    assert REFERENCE in card_text(done["value"])

"""Seat order cards (F10): fulfilment buttons only while the order waits, the offer's click data, the SLA clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cards.i18n import Translator
from cards.seat_orders import FulfilmentView, SeatFigures, SeatOfferView, fulfilment_card, seat_offer_card, signed
from cards.verbs import Verb
from cards.views import RequestView
from handlers.request_views import is_breached
from kinds.seats.steps import SeatOrder
from storage.models import Request

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SEATS = SeatFigures("Office 365 E3", purchased=25, assigned=20, change=5, resulting=30)


def _view(state: str) -> RequestView:
    return RequestView("REQ-2026-000007", 3, "license.seats", state, "Anna Kowalska", "Office 365 E3 · +5", WHEN)


def _verbs(card: dict) -> list[str]:
    found = []
    for action in card.get("actions", []):
        if "verb" in action:
            found.append(action["verb"])
        found.extend(inner["verb"] for inner in action.get("card", {}).get("actions", []))
    return found


def test_fulfilment_buttons_only_while_waiting_and_for_fulfillers() -> None:
    t = Translator("en")
    waiting = fulfilment_card(FulfilmentView(_view("awaiting_fulfilment"), SEATS, can_fulfil=True), t)
    assert _verbs(waiting) == [Verb.SEATS_FULFIL, Verb.SEATS_UNFULFILLABLE]
    assert waiting["actions"][0]["data"] == {"request_id": "REQ-2026-000007", "version": 3}
    inputs = [item for item in waiting["body"] if item["type"] == "Input.Text"]
    assert [(item["id"], item["maxLength"]) for item in inputs] == [("order_reference", 100)]
    assert "actions" not in fulfilment_card(FulfilmentView(_view("awaiting_fulfilment"), SEATS, False), t)
    done = fulfilment_card(FulfilmentView(_view("completed"), SEATS, True, "CSP-42", "Emily Clarke"), t)
    assert "actions" not in done
    assert "Fulfilled by Emily Clarke, order reference CSP-42." in json.dumps(done)


def test_fulfilment_card_shows_the_numbers_and_the_billing_note_in_the_reader_language() -> None:
    text = json.dumps(fulfilment_card(FulfilmentView(_view("awaiting_fulfilment"), SEATS, True), Translator("de")),
                      ensure_ascii=False)
    for part in ("Gekaufte Lizenzen", '"25"', '"20"', '"5"', '"+5"', '"30"', "nächsten Abrechnungszeitraum"):
        assert part in text, part


def test_offer_orders_one_seat_of_that_plan() -> None:
    offer = seat_offer_card(SeatOfferView("sku-e5", "Office 365 E5", 4, 4), Translator("pl"))
    (action,) = offer["actions"]
    assert action["verb"] == Verb.SEATS_ORDER and action["data"] == {"sku_id": "sku-e5", "quantity": 1}
    assert action["title"] == "Zamów 1 licencję Office 365 E5 więcej"


def test_signed_change_and_step_labels() -> None:
    assert (signed(5), signed(-3)) == ("+5", "−3")
    step = SeatOrder(sku_id="x", sku_part_number="SPE_E3", plan="E3", quantity=5, reduce=False, change="+5",
                     seats="30")
    assert step.params() == {"plan": "E3", "change": "+5", "seats": "30"}
    message = Translator("en")(f"step.{step.op}", **step.params())
    assert "+5" in message and "30" in message and "next billing period" in message


def test_an_order_waiting_for_fulfilment_keeps_the_sla_clock_running() -> None:
    request = Request(state="awaiting_fulfilment", due_at=WHEN, updated_at=WHEN - timedelta(hours=1))
    assert not is_breached(request, WHEN - timedelta(minutes=1))
    assert is_breached(request, WHEN + timedelta(minutes=1))

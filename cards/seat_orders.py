"""Seat order cards (F10): the fulfiller's card (order reference, Mark fulfilled) and the no-free-seat offer."""

from __future__ import annotations

from dataclasses import dataclass

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb
from cards.views import RequestView

AWAITING_FULFILMENT = "awaiting_fulfilment"  # handlers.lifecycle.RequestState; cards never import handlers
MAX_REFERENCE = 100
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class SeatFigures:
    """A plan's seats when the order was filed, the signed change and the count it leads to."""

    plan: str
    purchased: int
    assigned: int
    change: int  # +5 to order, -3 to reduce
    resulting: int

    @property
    def free(self) -> int:
        return max(self.purchased - self.assigned, 0)


@dataclass(frozen=True, slots=True)
class FulfilmentView:
    request: RequestView
    seats: SeatFigures
    can_fulfil: bool  # the buttons; the click is checked again on the server either way
    reference: str | None = None  # the partner's order reference, once fulfilled
    fulfilled_by: str | None = None
    notice: str | None = None


@dataclass(frozen=True, slots=True)
class SeatOfferView:
    sku_id: str
    plan: str
    purchased: int
    assigned: int


def seat_facts(seats: SeatFigures, t: Translator) -> list[tuple[str, str]]:
    return [
        (t("seats.field.purchased"), t.number(seats.purchased)),
        (t("seats.field.assigned"), t.number(seats.assigned)),
        (t("seats.field.free"), t.number(seats.free)),
        (t("seats.field.change"), signed(seats.change)),
        (t("seats.field.result"), t.number(seats.resulting)),
    ]


def signed(change: int) -> str:
    """+5 / −3 (a real minus sign, as people read it)."""
    return f"+{change}" if change >= 0 else f"−{-change}"


def fulfilment_card(view: FulfilmentView, t: Translator) -> Element:
    """What the fulfillers (the CSP partner) see: the order to place, then who placed it and its reference."""
    request = view.request
    body: list[Element] = [title(t("seats.fulfil.title"))]
    if view.notice:
        body.append(text(view.notice, color="Attention"))
    pairs = [
        (t("request.field.id"), request.request_id),
        (t("request.field.requester"), request.requester_name),
        (t("seats.field.plan"), view.seats.plan),
        *seat_facts(view.seats, t),
    ]
    if request.decision:
        pairs.append((t("seats.field.approved_by"), request.decision.approver_name))
    if request.due_at is not None:
        pairs.append((t("request.field.due"), t.datetime(request.due_at)))
    body.append(facts(pairs))
    body.append(text(t("seats.billing_note"), subtle=True))
    body.append(text(f"{t('request.field.state')}: {t('request.state.' + request.state)}", weight="Bolder"))
    if request.breached:
        body.append(text(t("request.sla_breached"), color="Attention", weight="Bolder"))
    if view.reference:
        body.append(text(t("seats.fulfil.done", name=view.fulfilled_by or "", reference=view.reference)))
    if request.error:
        body.append(text(f"{t('request.field.error')}: {request.error}", color="Attention"))
    actions: list[Element] = []
    if view.can_fulfil and request.state == AWAITING_FULFILMENT:
        body.append(text(t("seats.fulfil.intro")))
        # Not isRequired: the inputs of the whole card go with either button, and "could not fulfil" needs none;
        # the server refuses an empty reference.
        body.append(
            {
                "type": "Input.Text",
                "id": "order_reference",
                "label": t("seats.fulfil.reference"),
                "maxLength": MAX_REFERENCE,
            }
        )
        click = {"request_id": request.request_id, "version": request.version}
        actions = [
            execute(t("seats.fulfil.button"), Verb.SEATS_FULFIL, click, style="positive"),
            {
                "type": "Action.ShowCard",
                "title": t("seats.fulfil.cannot"),
                "card": {
                    "type": "AdaptiveCard",
                    "body": [
                        {
                            "type": "Input.Text",
                            "id": "reason",
                            "label": t("seats.fulfil.cannot_reason"),
                            "isMultiline": True,
                            "maxLength": MAX_REASON,
                        }
                    ],
                    "actions": [
                        execute(t("seats.fulfil.confirm_cannot"), Verb.SEATS_UNFULFILLABLE, click, style="destructive")
                    ],
                },
            },
        ]
    return card(body, actions)


def seat_offer_card(view: SeatOfferView, t: Translator) -> Element:
    """Shown with "no free seats": one click files an order for one more seat (validated again on the server)."""
    body = [
        title(t("seats.offer.title", plan=view.plan)),
        text(t("seats.offer.text", plan=view.plan, purchased=view.purchased, assigned=view.assigned)),
        text(t("seats.billing_note"), subtle=True),
    ]
    order_one = {"sku_id": view.sku_id, "quantity": 1}
    actions = [execute(t("seats.offer.button", plan=view.plan), Verb.SEATS_ORDER, order_one, style="positive")]
    return card(body, actions)

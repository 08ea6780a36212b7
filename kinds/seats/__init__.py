"""The seats family: license.seats, ordering more (or fewer) purchased seats of a plan (F10), approved by admins and
fulfilled by the people who order from the CSP partner, since Graph cannot buy seats."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Approvers, Command, Family, HelpTopic, Kind, VerbRoute
from kinds.seats.commands import parse_seat_order
from kinds.seats.fulfilment import (
    FULFILLER,
    FulfilClick,
    UnfulfillableClick,
    fulfil,
    fulfiller_card,
    hand_over,
    is_fulfiller,
    not_fulfilled,
    requester_message,
)
from kinds.seats.orders import KIND, OfferClick, offer_clicked, request_seats
from kinds.seats.steps import SeatOrder


def family() -> Family:
    return Family(
        name="seats",
        kinds=(
            Kind(
                id=KIND,
                sla_days=1,
                approvers=Approvers.FULFILLERS,
                fulfils=is_fulfiller,
                steps=(SeatOrder,),
                help="help.seat_orders",
                role_cards={FULFILLER: fulfiller_card},
                requester_message=requester_message,
                hand_over=hand_over,
            ),
        ),
        commands=(Command("seat_order", 100, parse_seat_order, request_seats),),
        verbs=(
            VerbRoute(Verb.SEATS_ORDER, OfferClick, offer_clicked),
            VerbRoute(Verb.SEATS_FULFIL, FulfilClick, fulfil),
            VerbRoute(Verb.SEATS_UNFULFILLABLE, UnfulfillableClick, not_fulfilled),
        ),
        help=(HelpTopic(30, "help.seat_orders"),),
    )

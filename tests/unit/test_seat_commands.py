"""Seat order commands (F10) in English, Polish and German, and the quantity rule (a whole number 1..10000)."""

from __future__ import annotations

import pytest

from kinds.licenses.commands import RequestLicense
from kinds.registry import Registry
from kinds.seats.commands import OrderSeats, parse_quantity, parse_seat_order
from tests.unit.conftest import command_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order 5 more E3", OrderSeats("E3", "5")),
        ("Order 5 more seats of E3", OrderSeats("E3", "5")),
        ("buy 2 E5 licenses", OrderSeats("E5", "2")),
        ("order 10 Business Basic", OrderSeats("Business Basic", "10")),
        ("reduce Business Basic by 3", OrderSeats("Business Basic", "3", reduce=True)),
        ("reduce seats of E3 by 1", OrderSeats("E3", "1", reduce=True)),
        ("zamów 5 licencji E3", OrderSeats("E3", "5")),
        ("zamow 5 kolejnych licencji Business Basic", OrderSeats("Business Basic", "5")),
        ("zmniejsz Business Basic o 3", OrderSeats("Business Basic", "3", reduce=True)),
        ("zmniejsz liczbę licencji E3 o 2", OrderSeats("E3", "2", reduce=True)),
        ("5 weitere E3 bestellen", OrderSeats("E3", "5")),
        ("bestelle 5 weitere Business Basic", OrderSeats("Business Basic", "5")),
        ("Business Basic um 3 reduzieren", OrderSeats("Business Basic", "3", reduce=True)),
        ("reduziere E3 um 2", OrderSeats("E3", "2", reduce=True)),
        # The quantity is kept as typed, so the handler can say what is wrong with it.
        ("order five more E3", OrderSeats("E3", "five")),
        ("reduce E3 by -3", OrderSeats("E3", "-3", reduce=True)),
    ],
)
def test_seat_orders_parse(text: str, expected: OrderSeats, registry: Registry) -> None:
    assert parse_seat_order(text) == expected
    assert command_of(text, registry) == expected


@pytest.mark.parametrize(
    "text", ["request license E3", "join sales", "licenses", "Lizenz E3 anfordern", "remove license E3", "help"]
)
def test_other_commands_are_not_seat_orders(text: str) -> None:
    assert parse_seat_order(text) is None


def test_german_request_ending_in_bestellen_stays_a_license_request(registry: Registry) -> None:
    # Only a leading number makes a German "... bestellen" a seat order.
    assert isinstance(command_of("Lizenz E3 bestellen", registry), RequestLicense)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("5", 5), (" 42 ", 42), ("10000", 10000), (7, 7), (1, 1)],
)
def test_valid_quantities(value: object, expected: int) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    "value", ["0", "10001", "-3", "+3", "2.5", "five", "", "1e3", 0, -1, 10001, True, None, 2.0, "100000"]
)
def test_invalid_quantities(value: object) -> None:
    assert parse_quantity(value) is None

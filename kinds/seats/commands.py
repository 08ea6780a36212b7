"""Seat order commands (F10): "order 5 more E3" / "reduce Business Basic by 3", in English, Polish and German."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderSeats:
    """More (or, with ``reduce``, fewer) purchased seats of a plan, as typed: the handler validates both parts."""

    plan: str
    quantity: str  # as typed; the handler wants a whole number 1..10000
    reduce: bool = False


MAX_QUANTITY = 10_000
# The quantity is taken as typed ("five", "-3", "0") so the handler can say what is wrong with it.
_QTY = r"(?P<qty>\S+)"
_SEATS_EN = r"(?:(?:more|additional|extra)\s+)?(?:(?:seats?|licen[cs]es?)\s+(?:of\s+|for\s+)?)?"
_SEATS_PL = r"(?:(?:kolejn\w*|dodatkow\w*|nowe|nowych)\s+)?(?:(?:licencj\w*|miejsc\w*|stanowisk\w*)\s+)?"
_SEATS_DE = r"(?:(?:weitere|zusätzliche|zusaetzliche|mehr)\s+)?(?:(?:lizenzen|plätze|plaetze)\s+)?"

_ORDER_PATTERNS = (
    # en: "order 5 more E3", "order 5 seats of E3", "buy 5 more E3 licenses"
    re.compile(rf"^(?:order|buy)\s+{_QTY}\s+{_SEATS_EN}(?P<plan>.+?)(?:\s+(?:seats?|licen[cs]es?))?$", re.I),
    # pl: "zamów 5 licencji E3", "dokup 5 licencji E3"
    re.compile(rf"^(?:zam[óo]w|dokup|kup)\s+{_QTY}\s+{_SEATS_PL}(?P<plan>.+)$", re.I),
    # de: "5 weitere E3 bestellen", "bestelle 5 weitere E3"
    # A leading number only: "Lizenz E3 bestellen" asks for a license, not for "Lizenz" seats of E3.
    re.compile(rf"^(?P<qty>[-+]?\d\S*)\s+{_SEATS_DE}(?P<plan>.+?)\s+(?:bestellen|kaufen|nachkaufen)$", re.I),
    re.compile(rf"^(?:bestelle|kaufe)\s+{_QTY}\s+{_SEATS_DE}(?P<plan>.+)$", re.I),
)
_REDUCE_PATTERNS = (
    # en: "reduce Business Basic by 3", "reduce seats of E3 by 3"
    re.compile(
        rf"^(?:reduce|decrease|cut)\s+(?:(?:the\s+)?(?:seats?|licen[cs]es?)\s+(?:of\s+)?)?(?P<plan>.+?)\s+by\s+{_QTY}$",
        re.I,
    ),
    # pl: "zmniejsz Business Basic o 3", "zmniejsz liczbę licencji E3 o 3"
    re.compile(
        rf"^(?:zmniejsz|zredukuj)\s+(?:liczb[eę]\s+)?(?:licencji\s+|miejsc\s+)?(?P<plan>.+?)\s+o\s+{_QTY}$", re.I
    ),
    # de: "Business Basic um 3 reduzieren", "reduziere Business Basic um 3"
    re.compile(rf"^(?:lizenzen\s+)?(?P<plan>.+?)\s+um\s+{_QTY}\s+(?:reduzieren|verringern|verkleinern)$", re.I),
    re.compile(rf"^(?:reduziere|verringere)\s+(?:lizenzen\s+)?(?P<plan>.+?)\s+um\s+{_QTY}$", re.I),
)


def parse_seat_order(text: str, _raw: str | None = None) -> OrderSeats | None:
    """The seat order in one cleaned line of chat, or None when the line is something else."""
    for pattern in _ORDER_PATTERNS:
        if found := pattern.match(text):
            return OrderSeats(plan=found["plan"].strip(), quantity=found["qty"])
    for pattern in _REDUCE_PATTERNS:
        if found := pattern.match(text):
            return OrderSeats(plan=found["plan"].strip(), quantity=found["qty"], reduce=True)
    return None


def parse_quantity(value: object) -> int | None:
    """A seat count people may ask for: a whole number from 1 to 10000 (as text or, from a card, an int)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\d{1,5}", value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 1 <= number <= MAX_QUANTITY else None


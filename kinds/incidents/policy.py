"""The incident policy (F18): the 3 × 3 priority matrix, the support groups, the SLA targets per priority on the
business-hours clock, and after how long a resolved incident closes by itself.

Priority from impact (how many people or how much of the business it hits) and urgency (how soon it hurts), the
usual ITIL matrix folded to four levels:

    impact \\ urgency   high   medium   low
    high                P1     P2       P3
    medium              P2     P3       P4
    low                 P3     P4       P4

SLA targets are business time on the desk's calendar (Mon–Fri 08:00–20:00 minus maintenance, Polish holidays):
"1h" is an hour of service time, "2d" two business days (the calendar's business day). The CSP service promises
orders in one business day and activation in three (its §8); incidents are answered faster than orders:

    priority   first response   resolution
    P1         1h               4h
    P2         4h               2d
    P3         1d               5d
    P4         2d               10d
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from handlers.business_time import BusinessCalendar

if TYPE_CHECKING:
    from settings import Settings

HIGH, MEDIUM, LOW = "high", "medium", "low"
LEVELS = (HIGH, MEDIUM, LOW)
PRIORITIES = ("P1", "P2", "P3", "P4")
# (impact, urgency) → priority; see the module docstring for the table.
MATRIX: dict[tuple[str, str], str] = {
    (HIGH, HIGH): "P1", (HIGH, MEDIUM): "P2", (HIGH, LOW): "P3",
    (MEDIUM, HIGH): "P2", (MEDIUM, MEDIUM): "P3", (MEDIUM, LOW): "P4",
    (LOW, HIGH): "P3", (LOW, MEDIUM): "P4", (LOW, LOW): "P4",
}
FIRST_LEVEL, SECOND_LEVEL = 1, 2
DEFAULT_TARGETS: dict[str, tuple[str, str]] = {
    "P1": ("1h", "4h"),
    "P2": ("4h", "2d"),
    "P3": ("1d", "5d"),
    "P4": ("2d", "10d"),
}
DEFAULT_AUTO_CLOSE_DAYS = 3.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")


def priority_of(impact: str, urgency: str) -> str:
    """The matrix's priority; a level it does not know is a bug of the caller (inputs are checked at the edge)."""
    return MATRIX[(impact, urgency)]


@dataclass(frozen=True, slots=True)
class Target:
    """An SLA target: a number of minutes, hours or business days ("30m", "4h", "2d")."""

    amount: float
    unit: str  # "m" | "h" | "d"

    @classmethod
    def parse(cls, text: str) -> Target:
        found = _DURATION.match(text)
        if found is None or float(found[1]) <= 0:
            raise ValueError(f"an incident SLA target is a positive number of m, h or d (business days), got {text!r}")
        return cls(float(found[1]), found[2])

    def as_business_time(self, calendar: BusinessCalendar) -> timedelta:
        if self.unit == "d":
            return calendar.business_days(self.amount)
        return timedelta(minutes=self.amount) if self.unit == "m" else timedelta(hours=self.amount)


@dataclass(frozen=True, slots=True)
class SlaDue:
    first_response: datetime
    resolution: datetime


@dataclass(frozen=True, slots=True)
class IncidentPolicy:
    """Who supports (group object ids; "" = the admins group) and how fast, from settings (app.py)."""

    first_level_group_id: str = ""
    second_level_group_id: str = ""
    # priority → (first response, resolution)
    targets: Mapping[str, tuple[Target, Target]] = field(
        default_factory=lambda: {p: (Target.parse(a), Target.parse(b)) for p, (a, b) in DEFAULT_TARGETS.items()}
    )
    auto_close_days: float = DEFAULT_AUTO_CLOSE_DAYS

    def __post_init__(self) -> None:
        if set(self.targets) != set(PRIORITIES):
            raise ValueError(f"incident SLA targets are needed for {', '.join(PRIORITIES)}")
        if self.auto_close_days <= 0:
            raise ValueError("resolved incidents must close after a positive number of business days")

    @classmethod
    def from_settings(cls, settings: Settings) -> IncidentPolicy:
        """The DESK_INCIDENT_* settings; SLA targets {"P1": ["1h", "4h"], …}, priorities left out keep their
        defaults (DEFAULT_TARGETS)."""
        targets = settings.incident_sla_targets
        unknown = set(targets) - set(PRIORITIES)
        if unknown:
            raise ValueError(f"unknown incident priorities in the SLA targets: {', '.join(sorted(unknown))}")
        merged: dict[str, tuple[Target, Target]] = {}
        for priority in PRIORITIES:
            pair: Sequence[str] = targets.get(priority, DEFAULT_TARGETS[priority])
            if len(pair) != 2:
                raise ValueError(f"incident SLA target of {priority}: [first response, resolution]")
            merged[priority] = (Target.parse(pair[0]), Target.parse(pair[1]))
        return cls(first_level_group_id=settings.incident_first_level_group_id,
                   second_level_group_id=settings.incident_second_level_group_id, targets=merged,
                   auto_close_days=settings.incident_auto_close_days)

    def group_of(self, level: int, admins_group_id: str) -> str:
        """The group that supports at this level; second level falls back to the first, the first to the admins."""
        first = self.first_level_group_id or admins_group_id
        return (self.second_level_group_id or first) if level == SECOND_LEVEL else first

    def due(self, priority: str, since: datetime, calendar: BusinessCalendar) -> SlaDue:
        response, resolution = self.targets[priority]
        return SlaDue(
            first_response=calendar.add_business_time(since, response.as_business_time(calendar)),
            resolution=calendar.add_business_time(since, resolution.as_business_time(calendar)),
        )

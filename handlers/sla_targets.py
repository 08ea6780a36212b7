"""SLA targets: how many business days each request kind may take, and when a request is due or past due."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.business_time import BusinessCalendar, to_utc

DEFAULT_SLA_DAYS = 1.0  # any request kind without its own target: one business day, like a CSP order


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """The SLA target of each request kind, in business days of the calendar it is applied with."""

    targets: tuple[tuple[str, float], ...] = (
        ("license.assign", 3.0),  # license activation: 3 business days
        ("license.seats", 1.0),  # seat order: 1 business day
    )
    default_days: float = DEFAULT_SLA_DAYS

    def __post_init__(self) -> None:
        if self.default_days <= 0 or any(days <= 0 for _, days in self.targets):
            raise ValueError("SLA targets must be positive")

    @classmethod
    def from_config(cls, config: Mapping[str, float | int | str]) -> SlaTargets:
        """`{"license.assign": 3, "default": 1, ...}`: business days per request kind ("default" for the rest)."""
        default = float(config.get("default", DEFAULT_SLA_DAYS))
        targets = tuple(sorted((kind, float(days)) for kind, days in config.items() if kind != "default"))
        return cls(targets=targets, default_days=default)

    def days_for(self, kind: str) -> float:
        return dict(self.targets).get(kind, self.default_days)

    def target(self, kind: str, calendar: BusinessCalendar) -> timedelta:
        return calendar.business_days(self.days_for(kind))

    def due_at(self, kind: str, submitted_at: datetime, calendar: BusinessCalendar) -> datetime:
        return calendar.add_business_time(submitted_at, self.target(kind, calendar))

    def breached(
        self, kind: str, submitted_at: datetime, completed_at_or_now: datetime, calendar: BusinessCalendar
    ) -> bool:
        """Whether the request was (or, when still open and given the current time, is) past its due time."""
        return to_utc(completed_at_or_now) > self.due_at(kind, submitted_at, calendar)

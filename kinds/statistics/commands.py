"""The admins' statistics command (F21) as typed in English, Polish and German, and its parser."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShowStatistics:
    """ "statistics" / "stats", "statystyki", "Statistik": the last weeks' numbers and charts."""


_STATISTICS = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?(?:statistics|stats|statystyki|statistik|statistiken)$", re.IGNORECASE
)


def parse_statistics(text: str, _raw: str | None = None) -> ShowStatistics | None:
    return ShowStatistics() if _STATISTICS.match(text.strip()) else None

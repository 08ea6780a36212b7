"""The statistics family (F21, F22): the admins' "statistics" command, its numbers card and its PNG charts."""

from __future__ import annotations

import functools

from kinds.family import Command, Family
from kinds.statistics import report
from kinds.statistics.commands import parse_statistics


def family() -> Family:
    # The family keeps its drawn charts for as long as the desk it is built into runs (report.Charts).
    charts = report.Charts()
    return Family(
        name="statistics",
        # Before "show …" (140), the catch-all. An admins' command, like "sla" and the license report: no line on
        # everyone's help card and no entry in everyone's manifest menu.
        commands=(Command("statistics", 28, parse_statistics, functools.partial(report.show_statistics,
                                                                                  charts=charts)),),
    )

"""The admins' statistics card (F21, F22): requests per week with the busiest kind and per kind, median times per
family, SLA compliance per month, top requesters and resources, incidents per priority apart from requests (F18),
and the charts as images behind short-lived links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from cards.elements import Element, card, facts, text, title
from cards.i18n import Translator, plain

NO_VALUE = "—"
# The message key of each family's name, written out so the catalogue check sees every key in use.
FAMILY_KEYS = {
    "licenses": "statistics.family.licenses",
    "lists": "statistics.family.lists",
    "mailboxes": "statistics.family.mailboxes",
    "seats": "statistics.family.seats",
    "groups": "statistics.family.groups",
}
_HOUR, _DAY = 3600.0, 86400.0
# The kinds named one by one under the weeks' table; the rest are summed as "other kinds".
TOP_KINDS = 5


@dataclass(frozen=True, slots=True)
class KindVolume:
    """One request kind's count in each week of the window, oldest week first."""

    kind: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class FamilyTimes:
    """Median seconds from filing to decision and to completion in one family (None while nothing got there)."""

    family: str
    decided: int
    decision_seconds: float | None
    completed: int
    completion_seconds: float | None


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    """One priority's incidents in the window: how many were opened and resolved, median seconds to the first
    response and to resolution (None while none got there), and resolutions on time and late (open past due too)."""

    priority: str
    opened: int
    resolved: int
    response_seconds: float | None
    resolution_seconds: float | None
    on_time: int
    breached: int

    @property
    def share(self) -> float | None:
        judged = self.on_time + self.breached
        return self.on_time / judged if judged else None


@dataclass(frozen=True, slots=True)
class MonthCompliance:
    month: date  # its first day
    on_time: int
    breached: int

    @property
    def share(self) -> float | None:
        judged = self.on_time + self.breached
        return self.on_time / judged if judged else None


@dataclass(frozen=True, slots=True)
class Ranked:
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart behind its short-lived link, with the text that stands for it where images are not shown."""

    element_id: str
    url: str
    alt_text: str


@dataclass(frozen=True, slots=True)
class StatisticsView:
    as_of: datetime
    weeks: tuple[date, ...]  # the local Mondays the weeks start on, oldest first
    volumes: tuple[KindVolume, ...] = ()
    times: tuple[FamilyTimes, ...] = ()
    months: tuple[MonthCompliance, ...] = ()  # oldest first
    requesters: tuple[Ranked, ...] = ()
    resources: tuple[Ranked, ...] = ()
    incidents: tuple[IncidentTimes, ...] = ()  # per priority, P1 first
    charts: tuple[Chart, ...] = field(default=())
    link_minutes: int = 0


def week_label(monday: date, t: Translator) -> str:
    """"W10" (en), "T10" (pl), "KW 10" (de): the ISO week, short enough for a table column and a chart axis."""
    return str(t("statistics.week", number=monday.isocalendar().week))


def duration(seconds: float | None, t: Translator) -> str:
    """Hours under two days (one decimal below ten hours), whole or half days beyond."""
    if seconds is None:
        return NO_VALUE
    if seconds < 2 * _DAY:
        hours = seconds / _HOUR
        return str(t("statistics.hours", hours=t.number(round(hours, 1) if hours < 10 else round(hours))))
    return str(t("statistics.days", days=t.number(round(seconds / _DAY * 2) / 2)))


def statistics_card(view: StatisticsView, t: Translator) -> Element:
    charts = {chart.element_id: chart for chart in view.charts}
    body: list[Element] = [
        title(t("statistics.title")),
        text(t("statistics.window", count=len(view.weeks), week=week_label(view.weeks[0], t) if view.weeks else ""),
             subtle=True),
    ]
    body.append(_volume_section(view, t, charts.get("chart-volume")))
    body.append(_times_section(view, t))
    body.append(_compliance_section(view, t, charts.get("chart-sla")))
    body.append(_ranked_section("top-requesters", t("statistics.top_requesters"), view.requesters, t))
    body.append(_ranked_section("top-resources", t("statistics.top_resources"), view.resources, t))
    body.append(_incidents_section(view, t))
    if (seats := charts.get("chart-seats")) is not None:
        body.append(_section("seats", t("statistics.seats"), [_image(seats)]))
    note = t("statistics.note", time=t.datetime(view.as_of))
    if view.charts:
        note = t("statistics.links", note=note, minutes=t.number(view.link_minutes))
    body.append(text(note, subtle=True))
    return card(body)


def _volume_section(view: StatisticsView, t: Translator, chart: Chart | None) -> Element:
    """Weeks as rows with their count and busiest kind, then the kinds' totals: three columns that fit Teams'
    narrow chat width in every language (a column per week wrapped "W42" and "Total" mid-word), the chart for
    the detail."""
    heading = t("statistics.volume")
    if not view.volumes:
        return _section("volume", heading, [text(t("statistics.no_requests"))])
    rows = [_row([t("statistics.week_column"), t("statistics.requests_column"), t("statistics.busiest_column")],
                 bold=True)]
    for index, week in enumerate(view.weeks):
        count = sum(line.counts[index] for line in view.volumes)
        # The busiest kind overall wins a tie: the volumes come busiest first and max() keeps the first.
        busiest = max(view.volumes, key=lambda line: line.counts[index])
        top = t("request.kind." + busiest.kind) if count else NO_VALUE
        rows.append(_row([week_label(week, t), t.number(count), top]))
    rows.append(_row([t("statistics.total"), t.number(sum(line.total for line in view.volumes)), ""], bold=True))
    shown, rest = view.volumes[:TOP_KINDS], view.volumes[TOP_KINDS:]
    kinds = [(t("request.kind." + line.kind), t.number(line.total)) for line in shown]
    if rest:
        kinds.append((t("statistics.other_kinds", count=len(rest)), t.number(sum(line.total for line in rest))))
    items: list[Element] = [
        {"type": "Table", "columns": [{"width": 3}, {"width": 3}, {"width": 6}], "rows": rows,
         "firstRowAsHeader": True, "showGridLines": False},
        text(f"**{t('statistics.by_kind')}**"),
        facts(kinds),
    ]
    if chart is not None:
        items.append(_image(chart))
    return _section("volume", heading, items)


def _times_section(view: StatisticsView, t: Translator) -> Element:
    heading = t("statistics.times")
    if not view.times:
        return _section("times", heading, [text(t("statistics.no_decisions"))])
    items: list[Element] = []
    for line in view.times:
        key = FAMILY_KEYS.get(line.family)
        name = t(key) if key else plain(line.family)
        items.append(text(f"**{name}**"))
        items.append(facts([
            (t("statistics.to_decision"),
             t("statistics.median_of", median=duration(line.decision_seconds, t), count=t.number(line.decided))),
            (t("statistics.to_completion"),
             t("statistics.median_of", median=duration(line.completion_seconds, t), count=t.number(line.completed))),
        ]))
    return _section("times", heading, items)


def _compliance_section(view: StatisticsView, t: Translator, chart: Chart | None) -> Element:
    pairs = []
    for month in view.months:
        share = month.share
        value = NO_VALUE if share is None else t(
            "statistics.compliance_of", share=t.percent(share), on_time=t.number(month.on_time),
            judged=t.number(month.on_time + month.breached))
        pairs.append((t.month(month.month), str(value)))
    items: list[Element] = [facts(pairs)]
    if chart is not None:
        items.append(_image(chart))
    return _section("sla", t("statistics.sla"), items)


def _incidents_section(view: StatisticsView, t: Translator) -> Element:
    """Incidents per priority, apart from the requests above: they are not approved, so have no decision."""
    heading = t("statistics.incidents")
    if not view.incidents:
        return _section("incidents", heading, [text(t("statistics.no_incidents"))])
    items: list[Element] = []
    for line in view.incidents:
        share = line.share
        items.append(text(f"**{t('statistics.incidents.priority', priority=line.priority)}**"))
        items.append(facts([
            (t("statistics.incidents.opened"), t.number(line.opened)),
            (t("statistics.incidents.to_response"), duration(line.response_seconds, t)),
            (t("statistics.incidents.to_resolution"),
             t("statistics.incidents.median_of", median=duration(line.resolution_seconds, t),
               count=t.number(line.resolved))),
            (t("statistics.incidents.on_time"), NO_VALUE if share is None else str(t(
                "statistics.compliance_of", share=t.percent(share), on_time=t.number(line.on_time),
                judged=t.number(line.on_time + line.breached)))),
        ]))
    return _section("incidents", heading, items)


def _ranked_section(element_id: str, heading: str, ranked: tuple[Ranked, ...], t: Translator) -> Element:
    if not ranked:
        return _section(element_id, heading, [text(t("statistics.no_requests"))])
    return _section(element_id, heading, [facts([(str(plain(line.label)), t.number(line.count)) for line in ranked])])


def _section(element_id: str, heading: str, items: list[Element]) -> Element:
    return {"type": "Container", "id": element_id, "separator": True,
            "items": [text(f"**{heading}**"), *items]}


def _row(cells: list[str], *, bold: bool = False) -> Element:
    return {
        "type": "TableRow",
        "cells": [{"type": "TableCell", "items": [text(cell, weight="Bolder" if bold else None)]} for cell in cells],
    }


def _image(chart: Chart) -> Element:
    # Teams fetches a card's image itself, anonymously, from an https URL (http://127.0.0.1 only in the
    # Playground); a data: URI would have to fit the message's ~28 KB limit with the card, which a chart does not.
    # PNG, JPEG or GIF up to 1024×1024 px and 1 MB (our charts: 800×400 px). The link is short-lived like the CSV's,
    # so an old card shows its alt text once the link has expired.
    return {"type": "Image", "id": chart.element_id, "url": chart.url, "altText": chart.alt_text, "size": "Stretch"}

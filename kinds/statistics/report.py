"""The admins' "statistics" (F21, F22): gathers the numbers (storage.statistics_queries, the SLA report's counts,
the tenant's seats), draws the charts, stores them behind short-lived links and answers with the card; and serves
a chart's PNG to whoever holds its link."""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from cards.charts import ChartText, Series, compliance_chart, seats_chart, volume_chart
from cards.i18n import Translator
from cards.statistics import (
    TOP_KINDS,
    Chart,
    FamilyTimes,
    IncidentTimes,
    KindVolume,
    MonthCompliance,
    Ranked,
    StatisticsView,
    statistics_card,
    week_label,
)
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestState
from handlers.services import Services, is_admin
from handlers.sla_report import month_bounds
from kinds.licenses.reports import plan_namer, token_hash
from kinds.statistics.commands import ShowStatistics
from m365.ports import Sku
from storage.queries import sla_counts
from storage.statistics_queries import (
    GroupMedians,
    IncidentPriorityFigures,
    KindWeekCount,
    TopEntry,
    incident_figures,
    median_durations,
    requests_per_kind_and_week,
    top_requesters,
    top_targets,
)

logger = logging.getLogger(__name__)

WEEKS = 8
MONTHS = 6
TOP = 5
CHART_TYPE = "image/png"
# Charts kept per kind of chart: a few languages and windows' worth (each PNG some 20-40 KB).
CHARTS_KEPT = 24
# The families whose requests are about a plan: their "resource" is the plan, not the person holding it.
PLAN_FAMILIES = frozenset({"licenses", "seats"})
_FINAL_STATES = frozenset(state.value for state in RequestState if state.is_final)


class Charts:
    """The three charts drawn from their exact inputs, each drawing kept (least recently used out, CHARTS_KEPT of
    each kind) by the statistics family that owns this: asked again with the same numbers, words and language, a
    chart is the PNG drawn before, with no drawing (~100 ms each). It stays correct without invalidation: the
    inputs are the key, all of them (every count, label and title, in the reader's language), and a chart is a
    pure function of them, so any change in the figures is a new key and a new drawing; a restart forgets all.
    ``kept=0`` draws every time."""

    def __init__(self, kept: int = CHARTS_KEPT) -> None:
        self.volume = functools.lru_cache(maxsize=kept)(volume_chart)
        self.compliance = functools.lru_cache(maxsize=kept)(compliance_chart)
        self.seats = functools.lru_cache(maxsize=kept)(seats_chart)


@dataclass(frozen=True, slots=True)
class Figures:
    """What the queries and the tenant said, before anything is worded or drawn."""

    weeks: tuple[date, ...]
    volumes: Sequence[KindWeekCount]
    medians: Sequence[GroupMedians]
    months: Sequence[MonthCompliance]
    requesters: Sequence[TopEntry]
    resources: Sequence[TopEntry]
    # Incidents (F18) filed in the same weeks, per priority: counted apart from requests, never in their figures.
    incidents: Sequence[IncidentPriorityFigures] = ()


async def show_statistics(services: Services, actor: Actor, _command: ShowStatistics, *,
                          charts: Charts | None = None) -> Reply:
    """Checks the admins group on the server first; reads, then stores only the charts behind their links.
    ``charts``: the family's kept drawings (None: draw them all now)."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("statistics.not_admin"))
    now = services.clock()
    charts = charts or Charts(kept=0)
    skus = await services.tenant.licenses.list_skus()
    # The seats chart needs no query: it is drawn in a worker thread while the database answers the queries.
    figures, seats = await asyncio.gather(gather_figures(services, now),
                                          asyncio.to_thread(draw_seats_chart, _seat_lines(services, skus), t, charts))
    view = build_view(figures, now=now, plan_name=plan_namer(services, skus))
    pngs = [*await asyncio.to_thread(draw_request_charts, view, t, charts), seats]
    policy = services.reports
    expires_at = now + timedelta(minutes=policy.link_minutes)
    stored = []
    async with services.uow() as uow:
        for (element_id, alt_text), png in pngs:
            token = secrets.token_urlsafe(32)
            await uow.report_files.add(
                token_hash=token_hash(token),
                name=f"{element_id}.png",
                content_type=CHART_TYPE,
                # report_files holds text (the CSVs'): a chart is kept as base64 and decoded when served.
                content=base64.b64encode(png).decode("ascii"),
                created_by=actor.user_id,
                now=now,
                expires_at=expires_at,
            )
            stored.append(Chart(element_id, f"{policy.public_url}/reports/{token}.png", alt_text))
        await uow.commit()
    logger.info("statistics for %s with %d charts, links valid %d min", actor.user_id, len(stored), policy.link_minutes)
    return Reply(card=statistics_card(replace(view, charts=tuple(stored), link_minutes=policy.link_minutes), t))


async def gather_figures(services: Services, now: datetime) -> Figures:
    """The window's numbers: weeks and months are the calendar's (where the SLA is kept), oldest first."""
    zone = services.calendar.zone
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = tuple(this_monday - timedelta(weeks=back) for back in range(WEEKS - 1, -1, -1))
    # Local midnight is never skipped or repeated in the zones the desk serves (DST changes at 02:00-03:00).
    week_starts = [datetime(day.year, day.month, day.day, tzinfo=zone) for day in mondays]
    months = [today.replace(day=1)]
    while len(months) < MONTHS:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    family_of = {kind.id: family.name for family in services.kinds.families for kind in family.kinds}
    plan_kinds = {kind for kind, family in family_of.items() if family in PLAN_FAMILIES}
    start = week_starts[0]
    async with services.uow() as uow:
        session = uow.session
        volumes = await requests_per_kind_and_week(session, week_starts=week_starts, end=now)
        medians = await median_durations(session, group_of=family_of, start=start, end=now)
        requesters = await top_requesters(session, start=start, end=now, limit=TOP)
        resources = await top_targets(session, start=start, end=now, limit=TOP, plan_kinds=plan_kinds)
        incidents = await incident_figures(session, start=start, end=now, now=now)
        compliance = []
        for month in months:
            month_start, month_end = month_bounds(month, zone)
            counts = await sla_counts(session, start=month_start, end=month_end, now=now, final_states=_FINAL_STATES)
            compliance.append(MonthCompliance(month, sum(c.on_time for c in counts), sum(c.breached for c in counts)))
    return Figures(mondays, volumes, medians, tuple(compliance), requesters, resources, incidents)


def build_view(figures: Figures, *, now: datetime, plan_name: Callable[[str], str] = str) -> StatisticsView:
    """The card's view from the figures: pure, so every number is testable on known inputs. ``plan_name``: a
    plan's name from its SKU part number (the license report's plan_namer)."""
    per_kind: dict[str, list[int]] = {}
    for row in figures.volumes:
        if 0 <= row.week < len(figures.weeks):
            per_kind.setdefault(row.kind, [0] * len(figures.weeks))[row.week] += row.count
    # The busiest kind first: it is the bottom layer of the chart and the first row of the table.
    ordered = sorted(per_kind.items(), key=lambda item: (-sum(item[1]), item[0]))
    volumes = tuple(KindVolume(kind, tuple(counts)) for kind, counts in ordered)
    times = tuple(
        FamilyTimes(m.group, m.decided, m.decision_seconds, m.completed, m.completion_seconds) for m in figures.medians
    )
    return StatisticsView(
        as_of=now,
        weeks=figures.weeks,
        volumes=volumes,
        times=times,
        months=tuple(figures.months),
        requesters=tuple(Ranked(entry.label, entry.count) for entry in figures.requesters),
        resources=tuple(Ranked(plan_name(entry.key) if entry.is_plan else entry.label, entry.count)
                        for entry in figures.resources),
        incidents=tuple(
            IncidentTimes(line.priority, line.opened, line.resolved, line.response_seconds, line.resolution_seconds,
                          line.on_time, line.breached)
            for line in figures.incidents
        ),
    )


@dataclass(frozen=True, slots=True)
class SeatLine:
    plan: str
    assigned: int
    free: int


def draw_request_charts(view: StatisticsView, t: Translator, charts: Charts) -> list[tuple[tuple[str, str], bytes]]:
    """((element id, alt text), PNG) of the volume and SLA charts, drawn or kept by ``charts``; CPU work when
    drawn, run off the event loop by the caller. Every argument is a tuple, so that drawings are kept by inputs."""
    empty = str(t("statistics.chart.empty"))
    weeks = tuple(week_label(week, t) for week in view.weeks)
    total = sum(line.total for line in view.volumes)
    # The card's busiest kinds, one layer each, and the rest as one: a legend of every kind hid the bars.
    shown, rest = view.volumes[:TOP_KINDS], view.volumes[TOP_KINDS:]
    layers = [Series(str(t("request.kind." + line.kind)), tuple(float(n) for n in line.counts)) for line in shown]
    if rest:
        others = tuple(float(sum(line.counts[week] for line in rest)) for week in range(len(view.weeks)))
        layers.append(Series(str(t("statistics.other_kinds", count=len(rest))), others))
    volume = charts.volume(
        weeks,
        tuple(layers),
        ChartText(str(t("statistics.chart.volume")), str(t("statistics.chart.requests")), empty),
    )
    shares = tuple(month.share for month in view.months)
    latest = next((share for share in reversed(shares) if share is not None), None)
    compliance = charts.compliance(
        tuple(t.month(month.month) for month in view.months),
        shares,
        ChartText(str(t("statistics.chart.sla")), str(t("statistics.chart.on_time")), empty),
    )
    first, last = (t.month(view.months[0].month), t.month(view.months[-1].month)) if view.months else ("", "")
    return [
        (("chart-volume", str(t("statistics.alt.volume", count=total, weeks=t.number(len(view.weeks))))), volume),
        (("chart-sla", str(t("statistics.alt.sla", first=first, last=last,
                                 latest="—" if latest is None else t.percent(latest)))), compliance),
    ]


def draw_seats_chart(seats: Sequence[SeatLine], t: Translator, charts: Charts) -> tuple[tuple[str, str], bytes]:
    """((element id, alt text), PNG) of the seats per plan, drawn or kept by ``charts``; CPU work when drawn."""
    png = charts.seats(
        tuple(line.plan for line in seats),
        tuple(line.assigned for line in seats),
        tuple(line.free for line in seats),
        (str(t("statistics.chart.assigned")), str(t("statistics.chart.free"))),
        ChartText(str(t("statistics.chart.seats")), str(t("statistics.chart.seat_count")),
                  str(t("statistics.chart.empty"))),
    )
    assigned, free = t.number(sum(s.assigned for s in seats)), t.number(sum(s.free for s in seats))
    return ("chart-seats", str(t("statistics.alt.seats", plans=len(seats), assigned=assigned, free=free))), png


async def download_chart(services: Services, token: str) -> bytes | None:
    """A chart's PNG while its link is valid; None otherwise (expired, unknown, or a link to something else)."""
    if not token or len(token) > 100:
        return None
    async with services.uow() as uow:
        row = await uow.report_files.get_valid(token_hash(token), now=services.clock())
        if row is None or row.content_type != CHART_TYPE:
            return None
        return base64.b64decode(row.content)


def _seat_lines(services: Services, skus: Sequence[Sku]) -> list[SeatLine]:
    """Plans with any seat bought or handed out, by name; a plan nobody pays for or holds says nothing."""
    lines = [
        SeatLine(services.plans.name(sku), sku.consumed_units, sku.free_units)
        for sku in skus
        if sku.enabled_units or sku.consumed_units
    ]
    return sorted(lines, key=lambda line: line.plan.casefold())

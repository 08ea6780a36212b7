"""The admins' statistics queries (F21): requests per kind and week, median times to decision and completion per
group of kinds, the most frequent requesters and resources (a license request's is its plan), and incidents' own
figures per priority (F18: opened, resolved, first response and resolution against their due times), counted apart
from requests; each returns small dataclasses, never ORM rows."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import session_is_postgres
from storage.models import Request
from storage.models_incidents import Incident


@dataclass(frozen=True, slots=True)
class KindWeekCount:
    """How many requests of one kind were filed in one week (``week``: the index into the week starts given)."""

    kind: str
    week: int
    count: int


@dataclass(frozen=True, slots=True)
class GroupMedians:
    """Median seconds from filing to decision and to completion for one group of kinds (None: none yet)."""

    group: str
    decided: int
    decision_seconds: float | None
    completed: int
    completion_seconds: float | None


@dataclass(frozen=True, slots=True)
class TopEntry:
    """A requester or a request's resource, with how many requests name it. A plan (``is_plan``) is given by its
    SKU part number in ``key`` and ``label`` alike: the caller names it the way the license report does."""

    key: str
    label: str
    count: int
    is_plan: bool = False


async def requests_per_kind_and_week(
    session: AsyncSession, *, week_starts: Sequence[datetime], end: datetime
) -> list[KindWeekCount]:
    """Counts per (kind, week) of requests created in [week_starts[0], end); weeks without requests are absent.

    The weeks are bucketed by a CASE over the given instants rather than by date functions, which SQLite and
    PostgreSQL spell differently and which would not know the calendar's zone anyway.
    """
    if not week_starts:
        return []
    week = case(
        *((Request.created_at >= start, index) for index, start in reversed(list(enumerate(week_starts)))),
        else_=-1,
    ).label("week")
    stmt = (
        select(Request.kind, week, func.count())
        .where(Request.created_at >= week_starts[0], Request.created_at < end)
        .group_by(Request.kind, week)
        .order_by(Request.kind, week)
    )
    rows = (await session.execute(stmt)).all()
    return [KindWeekCount(kind, int(index), int(count)) for kind, index, count in rows]


async def median_durations(
    session: AsyncSession, *, group_of: Mapping[str, str], start: datetime, end: datetime
) -> list[GroupMedians]:
    """Per group of kinds (``group_of``: kind → group; other kinds are left out), the medians over requests created
    in [start, end) that have been decided, and that have completed; groups in name order.

    PostgreSQL computes the medians itself (percentile_cont); SQLite has no median, so its rows come back and
    Python takes them — SQLite serves development and tests, where the rows are few.
    """
    if not group_of:
        return []
    in_window = (Request.created_at >= start, Request.created_at < end, Request.kind.in_(list(group_of)))
    group = case(*((Request.kind == kind, literal(name)) for kind, name in group_of.items())).label("grp")
    if session_is_postgres(session):
        decision = _pg_median(Request.decided_at - Request.created_at)
        completion = _pg_median(Request.completed_at - Request.created_at)
        stmt = (
            select(group, func.count(Request.decided_at), decision, func.count(Request.completed_at), completion)
            .where(*in_window, Request.decided_at.is_not(None) | Request.completed_at.is_not(None))
            .group_by(group)
            .order_by(group)
        )
        rows = (await session.execute(stmt)).all()
        return [
            GroupMedians(name, int(decided), _seconds(decision_s), int(completed), _seconds(completion_s))
            for name, decided, decision_s, completed, completion_s in rows
        ]
    stmt_rows = select(Request.kind, Request.created_at, Request.decided_at, Request.completed_at).where(
        *in_window, Request.decided_at.is_not(None) | Request.completed_at.is_not(None)
    )
    decisions: dict[str, list[float]] = defaultdict(list)
    completions: dict[str, list[float]] = defaultdict(list)
    for kind, created_at, decided_at, completed_at in (await session.execute(stmt_rows)).all():
        name = group_of[kind]
        decisions.setdefault(name, [])
        if decided_at is not None:
            decisions[name].append((decided_at - created_at).total_seconds())
        if completed_at is not None:
            completions[name].append((completed_at - created_at).total_seconds())
    return [
        GroupMedians(
            name,
            len(decisions[name]),
            statistics.median(decisions[name]) if decisions[name] else None,
            len(completions[name]),
            statistics.median(completions[name]) if completions[name] else None,
        )
        for name in sorted(decisions)
    ]


async def top_requesters(session: AsyncSession, *, start: datetime, end: datetime, limit: int) -> list[TopEntry]:
    """The people who filed the most requests created in [start, end), most first (ties by name)."""
    count = func.count().label("n")
    name = func.max(Request.requester_name).label("name")
    stmt = (
        select(Request.requester_id, name, count)
        .where(Request.created_at >= start, Request.created_at < end)
        .group_by(Request.requester_id)
        .order_by(count.desc(), name, Request.requester_id)
        .limit(limit)
    )
    return [TopEntry(key, label, int(n)) for key, label, n in (await session.execute(stmt)).all()]


async def top_targets(session: AsyncSession, *, start: datetime, end: datetime, limit: int,
                      plan_kinds: Collection[str] = ()) -> list[TopEntry]:
    """The resources most requests created in [start, end) were about, most first (ties by label): a list, a
    mailbox, a group (the request's target), and for ``plan_kinds`` the plan (the payload's SKU part number), not
    the person whose license it is; a plan request filed without a part number counts under its target."""
    count = func.count().label("n")
    part = Request.payload["sku_part_number"].as_string()
    about_plan = and_(Request.kind.in_(list(plan_kinds)), part.is_not(None)) if plan_kinds else false()
    is_plan = case((about_plan, 1), else_=0).label("is_plan")
    key = case((about_plan, part), else_=Request.target_id).label("resource")
    # One group is all plan rows of one part number or all target rows of one target: the max is the part number
    # or the target's label.
    label = func.max(case((about_plan, part), else_=Request.target_label)).label("label")
    stmt = (
        select(is_plan, key, label, count)
        .where(Request.created_at >= start, Request.created_at < end)
        .group_by(is_plan, key)
        .order_by(count.desc(), label, key)
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return [TopEntry(resource, text, int(n), bool(plan)) for plan, resource, text, n in rows]


def _pg_median(interval: ColumnElement[Any]) -> ColumnElement[float]:
    # NULL intervals (not decided, not completed) are skipped by the ordered-set aggregate, as by count().
    return func.percentile_cont(0.5).within_group(func.extract("epoch", interval))


def _seconds(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]  # a Decimal or float from the driver


@dataclass(frozen=True, slots=True)
class IncidentPriorityFigures:
    """One priority's incidents filed in a window, judged against their due times at ``now``: ``breached`` counts
    resolved late and still open past due alike; an incident waiting for its reporter is not late meanwhile (its
    resolution clock stands still). Medians in seconds, None while nothing got there."""

    priority: str
    opened: int
    resolved: int
    responded_on_time: int
    response_breached: int
    on_time: int
    breached: int
    response_seconds: float | None
    resolution_seconds: float | None

    @property
    def compliance(self) -> float | None:
        judged = self.on_time + self.breached
        return self.on_time / judged if judged else None


async def incident_figures(
    session: AsyncSession, *, start: datetime, end: datetime, now: datetime
) -> list[IncidentPriorityFigures]:
    """Per priority (P1 first), the incidents created in [start, end); priorities without any are absent.

    Incidents are few beside requests (the incidents' created_at index finds a window's), so their rows come back
    and are counted here, where the paused resolution clock is simple to judge."""
    stmt = select(
        Incident.priority, Incident.state, Incident.created_at, Incident.first_response_due_at,
        Incident.first_responded_at, Incident.resolution_due_at, Incident.resolved_at, Incident.closed_at,
        Incident.waiting_since,
    ).where(Incident.created_at >= start, Incident.created_at < end)
    rows: dict[str, list[Any]] = defaultdict(list)
    for row in (await session.execute(stmt)).all():
        rows[row.priority].append(row)
    figures = []
    for priority in sorted(rows):
        counts: defaultdict[str, int] = defaultdict(int)
        responses: list[float] = []
        resolutions: list[float] = []
        for row in rows[priority]:
            counts["opened"] += 1
            if row.first_responded_at is not None:
                responses.append((row.first_responded_at - row.created_at).total_seconds())
                counts["responded_on_time" if row.first_responded_at <= row.first_response_due_at
                       else "response_breached"] += 1
            elif now > row.first_response_due_at:
                counts["response_breached"] += 1
            done = row.resolved_at or row.closed_at
            if done is not None:
                counts["resolved"] += 1
                resolutions.append((done - row.created_at).total_seconds())
                counts["on_time" if done <= row.resolution_due_at else "breached"] += 1
            else:
                stood_still_at = row.waiting_since if row.state == "waiting_for_user" else None
                if (stood_still_at or now) > row.resolution_due_at:
                    counts["breached"] += 1
        figures.append(IncidentPriorityFigures(
            priority, counts["opened"], counts["resolved"], counts["responded_on_time"], counts["response_breached"],
            counts["on_time"], counts["breached"],
            statistics.median(responses) if responses else None,
            statistics.median(resolutions) if resolutions else None,
        ))
    return figures

"""Read-side queries for replies and reports; they return small frozen dataclasses, never ORM objects."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Request


@dataclass(frozen=True, slots=True)
class RequestSummary:
    public_id: str
    kind: str
    target_label: str
    state: str
    created_at: datetime
    updated_at: datetime


async def request_summaries_for(session: AsyncSession, user_id: str, limit: int = 20) -> list[RequestSummary]:
    """The user's own requests, newest first."""
    stmt = (
        select(
            Request.public_id,
            Request.kind,
            Request.target_label,
            Request.state,
            Request.created_at,
            Request.updated_at,
        )
        .where(Request.requester_id == user_id)
        .order_by(Request.created_at.desc(), Request.id.desc())
        .limit(limit)
    )
    return [RequestSummary(*row) for row in (await session.execute(stmt)).all()]


@dataclass(frozen=True, slots=True)
class SlaCounts:
    """One request kind's SLA figures for requests submitted in a period."""

    kind: str
    submitted: int
    finished: int  # in a final state
    on_time: int  # finished by the due time
    breached: int  # finished after the due time, or still open and past it
    unmeasured: int = 0  # filed before the desk stored due times: neither on time nor breached


async def sla_counts(
    session: AsyncSession, *, start: datetime, end: datetime, now: datetime, final_states: Collection[str]
) -> list[SlaCounts]:
    """SLA figures per kind for requests created in [start, end), judged at `now`; kinds in name order.

    A finished request's clock stopped at completed_at; one that ended without running (rejected, cancelled,
    expired) has none, so its decision time, else its last update, stands in. The final states come from the
    domain's state machine, which storage does not import.
    """
    finished = Request.state.in_(list(final_states))
    stopped_at = func.coalesce(Request.completed_at, Request.decided_at, Request.updated_at)
    measured = Request.due_at.is_not(None)
    on_time = and_(finished, measured, stopped_at <= Request.due_at)
    late = and_(finished, measured, stopped_at > Request.due_at)
    overdue = and_(not_(finished), measured, Request.due_at < now)
    stmt = (
        select(
            Request.kind,
            func.count(),
            _count_where(finished),
            _count_where(on_time),
            _count_where(or_(late, overdue)),
            _count_where(not_(measured)),
        )
        .where(Request.created_at >= start, Request.created_at < end)
        .group_by(Request.kind)
        .order_by(Request.kind)
    )
    rows = (await session.execute(stmt)).all()
    return [SlaCounts(kind, *(int(value or 0) for value in values)) for kind, *values in rows]


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # SUM(CASE ...) rather than COUNT(*) FILTER: the same SQL on SQLite and PostgreSQL.
    return func.sum(case((condition, 1), else_=0))

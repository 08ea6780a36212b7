"""The admins' history search: one SQL query over requests for any combination of the history filters.

Each filter is one clause, AND-ed; the order is always newest first, so the database walks one of 0009's
"…, created_at" indexes backwards and stops after a page. A person is matched as the requester, as one the request
is for (request_subjects) or as one who decided (decisions), by id, by the name stored with the request or
decision, or by any directory user (the synced cache) whose name or address contains what was typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Decision, Request, RequestSubject
from storage.models_directory import CachedUser


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """A history query resolved for the database: ``kinds`` None means every kind, an empty set none; ``start``
    included, ``end`` excluded; text values are matched case-insensitively as contained."""

    kinds: frozenset[str] | None = None
    states: frozenset[str] = frozenset()
    person: str | None = None
    resource: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One request as a history line or CSV row: only the columns shown, never the plan or payload."""

    public_id: str
    kind: str
    requester_id: str
    requester_name: str
    target_label: str
    state: str
    created_at: datetime
    decided_at: datetime | None
    completed_at: datetime | None


_COLUMNS = (
    Request.public_id,
    Request.kind,
    Request.requester_id,
    Request.requester_name,
    Request.target_label,
    Request.state,
    Request.created_at,
    Request.decided_at,
    Request.completed_at,
)


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def search(self, wanted: HistoryFilter, *, offset: int, limit: int) -> list[HistoryRow]:
        """Up to ``limit`` requests matching every filter, newest first, after skipping ``offset``."""
        stmt = history_statement(wanted).offset(offset).limit(limit)
        return [HistoryRow(*row) for row in (await self._session.execute(stmt)).all()]


def history_statement(wanted: HistoryFilter) -> Select[*tuple[Any, ...]]:
    """The history query without paging (the bench explains and times this same statement)."""
    clauses: list[ColumnElement[bool]] = []
    if wanted.kinds is not None:
        clauses.append(Request.kind.in_(sorted(wanted.kinds)) if wanted.kinds else false())
    if wanted.states:
        clauses.append(Request.state.in_(sorted(wanted.states)))
    if wanted.start is not None:
        clauses.append(Request.created_at >= wanted.start)
    if wanted.end is not None:
        clauses.append(Request.created_at < wanted.end)
    if wanted.person:
        clauses.append(_person(wanted.person))
    if wanted.resource:
        named = _contains(Request.target_label, wanted.resource)
        clauses.append(or_(named, func.lower(Request.target_id) == wanted.resource.lower()))
    if wanted.text:
        clauses.append(or_(*(_contains(column, wanted.text) for column in _TEXT_COLUMNS)))
    return select(*_COLUMNS).where(*clauses).order_by(Request.created_at.desc(), Request.id.desc())


_TEXT_COLUMNS: Sequence[Any] = (
    Request.public_id,
    Request.kind,
    Request.requester_name,
    Request.target_label,
    Request.target_id,
    Request.error,
)


def _person(typed: str) -> ColumnElement[bool]:
    """Requester, subject or decider: by id as typed, by the stored name, or by a directory user it names."""
    directory = select(CachedUser.id).where(
        or_(
            _contains(CachedUser.display_name, typed),
            _contains(CachedUser.user_principal_name, typed),
            _contains(CachedUser.mail, typed),
        )
    )
    subjects = select(RequestSubject.request_id).where(
        or_(RequestSubject.user_id == typed, RequestSubject.user_id.in_(directory))
    )
    decided_by = or_(
        Decision.approver_id == typed, Decision.approver_id.in_(directory), _contains(Decision.approver_name, typed)
    )
    deciders = select(Decision.request_id).where(decided_by)
    return or_(
        Request.requester_id == typed,
        Request.requester_id.in_(directory),
        _contains(Request.requester_name, typed),
        Request.id.in_(subjects),
        Request.id.in_(deciders),
    )


def _contains(column: Any, typed: str) -> ColumnElement[bool]:
    # lower() on both sides instead of ILIKE: the same statement on SQLite and PostgreSQL; autoescape keeps "_"
    # and "%" (common in addresses) literal.
    return func.lower(column).contains(typed.lower(), autoescape=True)

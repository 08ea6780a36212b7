"""The admins' history search: one SQL query over requests for any combination of the history filters.

Each filter is one clause, AND-ed; the order is always newest first, so the database walks one of 0009's
"…, created_at" indexes backwards and stops after a page. A person is matched as the requester, as one the request
is for (request_subjects) or as one who decided (decisions): by the id typed, by the name stored with the request or
decision only when the directory cache knows nobody by it, else by the ids of the directory users whose name or
address contains what was typed (index lookups, not a scan of every request). Free text, whose matches the planner
cannot count in advance, is first collected when it matches few requests and only those are sorted (_few_matches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, false, func, or_, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import session_is_postgres
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


# More directory users than this for one typed name: the name is a fragment, and the list stops there.
MAX_PEOPLE = 500
# Free text matching at most this many requests is sorted from its matches, not found by walking the index.
FEW_MATCHES = 2000


class HistoryRepository:
    def __init__(self, session: AsyncSession, *, few_matches: int = FEW_MATCHES) -> None:
        self._session = session
        self._few_matches_at_most = few_matches

    async def search(self, wanted: HistoryFilter, *, offset: int, limit: int) -> list[HistoryRow]:
        """Up to ``limit`` requests matching every filter, newest first, after skipping ``offset``."""
        if session_is_postgres(self._session) and (wanted.text or wanted.person or wanted.resource):
            # Text is matched as "contains": a plan made for any value (PostgreSQL's generic plan, chosen after five
            # runs of a prepared statement) cannot tell a rare text from a common one, and scanned every request
            # for a rare one (~750 ms at 200k). Planned for each value instead, for the rest of this read's
            # transaction (a few milliseconds of planning).
            await self._session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        people = await self.people_named(wanted.person) if wanted.person else ()
        stmt = history_statement(wanted, people)
        if wanted.text and offset + limit <= self._few_matches_at_most:
            rows = await self._few_matches(stmt, offset=offset, limit=limit)
            if rows is not None:
                return rows
        return [HistoryRow(*row) for row in (await self._session.execute(stmt.offset(offset).limit(limit))).all()]

    async def _few_matches(self, stmt: Select[*tuple[Any, ...]], *, offset: int, limit: int) -> list[HistoryRow] | None:
        """The page when free text matches at most ``few_matches`` requests, else None (the caller walks the index).

        How many requests contain a text, the planner can only guess: it walks the newest-first index expecting
        matches soon, and a text that matches nothing (a mistyped id) then reads every request (~550 ms at 200k).
        So the matches are collected first, unordered and at most ``few_matches`` + 1 (the trigram indexes
        find rare text at once; common text stops the scan early), and only a few are sorted; a text that
        matches more is dense, and the newest-first walk finds its page quickly. Either way the same rows.
        """
        most = self._few_matches_at_most
        matched = stmt.with_only_columns(Request.id).order_by(None).limit(most + 1).cte("matched")
        found = func.count().over().label("matched")
        page = (
            select(*_COLUMNS, found)
            .where(Request.id.in_(select(matched.c.id)))
            .order_by(Request.created_at.desc(), Request.id.desc())
            .offset(offset)
            .limit(limit)
        )
        rows = (await self._session.execute(page)).all()
        # The window counts every match before the page is cut. No row at all is a true answer: with more than
        # ``most`` matches, a page that ends within ``most`` is never empty.
        if rows and rows[0].matched > most:
            return None
        return [HistoryRow(*_without_count(row)) for row in rows]

    async def people_named(self, typed: str) -> tuple[str, ...]:
        """The ids a typed person stands for: itself (an id) and the directory users whose name or address
        contains it, at most MAX_PEOPLE (a fragment that names more people than that names nobody in particular)."""
        directory = (
            select(CachedUser.id)
            .where(
                or_(
                    CachedUser.id == typed,
                    _contains(CachedUser.display_name, typed),
                    _contains(CachedUser.user_principal_name, typed),
                    _contains(CachedUser.mail, typed),
                )
            )
            .limit(MAX_PEOPLE)
        )
        return (typed, *(await self._session.execute(directory)).scalars())


def _without_count(row: Row[*tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(row)[:-1]


def history_statement(wanted: HistoryFilter, people: Sequence[str] = ()) -> Select[*tuple[Any, ...]]:
    """The history query without paging (the bench explains and times this same statement); ``people``: the ids
    the person filter stands for (HistoryRepository.people_named)."""
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
        clauses.append(_person(wanted.person, people))
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


def _person(typed: str, people: Sequence[str]) -> ColumnElement[bool]:
    """Requester, subject or decider, by id: one union of three index lookups (requester_id, request_subjects.
    user_id, decisions.approver_id). Only when the directory knows nobody by that name are the names stored with
    requests and decisions searched, which reads every row (people the directory cache never saw, or has not yet)."""
    ids = list(people) or [typed]
    involved = union(
        select(Request.id).where(Request.requester_id.in_(ids)),
        select(RequestSubject.request_id).where(RequestSubject.user_id.in_(ids)),
        select(Decision.request_id).where(Decision.approver_id.in_(ids)),
    )
    if len(ids) > 1:
        return Request.id.in_(involved)
    named = select(Decision.request_id).where(_contains(Decision.approver_name, typed))
    return or_(Request.id.in_(involved), _contains(Request.requester_name, typed), Request.id.in_(named))


def _contains(column: Any, typed: str) -> ColumnElement[bool]:
    # lower() on both sides instead of ILIKE: the same statement on SQLite and PostgreSQL; autoescape keeps "_"
    # and "%" (common in addresses) literal.
    return func.lower(column).contains(typed.lower(), autoescape=True)

"""The admins' history search: one SQL query over requests, and over incidents beside them, for any combination of
the history filters.

Each filter is one clause, AND-ed; the order is always newest first, so the database walks one of 0009's
"…, created_at" indexes backwards and stops after a page. A person is matched as the requester, as one the request
is for (request_subjects) or as one who decided (decisions): by the id typed, by the name stored with the request or
decision only when the directory cache knows nobody by it, else by the ids of the directory users whose name or
address contains what was typed (index lookups, not a scan of every request). Free text, whose matches the planner
cannot count in advance, is first collected when it matches few requests and only those are sorted (_few_matches).

Incidents (F18) join the same newest-first stream with UNION ALL: each side walks its own "…, created_at" index
backwards and the database merges the two (PostgreSQL's Merge Append), so a page still reads about a page of each.
Both sides give the same columns with the same types (PostgreSQL merges only a UNION ALL whose sides' types match
exactly); ties in created_at are broken by the public id, unique across REQ- and INC- ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import CompoundSelect

from storage.dialect import session_is_postgres
from storage.models import Decision, Request, RequestSubject
from storage.models_directory import CachedUser
from storage.models_incidents import Incident

# An incident's "kind" in history rows and the CSV (incidents are not requests and have no request kind).
INCIDENT_KIND = "incident"
# Characters of an incident's description shown where a request shows its target.
INCIDENT_TEXT_SHOWN = 120


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
    # Incidents searched beside requests (kinds/history resolves it: no filter excludes them); their own states,
    # empty = any. ``kinds`` an empty set then means incidents only.
    incidents: bool = False
    incident_states: frozenset[str] = frozenset()


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
    decided_at: datetime | None  # an incident's first response
    completed_at: datetime | None  # an incident's resolution (or closing)
    priority: str | None = None  # an incident's P1–P4; None for a request

    @property
    def is_incident(self) -> bool:
        return self.kind == INCIDENT_KIND


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
        """Up to ``limit`` requests (and incidents, when ``wanted.incidents``) matching every filter, newest first,
        after skipping ``offset``."""
        if wanted.incidents:
            return await self._with_incidents(wanted, offset=offset, limit=limit)
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

    async def _with_incidents(self, wanted: HistoryFilter, *, offset: int, limit: int) -> list[HistoryRow]:
        """Requests and incidents in one newest-first stream; incidents alone when no request kind is wanted."""
        if session_is_postgres(self._session) and (wanted.text or wanted.person or wanted.resource):
            await self._session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))  # as in search()
        people = await self.people_named(wanted.person) if wanted.person else ()
        incidents = incident_statement(wanted, people)
        if wanted.kinds is not None and not wanted.kinds:
            alone = incidents.order_by(Incident.created_at.desc(), Incident.public_id.desc())
            alone = alone.offset(offset).limit(limit)
            return [HistoryRow(*row) for row in (await self._session.execute(alone)).all()]
        requests = history_statement(wanted, people)
        if wanted.text and offset + limit <= self._few_matches_at_most:
            most = self._few_matches_at_most
            matched = requests.with_only_columns(Request.id).order_by(None).limit(most + 1).cte("matched")
            found = select(func.count()).select_from(matched).scalar_subquery().label("matched")
            few = select(*_COLUMNS, _NO_PRIORITY, found).where(Request.id.in_(select(matched.c.id)))
            page = _newest_first(few, incidents.add_columns(found)).offset(offset).limit(limit)
            rows = (await self._session.execute(page)).all()
            # As _few_matches: more request matches than collected means the page may miss some; walk instead.
            if not rows or rows[0].matched <= most:
                return [HistoryRow(*_without_count(row)) for row in rows]
        requests = requests.add_columns(_NO_PRIORITY).order_by(None)
        both = _newest_first(requests, incidents).offset(offset).limit(limit)
        return [HistoryRow(*row) for row in (await self._session.execute(both)).all()]

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


_NO_PRIORITY = cast(null(), String).label("priority")


def incident_statement(wanted: HistoryFilter, people: Sequence[str] = ()) -> Select[*tuple[Any, ...]]:
    """The incidents a history query names, in HistoryRow's columns and types, unordered. A resource filter names
    requests' lists, mailboxes and plans, which no incident has: it matches none."""
    clauses: list[ColumnElement[bool]] = []
    if wanted.resource:
        clauses.append(false())
    if wanted.incident_states:
        clauses.append(Incident.state.in_(sorted(wanted.incident_states)))
    if wanted.start is not None:
        clauses.append(Incident.created_at >= wanted.start)
    if wanted.end is not None:
        clauses.append(Incident.created_at < wanted.end)
    if wanted.person:
        ids = list(people) or [wanted.person]
        involved: list[ColumnElement[bool]] = [Incident.reporter_id.in_(ids), Incident.assignee_id.in_(ids)]
        if len(ids) == 1:  # nobody in the directory by that name: the names stored with the incident
            involved += [_contains(Incident.reporter_name, wanted.person),
                         _contains(Incident.assignee_name, wanted.person)]
        clauses.append(or_(*involved))
    if wanted.text:
        clauses.append(or_(*(_contains(column, wanted.text) for column in _INCIDENT_TEXT_COLUMNS)))
    return select(
        Incident.public_id,
        cast(literal_column(f"'{INCIDENT_KIND}'"), String).label("kind"),
        Incident.reporter_id,
        Incident.reporter_name,
        cast(func.substr(Incident.text, 1, INCIDENT_TEXT_SHOWN), String).label("target_label"),
        Incident.state,
        Incident.created_at,
        Incident.first_responded_at,
        func.coalesce(Incident.resolved_at, Incident.closed_at).label("completed_at"),
        Incident.priority,
    ).where(*clauses)


def _newest_first(requests: Select[*tuple[Any, ...]], incidents: Select[*tuple[Any, ...]]) -> CompoundSelect:
    both = requests.union_all(incidents)
    columns = both.selected_columns
    return both.order_by(columns.created_at.desc(), columns.public_id.desc())


_INCIDENT_TEXT_COLUMNS: Sequence[Any] = (
    Incident.public_id,
    Incident.text,
    Incident.category,
    Incident.reporter_name,
    Incident.assignee_name,
    Incident.resolution,
)

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

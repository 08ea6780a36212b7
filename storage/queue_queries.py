"""Read-side queries of the admins' queue (F19): requests still waiting, oldest first, filtered by kind and by listed
approver, and open incidents (F18) by priority then age, one page at a time with the total; returns small frozen
dataclasses, never ORM objects."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Request
from storage.models_incidents import Incident
from storage.repositories.incidents import OPEN

_PLAIN_ID = re.compile(r"[0-9A-Za-z.@:-]{1,64}")


@dataclass(frozen=True, slots=True)
class WaitingRequest:
    """One waiting request as the queue lists it."""

    public_id: str
    kind: str
    state: str
    requester_name: str
    target_label: str
    approver_names: tuple[str, ...]
    created_at: datetime
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class WaitingPage:
    items: tuple[WaitingRequest, ...]
    total: int  # every request matching the filters, not only this page's


def waiting_request(
    *,
    public_id: str,
    kind: str,
    state: str,
    requester_name: str,
    target_label: str,
    payload: dict[str, Any] | None,
    created_at: datetime,
    due_at: datetime | None,
) -> WaitingRequest:
    """The queue's row from a request's columns (the approvers' names are kept in its payload at submission)."""
    return WaitingRequest(
        public_id=public_id,
        kind=kind,
        state=state,
        requester_name=requester_name,
        target_label=target_label,
        approver_names=tuple((payload or {}).get("approver_names", ())),
        created_at=created_at,
        due_at=due_at,
    )


def _listed_approver(user_id: str) -> ColumnElement[bool]:
    """Whether the request's approver_ids (a JSON list of object ids) names ``user_id``.

    The JSON column is compared as its text, quotes included, which works alike on SQLite and PostgreSQL (json,
    stored as SQLAlchemy serialised it). Only ids made of characters that are neither LIKE wildcards nor escaped
    by JSON are looked for: every object id is; anything else names no approver.
    """
    if not _PLAIN_ID.fullmatch(user_id):
        return false()
    return cast(Request.approver_ids, String).like(f'%"{user_id}"%')


async def waiting_requests(
    session: AsyncSession,
    *,
    states: Collection[str],
    kinds: Collection[str] | None = None,
    approver_id: str | None = None,
    offset: int = 0,
    limit: int = 10,
) -> WaitingPage:
    """Requests in ``states`` (of ``kinds``, when given; listing ``approver_id``, when given), oldest first.

    Served by the requests' state index: waiting requests are a small part of all requests at any time.
    """
    where: list[ColumnElement[bool]] = [Request.state.in_(list(states))]
    if kinds is not None:
        where.append(Request.kind.in_(list(kinds)))
    if approver_id:
        where.append(_listed_approver(approver_id))
    total = (await session.execute(select(func.count()).select_from(Request).where(*where))).scalar_one()
    stmt = (
        select(
            Request.public_id,
            Request.kind,
            Request.state,
            Request.requester_name,
            Request.target_label,
            Request.payload,
            Request.created_at,
            Request.due_at,
        )
        .where(*where)
        .order_by(Request.created_at, Request.id)
        .offset(max(offset, 0))
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    items = tuple(
        waiting_request(
            public_id=row.public_id,
            kind=row.kind,
            state=row.state,
            requester_name=row.requester_name,
            target_label=row.target_label,
            payload=row.payload,
            created_at=row.created_at,
            due_at=row.due_at,
        )
        for row in rows
    )
    return WaitingPage(items=items, total=int(total))


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """One open incident as the queue lists it."""

    public_id: str
    priority: str
    state: str
    category: str
    reporter_name: str
    text: str
    assignee_name: str | None
    support_level: int
    created_at: datetime
    first_response_due_at: datetime
    first_responded_at: datetime | None
    resolution_due_at: datetime


@dataclass(frozen=True, slots=True)
class IncidentPage:
    items: tuple[OpenIncident, ...]
    total: int  # every open incident, not only this page's


async def open_incidents(session: AsyncSession, *, offset: int = 0, limit: int = 10) -> IncidentPage:
    """Open incidents by priority (P1 first), then oldest first, as the support queue orders them.

    Served by the incidents' (state, created_at) index: open incidents are a small part of all of them."""
    where = Incident.state.in_(OPEN)
    total = (await session.execute(select(func.count()).select_from(Incident).where(where))).scalar_one()
    if not total:
        return IncidentPage((), 0)
    stmt = (
        select(
            Incident.public_id, Incident.priority, Incident.state, Incident.category, Incident.reporter_name,
            func.substr(Incident.text, 1, _SUMMARY), Incident.assignee_name, Incident.support_level,
            Incident.created_at, Incident.first_response_due_at, Incident.first_responded_at,
            Incident.resolution_due_at,
        )
        .where(where)
        .order_by(Incident.priority, Incident.created_at, Incident.id)
        .offset(max(offset, 0))
        .limit(limit)
    )
    rows = (await session.execute(stmt)).all()
    return IncidentPage(tuple(OpenIncident(*row) for row in rows), int(total))


_SUMMARY = 200  # characters of the reporter's description the queue shows

"""Read-side query of the admins' queue (F19): requests still waiting, oldest first, filtered by kind and by listed
approver, one page at a time with the total; returns small frozen dataclasses, never ORM objects."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Request

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

"""Read-side queries for replies and reports; they return small frozen dataclasses, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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

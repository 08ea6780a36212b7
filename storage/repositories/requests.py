"""Request repository: adding requests, finding them, and the guarded state transition."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.columns import utcnow
from storage.errors import NotFoundError, StaleVersion
from storage.models import Request, RequestSubject

# Transitions into these states stamp the matching timestamp (once); the state machine itself lives
# in the domain layer.
DECIDED_STATES = frozenset({"approved", "rejected"})
FINISHED_STATES = frozenset({"completed", "failed"})


def format_public_id(created_at: datetime, request_id: int) -> str:
    return f"REQ-{created_at.year}-{request_id:06d}"


class RequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, request: Request) -> Request:
        """Insert a new request (state pending unless set, version 1) and assign its public id."""
        now = utcnow()
        request.created_at = request.created_at or now
        request.updated_at = request.created_at
        request.state = request.state or "pending"
        request.version = 1
        # public_id is NOT NULL and UNIQUE but depends on the generated id: park a random unique
        # placeholder for the first flush, then replace it in the same transaction.
        request.public_id = f"TMP-{secrets.token_hex(8)}"
        self._session.add(request)
        await self._session.flush()
        request.public_id = format_public_id(request.created_at, request.id)
        await self._session.flush()
        return request

    async def add_subjects(self, request: Request, user_ids: Iterable[str]) -> None:
        """Record who else the request is about (its requester is left out: they see it as their own)."""
        wanted = sorted({user_id for user_id in user_ids if user_id and user_id != request.requester_id})
        for user_id in wanted:
            self._session.add(RequestSubject(request_id=request.id, user_id=user_id))
        await self._session.flush()

    async def list_about(self, user_id: str, limit: int = 20) -> list[Request]:
        """Requests others filed that change this person, newest first."""
        about = select(RequestSubject.request_id).where(RequestSubject.user_id == user_id)
        stmt = (
            select(Request)
            .where(Request.id.in_(about), Request.requester_id != user_id)
            .order_by(Request.created_at.desc(), Request.id.desc())
            .limit(limit)
        )
        return list((await self._session.execute(stmt)).scalars())

    async def get(self, request_id: int) -> Request | None:
        return await self._session.get(Request, request_id)

    async def get_by_public_id(self, public_id: str, *, for_update: bool = False) -> Request | None:
        """Load by public id; ``for_update`` takes a row lock on PostgreSQL (SQLite has one writer anyway)."""
        stmt = select(Request).where(Request.public_id == public_id)
        if for_update:
            stmt = stmt.with_for_update().execution_options(populate_existing=True)
        return (await self._session.execute(stmt)).scalar_one_or_none()

    async def require(self, public_id: str, *, for_update: bool = False) -> Request:
        """Like ``get_by_public_id`` but raises ``NotFoundError`` instead of returning None."""
        request = await self.get_by_public_id(public_id, for_update=for_update)
        if request is None:
            raise NotFoundError(f"request {public_id} not found")
        return request

    async def list_for_requester(self, user_id: str, limit: int = 20) -> list[Request]:
        stmt = (
            select(Request)
            .where(Request.requester_id == user_id)
            .order_by(Request.created_at.desc(), Request.id.desc())
            .limit(limit)
        )
        return list((await self._session.execute(stmt)).scalars())

    async def pending_for_approver(self, user_id: str) -> list[Request]:
        """Pending requests this user may decide, oldest first."""
        stmt = select(Request).where(Request.state == "pending").order_by(Request.created_at, Request.id)
        rows: Sequence[Request] = (await self._session.execute(stmt)).scalars().all()
        # approver_ids is a JSON list; a portable JSON containment query is not worth it at this size.
        return [r for r in rows if user_id in (r.approver_ids or [])]

    async def transition(
        self, request: Request, new_state: str, *, expected_version: int | None = None, now: datetime | None = None
    ) -> None:
        """Move ``request`` to ``new_state`` and bump its version, or raise ``StaleVersion``.

        The UPDATE is guarded by the version the caller holds, so of two concurrent transitions from
        the same version exactly one matches a row; the other gets ``StaleVersion``. ``now`` stamps the
        times (default: the real time); handlers pass their clock so SLA measurements use one time source.
        """
        if expected_version is not None and expected_version != request.version:
            raise StaleVersion(request.id, expected_version, request.version)
        # Push any pending attribute changes first so they cannot be flushed after (and over) ours.
        await self._session.flush()
        now = now or utcnow()
        values: dict[str, Any] = {"state": new_state, "version": request.version + 1, "updated_at": now}
        if new_state in DECIDED_STATES and request.decided_at is None:
            values["decided_at"] = now
        if new_state in FINISHED_STATES:
            values["completed_at"] = now
        result = await self._session.execute(
            update(Request)
            .where(Request.id == request.id, Request.version == request.version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
            raise StaleVersion(request.id, request.version)
        # Mirror the row into the object without marking it dirty (no second UPDATE on flush).
        for key, value in values.items():
            set_committed_value(request, key, value)

"""Edits of waiting requests (F13): the versioned replacement of a request's plan, target and payload, with the
original kept in request_edits; and reading a request's edits back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.errors import StaleVersion
from storage.models import Request, RequestSubject
from storage.models_edits import RequestEdit


def request_form(request: Request) -> dict[str, Any]:
    """What an edit may change, as stored: the form the request had before (or has after) it."""
    return {
        "plan": request.plan,
        "target_id": request.target_id,
        "target_label": request.target_label,
        "payload": request.payload,
    }


class EditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def replace(
        self,
        request: Request,
        *,
        expected_version: int,
        editor_id: str,
        editor_name: str,
        plan: list[dict[str, Any]],
        target_id: str,
        target_label: str,
        payload: dict[str, Any],
        diff: list[dict[str, str]],
        now: datetime,
    ) -> RequestEdit:
        """Gives ``request`` its edited plan, target and payload and bumps its version, or raises ``StaleVersion``;
        the request as it was is kept in the edit's row. Guarded like a transition: of two concurrent changes
        from one version, exactly one matches the row."""
        if expected_version != request.version:
            raise StaleVersion(request.id, expected_version, request.version)
        await self._session.flush()
        before = request_form(request)
        values: dict[str, Any] = {
            "plan": plan,
            "target_id": target_id,
            "target_label": target_label,
            "payload": payload,
            "version": request.version + 1,
            "updated_at": now,
        }
        result = await self._session.execute(
            update(Request)
            .where(Request.id == request.id, Request.version == request.version)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
            raise StaleVersion(request.id, request.version)
        edit = RequestEdit(
            request_id=request.id,
            editor_id=editor_id,
            editor_name=editor_name,
            at=now,
            version_before=request.version,
            version_after=request.version + 1,
            before=before,
            after={key: values[key] for key in ("plan", "target_id", "target_label", "payload")},
            diff=diff,
        )
        for key, value in values.items():
            set_committed_value(request, key, value)
        self._session.add(edit)
        await self._session.flush()
        return edit

    async def add_subjects(self, request: Request, user_ids: Iterable[str]) -> None:
        """The people the edited plan changes, recorded beside those of its earlier forms (who stay: it was about
        them too); the requester is left out, as when filed."""
        stmt = select(RequestSubject.user_id).where(RequestSubject.request_id == request.id)
        known = set((await self._session.execute(stmt)).scalars().all())
        for user_id in sorted({user_id for user_id in user_ids if user_id} - known - {request.requester_id}):
            self._session.add(RequestSubject(request_id=request.id, user_id=user_id))
        await self._session.flush()

    async def for_request(self, request_id: int) -> list[RequestEdit]:
        """A request's edits, oldest first."""
        stmt = select(RequestEdit).where(RequestEdit.request_id == request_id).order_by(RequestEdit.id)
        return list((await self._session.execute(stmt)).scalars().all())

    async def at_version(self, request_id: int, version_after: int) -> RequestEdit | None:
        """The edit that brought the request to this version, if an edit did."""
        stmt = select(RequestEdit).where(
            RequestEdit.request_id == request_id, RequestEdit.version_after == version_after
        )
        return (await self._session.execute(stmt)).scalars().first()

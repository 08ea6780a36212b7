"""The directory sync's bookkeeping: named cursors (Graph delta links, Exchange watermarks) and when runs ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models_directory import SyncStateRecord


@dataclass(frozen=True, slots=True)
class SyncState:
    """One named row of the sync state, as read (its lease too, which LeaseRepository writes)."""

    name: str
    cursor: str | None
    last_full_run: datetime | None
    last_run: datetime | None
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None


class SyncStateRepository:
    """Cursors and run records by name; a name's row is created on its first write."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def cursor(self, name: str) -> str | None:
        stmt = select(SyncStateRecord.cursor).where(SyncStateRecord.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def set_cursor(self, name: str, value: str | None) -> None:
        await self._upsert(name, cursor=value)

    async def state(self, name: str) -> SyncState | None:
        row = (
            await self.session.execute(
                select(SyncStateRecord).where(SyncStateRecord.name == name).execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return SyncState(
            name=row.name,
            cursor=row.cursor,
            last_full_run=row.last_full_run,
            last_run=row.last_run,
            last_error=row.last_error,
            lease_owner=row.lease_owner,
            lease_until=row.lease_until,
        )

    async def record_run(
        self, name: str, *, started_at: datetime, full: bool = False, error: str | None = None
    ) -> None:
        """A finished run: on success its start becomes ``last_run`` (and ``last_full_run`` when full) and the
        error is cleared; on failure only the error is kept."""
        if error is not None:
            await self._upsert(name, last_error=error)
            return
        values: dict[str, Any] = {"last_run": started_at, "last_error": None}
        if full:
            values["last_full_run"] = started_at
        await self._upsert(name, **values)

    async def _upsert(self, name: str, **values: Any) -> None:
        stmt = insert_for(self.session, SyncStateRecord.__table__).values(name=name, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))


__all__ = ["SyncState", "SyncStateRepository"]

"""The owners' keeps of unused lists and mailboxes (F20, "Still needed?"): read them for the pass and the admins'
``keeps``, store a new one, end one early (``cancel keep``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_still_needed import UnusedKeep


class UnusedKeepRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def kept_until(self) -> dict[tuple[str, str], datetime]:
        """(resource kind, identity) -> until when it is kept; one query for the whole pass."""
        rows = await self.session.execute(select(UnusedKeep.resource_kind, UnusedKeep.identity,
                                                 UnusedKeep.kept_until))
        return {(kind, identity): until for kind, identity, until in rows.all()}

    async def keep(self, resource_kind: str, identity: str, *, until: datetime, request_id: int,
                   now: datetime) -> bool:
        """Stores the keep; False when this request's keep is already stored (a step run twice)."""
        found = await self.session.get(UnusedKeep, (resource_kind, identity))
        if found is None:
            self.session.add(UnusedKeep(resource_kind=resource_kind, identity=identity, kept_until=until,
                                        request_id=request_id, kept_at=now))
            return True
        if found.request_id == request_id:
            return False
        found.kept_until, found.request_id, found.kept_at = until, request_id, now
        return True

    async def standing(self, now: datetime) -> list[UnusedKeep]:
        """The keeps that have not run out at ``now``, the soonest to end first (the admins' ``keeps``)."""
        stmt = select(UnusedKeep).where(UnusedKeep.kept_until > now).order_by(UnusedKeep.kept_until)
        return list((await self.session.execute(stmt)).scalars())

    async def end(self, resource_kind: str, identity: str, *, now: datetime) -> bool:
        """Ends a standing keep now, so the next pass asks again if the resource is still quiet (a new quiet
        period: its key carries the new end); False when it had already run out."""
        result = await self.session.execute(
            update(UnusedKeep)
            .where(UnusedKeep.resource_kind == resource_kind, UnusedKeep.identity == identity,
                   UnusedKeep.kept_until > now)
            .values(kept_until=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result

"""Named leases between replicas: one holder at a time until a deadline, so replicas share one run per period.

A lease lives on the sync state row of the same name (SyncStateRecord's lease columns); nothing here knows what
the holder does with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models_directory import SyncStateRecord


class LeaseRepository:
    """Claim, extend and release a lease by name; who holds it is read with SyncStateRepository.state."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def try_claim(self, name: str, owner: str, until: datetime, now: datetime) -> bool:
        """Take the lease ``name`` until ``until`` if it is free, expired, or already ``owner``'s.

        Exactly one of several concurrent claimers wins: the row is created with a unique key (a racing INSERT
        does nothing), and the take-over is one conditional UPDATE, which PostgreSQL re-checks against the
        committed row and SQLite runs under its single write lock. Commit right after claiming.
        """
        await self.session.flush()
        table = SyncStateRecord.__table__
        stmt = insert_for(self.session, table).values(name=name, lease_owner=owner, lease_until=until)
        inserted = await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        if inserted.rowcount == 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
            return True
        result = await self.session.execute(
            update(SyncStateRecord)
            .where(
                SyncStateRecord.name == name,
                or_(
                    SyncStateRecord.lease_owner.is_(None),
                    SyncStateRecord.lease_until.is_(None),
                    SyncStateRecord.lease_until < now,
                    SyncStateRecord.lease_owner == owner,
                ),
            )
            .values(lease_owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result

    async def extend(self, name: str, owner: str, until: datetime) -> bool:
        """Push the lease's end out while a long run is still working; False when another owner holds it now."""
        result = await self.session.execute(
            update(SyncStateRecord)
            .where(SyncStateRecord.name == name, SyncStateRecord.lease_owner == owner)
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result

    async def release(self, name: str, owner: str) -> None:
        """Give the lease back (only if it is still ``owner``'s)."""
        await self.session.execute(
            update(SyncStateRecord)
            .where(SyncStateRecord.name == name, SyncStateRecord.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


__all__ = ["LeaseRepository"]

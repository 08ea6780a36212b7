"""The user cache (F7): Entra users as last synced from Graph's delta feed, with tombstones for deleted ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from m365.ports import UserState
from storage.columns import utcnow
from storage.dialect import insert_for
from storage.models_directory import CachedUser
from storage.repositories.directory_rows import CHUNK_ROWS, address_key, chunks, count_rows

_USER_FIELDS = frozenset(
    {"display_name", "user_principal_name", "mail", "account_enabled", "department", "manager_id"}
)


def _to_user(row: CachedUser) -> UserState:
    return UserState(
        id=row.id,
        display_name=row.display_name,
        user_principal_name=row.user_principal_name,
        mail=row.mail,
        account_enabled=row.account_enabled,
        department=row.department,
        manager_id=row.manager_id,
    )


class UserCacheRepository:
    """Reads return m365.ports.UserState, so handlers see the same shape whether cached or live."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_users(self, users: Sequence[UserState], *, now: datetime | None = None) -> None:
        """Insert or overwrite users (a user seen again after removal is alive again).

        Only the fields a user's report carried (UserState.present) overwrite a stored user; a new user gets
        defaults for the rest.
        """
        synced_at = now or utcnow()
        rows: dict[str, dict[str, Any]] = {}
        updated: dict[str, frozenset[str]] = {}
        for u in users:  # the last report of a user in a batch wins, as in the delta feed
            updated[u.id] = _USER_FIELDS if u.present is None else frozenset(u.present) & _USER_FIELDS
            rows[u.id] = {
                "id": u.id,
                "display_name": u.display_name,
                "user_principal_name": u.user_principal_name,
                "mail": u.mail,
                "mail_key": address_key(u.mail) if u.mail else None,
                "account_enabled": u.account_enabled,
                "department": u.department,
                "manager_id": u.manager_id,
                "deleted": False,
                "synced_at": synced_at,
            }
        by_fields: dict[frozenset[str], list[dict[str, Any]]] = {}
        for user_id, row in rows.items():
            by_fields.setdefault(updated[user_id], []).append(row)
        for fields, group in by_fields.items():
            columns = {*fields, "deleted", "synced_at"} | ({"mail_key"} if "mail" in fields else set())
            for chunk in chunks(group):
                stmt = insert_for(self.session, CachedUser.__table__).values(list(chunk))
                excluded = stmt.excluded
                stmt = stmt.on_conflict_do_update(
                    index_elements=["id"], set_={name: excluded[name] for name in sorted(columns)}
                )
                await self.session.execute(stmt)

    async def remove_users(self, ids: Sequence[str], *, now: datetime | None = None) -> int:
        """Mark users deleted (tombstones, so "who was this" still answers); returns how many were known."""
        count = 0
        for start in range(0, len(ids), CHUNK_ROWS):
            result = await self.session.execute(
                update(CachedUser)
                .where(CachedUser.id.in_(list(ids[start : start + CHUNK_ROWS])))
                .values(deleted=True, synced_at=now or utcnow())
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
        return count

    async def remove_users_synced_before(self, when: datetime) -> int:
        """Mark deleted every live user not reported since ``when`` (the start of a full round that just ended)."""
        result = await self.session.execute(
            update(CachedUser)
            .where(CachedUser.deleted.is_(False), CachedUser.synced_at < when)
            .values(deleted=True)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result

    async def get_user(self, user_id: str, *, include_deleted: bool = False) -> UserState | None:
        """The cached user; None when unknown or deleted (unless ``include_deleted``)."""
        stmt = select(CachedUser).where(CachedUser.id == user_id)
        if not include_deleted:
            stmt = stmt.where(CachedUser.deleted.is_(False))
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return _to_user(row) if row is not None else None

    async def is_user_deleted(self, user_id: str) -> bool:
        stmt = select(CachedUser.deleted).where(CachedUser.id == user_id)
        return bool((await self.session.execute(stmt)).scalar_one_or_none())

    async def count_users(self, *, include_deleted: bool = False) -> int:
        stmt = select(CachedUser.id)
        if not include_deleted:
            stmt = stmt.where(CachedUser.deleted.is_(False))
        return await count_rows(self.session, stmt)


__all__ = ["UserCacheRepository"]

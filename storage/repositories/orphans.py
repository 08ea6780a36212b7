"""Orphaned lists and shared mailboxes (F20): those whose owners are all disabled, deleted or gone from the synced
directory, or that have no owner at all — found in SQL on SQLite and PostgreSQL, paged, with the former owners and
their managers; and the clean-up requests still waiting for a choice, with their escalation's guarded update."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import session_is_postgres
from storage.models import Request
from storage.models_directory import CachedList, CachedMailbox, CachedUser, MailboxOwnerRecord
from storage.repositories.directory_rows import Page, address_key, count_rows

LIST, MAILBOX = "list", "mailbox"
# Why an owner no longer owns: the account is disabled, deleted (a tombstone), or the directory never knew them.
DISABLED, DELETED, GONE = "disabled", "deleted", "gone"


@dataclass(frozen=True, slots=True)
class FormerOwner:
    """An owner who no longer counts, with their manager (the person who decides for them) when there is one."""

    address: str
    name: str  # the address when the directory does not know them
    state: str  # DISABLED | DELETED | GONE
    user_id: str | None = None
    manager_id: str | None = None
    manager_name: str | None = None
    manager_live: bool = False  # the manager is enabled and not deleted: they can decide


@dataclass(frozen=True, slots=True)
class OrphanedResource:
    kind: str  # LIST | MAILBOX
    identity: str
    display_name: str
    address: str
    former_owners: tuple[FormerOwner, ...]


# Every matching row's count on each row of the page (a window over the filtered rows, before OFFSET and LIMIT).
_TOTAL = func.count().over().label("total")


def _live(user: type[CachedUser] | Any) -> ColumnElement[bool]:
    return and_(user.deleted.is_(False), user.account_enabled.is_(True))


class OrphanRepository:
    """Reads only: whether an owner still counts is the synced user cache's word (dir_users)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _list_is_orphaned(self) -> ColumnElement[bool]:
        """No live user holds any of the list's owner addresses (ManagedBy, a JSON array of SMTP addresses).

        The array is unnested by each backend's own table function (json_each on SQLite, json_array_elements_text
        on PostgreSQL), so the owners are joined to dir_users through its mail_key index, not matched as text.
        """
        unnest = "json_array_elements_text" if session_is_postgres(self.session) else "json_each"
        owner = getattr(func, unnest)(CachedList.owners).table_valued("value").alias("owner")
        live_owner = (
            select(CachedUser.id)
            .select_from(owner)
            .join(CachedUser, CachedUser.mail_key == func.lower(owner.c.value))
            .where(_live(CachedUser))
            .correlate(CachedList)
        )
        return ~exists(live_owner)

    @staticmethod
    def _mailbox_is_orphaned() -> ColumnElement[bool]:
        """No owner the desk recorded for the mailbox is a live user."""
        live_owner = (
            select(MailboxOwnerRecord.id)
            .join(CachedUser, CachedUser.id == MailboxOwnerRecord.user_id)
            .where(MailboxOwnerRecord.mailbox_id == CachedMailbox.identity, _live(CachedUser))
            .correlate(CachedMailbox)
        )
        return ~exists(live_owner)

    async def orphaned_lists(self, *, offset: int = 0, limit: int | None = 10) -> Page[OrphanedResource]:
        """Orphaned lists by display name; ``limit=None`` = all of them (the CSV, the periodic pass)."""
        where = self._list_is_orphaned()
        stmt = (
            select(CachedList.identity, CachedList.display_name, CachedList.address, CachedList.owners, _TOTAL)
            .where(where)
            .order_by(func.lower(CachedList.display_name), CachedList.identity)
            .offset(offset)
            .limit(limit)
        )
        rows, total = await self._page(stmt, select(CachedList.identity).where(where))
        owners = await self._former_by_address({address_key(a) for row in rows for a in (row.owners or ())})
        items = tuple(
            OrphanedResource(
                kind=LIST,
                identity=row.identity,
                display_name=row.display_name,
                address=row.address,
                former_owners=tuple(
                    owners.get(address_key(a)) or FormerOwner(address=a, name=a, state=GONE) for a in row.owners or ()
                ),
            )
            for row in rows
        )
        return Page(items, total, offset)

    async def orphaned_mailboxes(self, *, offset: int = 0, limit: int | None = 10) -> Page[OrphanedResource]:
        """Orphaned shared mailboxes by display name; ``limit=None`` = all of them."""
        where = self._mailbox_is_orphaned()
        stmt = (
            select(CachedMailbox.identity, CachedMailbox.display_name, CachedMailbox.address, _TOTAL)
            .where(where)
            .order_by(func.lower(CachedMailbox.display_name), CachedMailbox.identity)
            .offset(offset)
            .limit(limit)
        )
        rows, total = await self._page(stmt, select(CachedMailbox.identity).where(where))
        records: dict[str, list[MailboxOwnerRecord]] = {}
        if rows:
            found = select(MailboxOwnerRecord).where(MailboxOwnerRecord.mailbox_id.in_([r.identity for r in rows]))
            for record in (await self.session.execute(found.order_by(MailboxOwnerRecord.id))).scalars():
                records.setdefault(record.mailbox_id, []).append(record)
        by_id = await self._former_by_id({r.user_id for rs in records.values() for r in rs})
        items = tuple(
            OrphanedResource(
                kind=MAILBOX,
                identity=row.identity,
                display_name=row.display_name,
                address=row.address,
                former_owners=tuple(
                    by_id.get(r.user_id) or FormerOwner(address=r.address, name=r.display_name, state=GONE,
                                                        user_id=r.user_id)
                    for r in records.get(row.identity, ())
                ),
            )
            for row in rows
        )
        return Page(items, total, offset)

    async def _page(self, stmt: Select[*tuple[Any, ...]], counted: Select[Any]) -> tuple[Sequence[Row[Any]], int]:
        """``stmt``'s rows and the total its window count (_TOTAL) gives: the orphan test runs once, not twice.
        Past the last page no row carries the total, and ``counted`` is counted instead."""
        rows = (await self.session.execute(stmt)).all()
        return rows, int(rows[0].total) if rows else await count_rows(self.session, counted)

    async def waiting_cleanups(self, kind: str) -> list[Request]:
        """The clean-up requests of ``kind`` still waiting for a choice, oldest first ((state, created_at) index)."""
        stmt = select(Request).where(Request.state == "pending", Request.kind == kind).order_by(Request.created_at)
        return list((await self.session.execute(stmt)).scalars())

    async def widen_approvers(self, request: Request, approver_ids: list[str], payload: dict[str, Any]) -> bool:
        """Stores the request's new approvers only while it still waits at the version the caller read.

        The version is not bumped: the cards already out (the manager's) stay valid, while a choice made meanwhile
        (which bumps it) makes this update match nothing, so a decided request never gains approvers.
        """
        result = await self.session.execute(
            update(Request)
            .where(Request.id == request.id, Request.version == request.version, Request.state == "pending")
            .values(approver_ids=approver_ids, payload=payload)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result

    async def _former_by_address(self, keys: set[str]) -> dict[str, FormerOwner]:
        if not keys:
            return {}
        users = await self._users(CachedUser.mail_key.in_(sorted(keys)))
        return {user.mail_key: owner for user, owner in users if user.mail_key}

    async def _former_by_id(self, ids: set[str]) -> dict[str, FormerOwner]:
        if not ids:
            return {}
        return {user.id: owner for user, owner in await self._users(CachedUser.id.in_(sorted(ids)))}

    async def _users(self, where: ColumnElement[bool]) -> Sequence[tuple[CachedUser, FormerOwner]]:
        """The users matching ``where`` (tombstones too) as former owners, with their managers in one more read."""
        users = list((await self.session.execute(select(CachedUser).where(where))).scalars())
        manager_ids = {u.manager_id for u in users if u.manager_id}
        managers: dict[str, CachedUser] = {}
        if manager_ids:
            stmt = select(CachedUser).where(CachedUser.id.in_(sorted(manager_ids)))
            managers = {m.id: m for m in (await self.session.execute(stmt)).scalars()}
        result = []
        for user in users:
            manager = managers.get(user.manager_id or "")
            state = DELETED if user.deleted else DISABLED if not user.account_enabled else ""
            result.append((user, FormerOwner(
                address=user.mail or user.user_principal_name,
                name=user.display_name,
                state=state,  # "" only for a live owner, which an orphaned resource cannot have
                user_id=user.id,
                manager_id=user.manager_id,
                manager_name=manager.display_name if manager else None,
                manager_live=bool(manager and manager.account_enabled and not manager.deleted),
            )))
        return result


__all__ = ["DELETED", "DISABLED", "GONE", "LIST", "MAILBOX", "FormerOwner", "OrphanRepository", "OrphanedResource"]

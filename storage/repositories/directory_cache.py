"""The directory cache (F1–F3, F7): distribution lists with members and shared mailboxes with delegates, as last
synced from Exchange, and the names they answer to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from m365.ports import Access, DistributionList, ListMember, MailboxDelegate, SharedMailbox
from storage.columns import utcnow
from storage.dialect import insert_for
from storage.models_directory import (
    CachedList,
    CachedListMember,
    CachedMailbox,
    CachedMailboxDelegate,
    MailboxOwnerRecord,
)
from storage.repositories.directory_rows import Page, address_key, chunks, count_rows


@dataclass(frozen=True, slots=True)
class DirectoryName:
    """The names one cached list or shared mailbox answers to."""

    kind: str  # list | mailbox
    identity: str
    display_name: str
    alias: str
    address: str


def _contains(column: Any, query: str) -> ColumnElement[bool]:
    # lower() on both sides instead of ILIKE: the same statement on SQLite and PostgreSQL; autoescape keeps "_"
    # and "%" (common in addresses) literal.
    return func.lower(column).contains(query.lower(), autoescape=True)


def _to_list(row: CachedList) -> DistributionList:
    return DistributionList(
        identity=row.identity,
        name=row.name,
        display_name=row.display_name,
        primary_smtp_address=row.address,
        alias=row.alias,
        managed_by=tuple(row.owners or ()),
        member_join_restriction=row.member_join_restriction,
        member_depart_restriction=row.member_depart_restriction,
        is_dir_synced=row.is_dir_synced,
        description=row.description,
        accepts_external_senders=row.accepts_external_senders,
        changed_at=row.changed_at,
    )


def _to_mailbox(row: CachedMailbox) -> SharedMailbox:
    return SharedMailbox(
        identity=row.identity,
        name=row.name,
        display_name=row.display_name,
        alias=row.alias,
        primary_smtp_address=row.address,
        is_dir_synced=row.is_dir_synced,
        changed_at=row.changed_at,
    )


class DirectoryCacheRepository:
    """Reads return the m365 port dataclasses, so handlers see the same shapes whether cached or live."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------ lists

    async def upsert_list(
        self, dl: DistributionList, members: Sequence[ListMember] | None = None, *, now: datetime | None = None
    ) -> None:
        """Insert or overwrite the list; ``members`` replaces its members, None keeps the cached ones."""
        values = {
            "name": dl.name,
            "display_name": dl.display_name,
            "address": dl.primary_smtp_address,
            "address_key": address_key(dl.primary_smtp_address),
            "alias": dl.alias,
            "description": dl.description or "",
            "member_join_restriction": dl.member_join_restriction,
            "member_depart_restriction": dl.member_depart_restriction,
            "accepts_external_senders": dl.accepts_external_senders,
            "is_dir_synced": dl.is_dir_synced,
            "changed_at": dl.changed_at,
            "owners": list(dl.managed_by),
            "synced_at": now or utcnow(),
        }
        stmt = insert_for(self.session, CachedList.__table__).values(identity=dl.identity, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["identity"], set_=values))
        if members is not None:
            await self._replace_members(dl.identity, members)

    async def _replace_members(self, identity: str, members: Sequence[ListMember]) -> None:
        # Delete-and-insert in the caller's transaction: readers see the old set or the new one, never a mix.
        await self.session.execute(delete(CachedListMember).where(CachedListMember.list_id == identity))
        rows: dict[str, dict[str, Any]] = {}
        for member in members:
            key = address_key(member.primary_smtp_address)
            rows.setdefault(
                key,
                {
                    "list_id": identity,
                    "address": member.primary_smtp_address,
                    "address_key": key,
                    "display_name": member.display_name,
                    "object_id": member.external_directory_object_id,
                    "recipient_type": member.recipient_type,
                },
            )
        for chunk in chunks(list(rows.values())):
            await self.session.execute(insert_for(self.session, CachedListMember.__table__).values(list(chunk)))

    async def delete_list(self, identity: str) -> bool:
        """Forget the list and its members; False when it was not cached."""
        await self.session.execute(delete(CachedListMember).where(CachedListMember.list_id == identity))
        result = await self.session.execute(delete(CachedList).where(CachedList.identity == identity))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result

    async def get_list(self, identity_or_address: str) -> DistributionList | None:
        """By object id or primary SMTP address (any case)."""
        value = identity_or_address.strip()
        stmt = select(CachedList).where(or_(CachedList.identity == value, CachedList.address_key == value.lower()))
        row = (await self.session.execute(stmt.limit(1))).scalar_one_or_none()
        return _to_list(row) if row is not None else None

    async def lists_named(self, name: str, *, limit: int = 50) -> list[DistributionList]:
        """Lists called exactly ``name``: object id, address, alias, Name or display name, any case; never a pattern
        ("*", "%" and "_" are plain characters here). lower() folds ASCII only on SQLite: a name differing from the
        list's in the case of a non-ASCII letter is not found here, and the caller asks Exchange."""
        value = name.strip()
        if not value:
            return []
        lowered = value.lower()
        stmt = select(CachedList).where(or_(
            CachedList.identity == value,
            CachedList.address_key == lowered,
            func.lower(CachedList.alias) == lowered,
            func.lower(CachedList.name) == lowered,
            func.lower(CachedList.display_name) == lowered,
        ))
        rows = (await self.session.execute(stmt.order_by(CachedList.identity).limit(limit))).scalars()
        return [_to_list(row) for row in rows]

    async def search_lists(self, query: str, *, offset: int = 0, limit: int = 10) -> Page[DistributionList]:
        """Case-insensitive substring of name, display name, description, address or alias; "" = every list."""
        query = query.strip()
        if not query:
            return await self._list_page(None, offset, limit)
        columns = (
            CachedList.name, CachedList.display_name, CachedList.description, CachedList.address, CachedList.alias
        )
        return await self._list_page(or_(*(_contains(c, query) for c in columns)), offset, limit)

    async def lists_owned_by(self, address: str, *, offset: int = 0, limit: int = 10) -> Page[DistributionList]:
        """Lists whose ManagedBy holds this address (any case)."""
        # Owners are a JSON array of strings; the quoted address as a substring of the array's text is an exact
        # element match on both backends without JSON functions that differ between them. (Addresses are ASCII
        # in practice; json.dumps escapes anything else the same way on write and here.)
        needle = json.dumps(address_key(address))
        owns = func.lower(cast(CachedList.owners, String)).contains(needle, autoescape=True)
        return await self._list_page(owns, offset, limit)

    async def lists_with_member(self, address: str, *, offset: int = 0, limit: int = 10) -> Page[DistributionList]:
        """Lists this address is a direct member of."""
        member_of = select(CachedListMember.list_id).where(CachedListMember.address_key == address_key(address))
        return await self._list_page(CachedList.identity.in_(member_of), offset, limit)

    async def list_members(self, identity: str, *, offset: int = 0, limit: int | None = None) -> Page[ListMember]:
        """The list's members by display name; ``limit=None`` = all of them."""
        where = CachedListMember.list_id == identity
        total = await self._count(select(CachedListMember.id).where(where))
        stmt = (
            select(CachedListMember)
            .where(where)
            .order_by(func.lower(CachedListMember.display_name), CachedListMember.address_key)
        )
        rows = (await self.session.execute(stmt.offset(offset).limit(limit))).scalars()
        items = tuple(
            ListMember(
                primary_smtp_address=r.address,
                display_name=r.display_name,
                external_directory_object_id=r.object_id,
                recipient_type=r.recipient_type,
            )
            for r in rows
        )
        return Page(items, total, offset)

    async def is_list_member(self, identity: str, address: str) -> bool:
        stmt = select(CachedListMember.id).where(
            CachedListMember.list_id == identity, CachedListMember.address_key == address_key(address)
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def list_identities(self) -> set[str]:
        """Every cached list's identity: what the sync compares with Exchange's to find deleted lists."""
        return set((await self.session.execute(select(CachedList.identity))).scalars())

    async def _list_page(self, where: ColumnElement[bool] | None, offset: int, limit: int) -> Page[DistributionList]:
        """The lists matching ``where`` (None = all), by display name.

        It takes the condition rather than a built select(CachedList): SQLAlchemy 2.0 and 2.1 spell that statement's
        type differently (Select[tuple[CachedList]] vs Select[CachedList]), and a condition types the same on both.
        """
        stmt = select(CachedList) if where is None else select(CachedList).where(where)
        total = await self._count(stmt.with_only_columns(CachedList.identity))
        ordered = stmt.order_by(func.lower(CachedList.display_name), CachedList.identity).offset(offset).limit(limit)
        rows = (await self.session.execute(ordered)).scalars()
        return Page(tuple(_to_list(r) for r in rows), total, offset)

    # ------------------------------------------------------------ shared mailboxes

    async def upsert_mailbox(
        self, mb: SharedMailbox, delegates: Sequence[MailboxDelegate] | None = None, *, now: datetime | None = None
    ) -> None:
        """Insert or overwrite the mailbox; ``delegates`` replaces its delegations, None keeps the cached ones.

        Desk-recorded owners (MailboxOwnerRepository) are never touched here.
        """
        values = {
            "name": mb.name,
            "display_name": mb.display_name,
            "alias": mb.alias,
            "address": mb.primary_smtp_address,
            "address_key": address_key(mb.primary_smtp_address),
            "is_dir_synced": mb.is_dir_synced,
            "changed_at": mb.changed_at,
            "synced_at": now or utcnow(),
        }
        stmt = insert_for(self.session, CachedMailbox.__table__).values(identity=mb.identity, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["identity"], set_=values))
        if delegates is not None:
            await self._replace_delegates(mb.identity, delegates)

    async def _replace_delegates(self, identity: str, delegates: Sequence[MailboxDelegate]) -> None:
        await self.session.execute(delete(CachedMailboxDelegate).where(CachedMailboxDelegate.mailbox_id == identity))
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for d in delegates:
            key = address_key(d.primary_smtp_address)
            rows.setdefault(
                (str(d.access), key),
                {
                    "mailbox_id": identity,
                    "access": str(d.access),
                    "address": d.primary_smtp_address,
                    "address_key": key,
                    "display_name": d.display_name,
                    "object_id": d.external_directory_object_id,
                    "auto_mapping": d.auto_mapping,
                },
            )
        for chunk in chunks(list(rows.values())):
            await self.session.execute(insert_for(self.session, CachedMailboxDelegate.__table__).values(list(chunk)))

    async def delete_mailbox(self, identity: str) -> bool:
        """Forget the mailbox, its delegates and the owners the desk recorded; False when it was not cached."""
        await self.session.execute(delete(CachedMailboxDelegate).where(CachedMailboxDelegate.mailbox_id == identity))
        # The owners are the desk's own record (mailbox_owners.py), not a cache; but a mailbox gone from Exchange
        # has nothing left to own, so its record goes with it.
        await self.session.execute(delete(MailboxOwnerRecord).where(MailboxOwnerRecord.mailbox_id == identity))
        result = await self.session.execute(delete(CachedMailbox).where(CachedMailbox.identity == identity))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result

    async def get_mailbox(self, identity_or_address: str) -> SharedMailbox | None:
        value = identity_or_address.strip()
        stmt = select(CachedMailbox).where(
            or_(CachedMailbox.identity == value, CachedMailbox.address_key == value.lower())
        )
        row = (await self.session.execute(stmt.limit(1))).scalar_one_or_none()
        return _to_mailbox(row) if row is not None else None

    async def mailboxes_named(self, name: str, *, limit: int = 50) -> list[SharedMailbox]:
        """Shared mailboxes called exactly ``name`` (as lists_named: ids, address, alias, Name, display name)."""
        value = name.strip()
        if not value:
            return []
        lowered = value.lower()
        stmt = select(CachedMailbox).where(or_(
            CachedMailbox.identity == value,
            CachedMailbox.address_key == lowered,
            func.lower(CachedMailbox.alias) == lowered,
            func.lower(CachedMailbox.name) == lowered,
            func.lower(CachedMailbox.display_name) == lowered,
        ))
        rows = (await self.session.execute(stmt.order_by(CachedMailbox.identity).limit(limit))).scalars()
        return [_to_mailbox(row) for row in rows]

    async def search_mailboxes(self, query: str, *, offset: int = 0, limit: int = 10) -> Page[SharedMailbox]:
        """Case-insensitive substring of name, display name, address or alias; "" = every shared mailbox."""
        query = query.strip()
        if not query:
            return await self._mailbox_page(None, offset, limit)
        columns = (CachedMailbox.name, CachedMailbox.display_name, CachedMailbox.address, CachedMailbox.alias)
        return await self._mailbox_page(or_(*(_contains(c, query) for c in columns)), offset, limit)

    async def mailboxes_for(
        self, address: str, user_id: str, *, offset: int = 0, limit: int = 10
    ) -> Page[SharedMailbox]:
        """Mailboxes this person owns (recorded by the desk) or holds any delegation on, by address or object id."""
        key = address_key(address)
        owned = select(MailboxOwnerRecord.mailbox_id).where(
            or_(MailboxOwnerRecord.user_id == user_id, MailboxOwnerRecord.address_key == key)
        )
        delegated = select(CachedMailboxDelegate.mailbox_id).where(
            or_(CachedMailboxDelegate.address_key == key, CachedMailboxDelegate.object_id == user_id)
        )
        held = or_(CachedMailbox.identity.in_(owned), CachedMailbox.identity.in_(delegated))
        return await self._mailbox_page(held, offset, limit)

    async def mailbox_delegates(self, identity: str) -> list[MailboxDelegate]:
        """Every delegation on the mailbox, by access then display name."""
        stmt = (
            select(CachedMailboxDelegate)
            .where(CachedMailboxDelegate.mailbox_id == identity)
            .order_by(
                CachedMailboxDelegate.access,
                func.lower(CachedMailboxDelegate.display_name),
                CachedMailboxDelegate.address_key,
            )
        )
        return [
            MailboxDelegate(
                access=Access(r.access),
                primary_smtp_address=r.address,
                display_name=r.display_name,
                external_directory_object_id=r.object_id,
                auto_mapping=r.auto_mapping,
            )
            for r in (await self.session.execute(stmt)).scalars()
        ]

    async def mailbox_identities(self) -> set[str]:
        return set((await self.session.execute(select(CachedMailbox.identity))).scalars())

    async def names(self) -> list[DirectoryName]:
        """Every cached list's and shared mailbox's names (three columns each), for "did you mean …?"."""
        names: list[DirectoryName] = []
        for kind, model in (("list", CachedList), ("mailbox", CachedMailbox)):
            stmt = select(model.identity, model.display_name, model.alias, model.address)
            for identity, display_name, alias, address in await self.session.execute(stmt):
                names.append(DirectoryName(kind, identity, display_name or "", alias or "", address or ""))
        return names

    async def _mailbox_page(self, where: ColumnElement[bool] | None, offset: int, limit: int) -> Page[SharedMailbox]:
        """The shared mailboxes matching ``where`` (None = all), by display name (a condition, as _list_page)."""
        stmt = select(CachedMailbox) if where is None else select(CachedMailbox).where(where)
        total = await self._count(stmt.with_only_columns(CachedMailbox.identity))
        ordered = stmt.order_by(func.lower(CachedMailbox.display_name), CachedMailbox.identity)
        ordered = ordered.offset(offset).limit(limit)
        rows = (await self.session.execute(ordered)).scalars()
        return Page(tuple(_to_mailbox(r) for r in rows), total, offset)

    async def _count(self, stmt: Select[Any]) -> int:
        return await count_rows(self.session, stmt)


__all__ = ["DirectoryCacheRepository", "DirectoryName", "Page"]

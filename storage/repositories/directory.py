"""The directory cache (F1–F3, F7): lists, members, shared mailboxes, delegates and users as last synced."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, String, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from m365.ports import Access, DistributionList, ListMember, MailboxDelegate, SharedMailbox, UserState
from storage.columns import utcnow
from storage.dialect import insert_for
from storage.models_directory import (
    DirList,
    DirListMember,
    DirMailbox,
    DirMailboxDelegate,
    DirMailboxOwner,
    DirSyncState,
    DirUser,
)

T = TypeVar("T")

# Rows per multi-row INSERT: far below both backends' bound-parameter limits (SQLite 32766, asyncpg 32767) for
# tables of ~10 columns, and small enough that a chunk's statement stays cheap to build.
_CHUNK = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer result: ``items`` from ``offset`` on, and how many there are in all."""

    items: tuple[T, ...]
    total: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True, slots=True)
class SyncState:
    """One named row of the sync state, as read."""

    name: str
    cursor: str | None
    last_full_run: datetime | None
    last_run: datetime | None
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None


@dataclass(frozen=True, slots=True)
class DirectoryName:
    """The names one cached list or shared mailbox answers to."""

    kind: str  # list | mailbox
    identity: str
    display_name: str
    alias: str
    address: str


_USER_FIELDS = frozenset(
    {"display_name", "user_principal_name", "mail", "account_enabled", "department", "manager_id"}
)


def _key(address: str) -> str:
    return address.strip().lower()


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


def _contains(column: Any, query: str) -> ColumnElement[bool]:
    # lower() on both sides instead of ILIKE: the same statement on SQLite and PostgreSQL; autoescape keeps "_"
    # and "%" (common in addresses) literal.
    return func.lower(column).contains(query.lower(), autoescape=True)


def _to_list(row: DirList) -> DistributionList:
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


def _to_mailbox(row: DirMailbox) -> SharedMailbox:
    return SharedMailbox(
        identity=row.identity,
        name=row.name,
        display_name=row.display_name,
        alias=row.alias,
        primary_smtp_address=row.address,
        is_dir_synced=row.is_dir_synced,
        changed_at=row.changed_at,
    )


def _to_user(row: DirUser) -> UserState:
    return UserState(
        id=row.id,
        display_name=row.display_name,
        user_principal_name=row.user_principal_name,
        mail=row.mail,
        account_enabled=row.account_enabled,
        department=row.department,
        manager_id=row.manager_id,
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
            "address_key": _key(dl.primary_smtp_address),
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
        stmt = insert_for(self.session, DirList.__table__).values(identity=dl.identity, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["identity"], set_=values))
        if members is not None:
            await self._replace_members(dl.identity, members)

    async def _replace_members(self, identity: str, members: Sequence[ListMember]) -> None:
        # Delete-and-insert in the caller's transaction: readers see the old set or the new one, never a mix.
        await self.session.execute(delete(DirListMember).where(DirListMember.list_id == identity))
        rows: dict[str, dict[str, Any]] = {}
        for member in members:
            key = _key(member.primary_smtp_address)
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
        for chunk in _chunks(list(rows.values())):
            await self.session.execute(insert_for(self.session, DirListMember.__table__).values(list(chunk)))

    async def delete_list(self, identity: str) -> bool:
        """Forget the list and its members; False when it was not cached."""
        await self.session.execute(delete(DirListMember).where(DirListMember.list_id == identity))
        result = await self.session.execute(delete(DirList).where(DirList.identity == identity))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get_list(self, identity_or_address: str) -> DistributionList | None:
        """By object id or primary SMTP address (any case)."""
        value = identity_or_address.strip()
        stmt = select(DirList).where(or_(DirList.identity == value, DirList.address_key == value.lower()))
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
        stmt = select(DirList).where(or_(
            DirList.identity == value,
            DirList.address_key == lowered,
            func.lower(DirList.alias) == lowered,
            func.lower(DirList.name) == lowered,
            func.lower(DirList.display_name) == lowered,
        ))
        rows = (await self.session.execute(stmt.order_by(DirList.identity).limit(limit))).scalars()
        return [_to_list(row) for row in rows]

    async def search_lists(self, query: str, *, offset: int = 0, limit: int = 10) -> Page[DistributionList]:
        """Case-insensitive substring of name, display name, description, address or alias; "" = every list."""
        stmt = select(DirList)
        query = query.strip()
        if query:
            stmt = stmt.where(
                or_(
                    *(
                        _contains(c, query)
                        for c in (
                            DirList.name,
                            DirList.display_name,
                            DirList.description,
                            DirList.address,
                            DirList.alias,
                        )
                    )
                )
            )
        return await self._list_page(stmt, offset, limit)

    async def lists_owned_by(self, address: str, *, offset: int = 0, limit: int = 10) -> Page[DistributionList]:
        """Lists whose ManagedBy holds this address (any case)."""
        # Owners are a JSON array of strings; the quoted address as a substring of the array's text is an exact
        # element match on both backends without JSON functions that differ between them. (Addresses are ASCII
        # in practice; json.dumps escapes anything else the same way on write and here.)
        needle = json.dumps(_key(address))
        stmt = select(DirList).where(func.lower(cast(DirList.owners, String)).contains(needle, autoescape=True))
        return await self._list_page(stmt, offset, limit)

    async def lists_with_member(self, address: str, *, offset: int = 0, limit: int = 10) -> Page[DistributionList]:
        """Lists this address is a direct member of."""
        member_of = select(DirListMember.list_id).where(DirListMember.address_key == _key(address))
        return await self._list_page(select(DirList).where(DirList.identity.in_(member_of)), offset, limit)

    async def list_members(self, identity: str, *, offset: int = 0, limit: int | None = None) -> Page[ListMember]:
        """The list's members by display name; ``limit=None`` = all of them."""
        where = DirListMember.list_id == identity
        total = await self._count(select(DirListMember.id).where(where))
        stmt = (
            select(DirListMember)
            .where(where)
            .order_by(func.lower(DirListMember.display_name), DirListMember.address_key)
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
        stmt = select(DirListMember.id).where(
            DirListMember.list_id == identity, DirListMember.address_key == _key(address)
        )
        return (await self.session.execute(stmt.limit(1))).first() is not None

    async def list_identities(self) -> set[str]:
        """Every cached list's identity: what the sync compares with Exchange's to find deleted lists."""
        return set((await self.session.execute(select(DirList.identity))).scalars())

    async def _list_page(self, stmt: Select[tuple[DirList]], offset: int, limit: int) -> Page[DistributionList]:
        total = await self._count(stmt.with_only_columns(DirList.identity))
        ordered = stmt.order_by(func.lower(DirList.display_name), DirList.identity).offset(offset).limit(limit)
        rows = (await self.session.execute(ordered)).scalars()
        return Page(tuple(_to_list(r) for r in rows), total, offset)

    # ------------------------------------------------------------ shared mailboxes

    async def upsert_mailbox(
        self, mb: SharedMailbox, delegates: Sequence[MailboxDelegate] | None = None, *, now: datetime | None = None
    ) -> None:
        """Insert or overwrite the mailbox; ``delegates`` replaces its delegations, None keeps the cached ones.

        Desk-recorded owners are never touched here.
        """
        values = {
            "name": mb.name,
            "display_name": mb.display_name,
            "alias": mb.alias,
            "address": mb.primary_smtp_address,
            "address_key": _key(mb.primary_smtp_address),
            "is_dir_synced": mb.is_dir_synced,
            "changed_at": mb.changed_at,
            "synced_at": now or utcnow(),
        }
        stmt = insert_for(self.session, DirMailbox.__table__).values(identity=mb.identity, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["identity"], set_=values))
        if delegates is not None:
            await self._replace_delegates(mb.identity, delegates)

    async def _replace_delegates(self, identity: str, delegates: Sequence[MailboxDelegate]) -> None:
        await self.session.execute(delete(DirMailboxDelegate).where(DirMailboxDelegate.mailbox_id == identity))
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for d in delegates:
            key = _key(d.primary_smtp_address)
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
        for chunk in _chunks(list(rows.values())):
            await self.session.execute(insert_for(self.session, DirMailboxDelegate.__table__).values(list(chunk)))

    async def delete_mailbox(self, identity: str) -> bool:
        """Forget the mailbox, its delegates and the owners the desk recorded; False when it was not cached."""
        await self.session.execute(delete(DirMailboxDelegate).where(DirMailboxDelegate.mailbox_id == identity))
        await self.session.execute(delete(DirMailboxOwner).where(DirMailboxOwner.mailbox_id == identity))
        result = await self.session.execute(delete(DirMailbox).where(DirMailbox.identity == identity))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get_mailbox(self, identity_or_address: str) -> SharedMailbox | None:
        value = identity_or_address.strip()
        stmt = select(DirMailbox).where(or_(DirMailbox.identity == value, DirMailbox.address_key == value.lower()))
        row = (await self.session.execute(stmt.limit(1))).scalar_one_or_none()
        return _to_mailbox(row) if row is not None else None

    async def mailboxes_named(self, name: str, *, limit: int = 50) -> list[SharedMailbox]:
        """Shared mailboxes called exactly ``name`` (as lists_named: ids, address, alias, Name, display name)."""
        value = name.strip()
        if not value:
            return []
        lowered = value.lower()
        stmt = select(DirMailbox).where(or_(
            DirMailbox.identity == value,
            DirMailbox.address_key == lowered,
            func.lower(DirMailbox.alias) == lowered,
            func.lower(DirMailbox.name) == lowered,
            func.lower(DirMailbox.display_name) == lowered,
        ))
        rows = (await self.session.execute(stmt.order_by(DirMailbox.identity).limit(limit))).scalars()
        return [_to_mailbox(row) for row in rows]

    async def search_mailboxes(self, query: str, *, offset: int = 0, limit: int = 10) -> Page[SharedMailbox]:
        """Case-insensitive substring of name, display name, address or alias; "" = every shared mailbox."""
        stmt = select(DirMailbox)
        query = query.strip()
        if query:
            stmt = stmt.where(
                or_(
                    *(
                        _contains(c, query)
                        for c in (DirMailbox.name, DirMailbox.display_name, DirMailbox.address, DirMailbox.alias)
                    )
                )
            )
        return await self._mailbox_page(stmt, offset, limit)

    async def mailboxes_for(
        self, address: str, user_id: str, *, offset: int = 0, limit: int = 10
    ) -> Page[SharedMailbox]:
        """Mailboxes this person owns (recorded by the desk) or holds any delegation on, by address or object id."""
        key = _key(address)
        owned = select(DirMailboxOwner.mailbox_id).where(
            or_(DirMailboxOwner.user_id == user_id, DirMailboxOwner.address_key == key)
        )
        delegated = select(DirMailboxDelegate.mailbox_id).where(
            or_(DirMailboxDelegate.address_key == key, DirMailboxDelegate.object_id == user_id)
        )
        stmt = select(DirMailbox).where(or_(DirMailbox.identity.in_(owned), DirMailbox.identity.in_(delegated)))
        return await self._mailbox_page(stmt, offset, limit)

    async def mailbox_delegates(self, identity: str) -> list[MailboxDelegate]:
        """Every delegation on the mailbox, by access then display name."""
        stmt = (
            select(DirMailboxDelegate)
            .where(DirMailboxDelegate.mailbox_id == identity)
            .order_by(
                DirMailboxDelegate.access, func.lower(DirMailboxDelegate.display_name), DirMailboxDelegate.address_key
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

    async def mailbox_owners(self, identity: str) -> list[tuple[str, str, str]]:
        """(user id, address, display name) of each owner the desk recorded, by display name."""
        stmt = (
            select(DirMailboxOwner)
            .where(DirMailboxOwner.mailbox_id == identity)
            .order_by(func.lower(DirMailboxOwner.display_name), DirMailboxOwner.user_id)
        )
        return [(r.user_id, r.address, r.display_name) for r in (await self.session.execute(stmt)).scalars()]

    async def set_mailbox_owners(self, identity: str, owners: Sequence[tuple[str, str, str]]) -> None:
        """The mailbox's desk-recorded owners become exactly ``owners`` (user id, address, display name)."""
        await self.session.execute(delete(DirMailboxOwner).where(DirMailboxOwner.mailbox_id == identity))
        rows: dict[str, dict[str, Any]] = {}
        for user_id, address, display_name in owners:
            rows.setdefault(
                user_id,
                {
                    "mailbox_id": identity,
                    "user_id": user_id,
                    "address": address,
                    "address_key": _key(address),
                    "display_name": display_name,
                },
            )
        if rows:
            await self.session.execute(insert_for(self.session, DirMailboxOwner.__table__).values(list(rows.values())))

    async def mailbox_identities(self) -> set[str]:
        return set((await self.session.execute(select(DirMailbox.identity))).scalars())

    async def names(self) -> list[DirectoryName]:
        """Every cached list's and shared mailbox's names (three columns each), for "did you mean …?"."""
        names: list[DirectoryName] = []
        for kind, model in (("list", DirList), ("mailbox", DirMailbox)):
            stmt = select(model.identity, model.display_name, model.alias, model.address)
            for identity, display_name, alias, address in await self.session.execute(stmt):
                names.append(DirectoryName(kind, identity, display_name or "", alias or "", address or ""))
        return names

    async def _mailbox_page(self, stmt: Select[tuple[DirMailbox]], offset: int, limit: int) -> Page[SharedMailbox]:
        total = await self._count(stmt.with_only_columns(DirMailbox.identity))
        ordered = stmt.order_by(func.lower(DirMailbox.display_name), DirMailbox.identity).offset(offset).limit(limit)
        rows = (await self.session.execute(ordered)).scalars()
        return Page(tuple(_to_mailbox(r) for r in rows), total, offset)

    # ------------------------------------------------------------ users

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
                "mail_key": _key(u.mail) if u.mail else None,
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
            for chunk in _chunks(group):
                stmt = insert_for(self.session, DirUser.__table__).values(list(chunk))
                excluded = stmt.excluded
                stmt = stmt.on_conflict_do_update(
                    index_elements=["id"], set_={name: excluded[name] for name in sorted(columns)}
                )
                await self.session.execute(stmt)

    async def remove_users(self, ids: Sequence[str], *, now: datetime | None = None) -> int:
        """Mark users deleted (tombstones, so "who was this" still answers); returns how many were known."""
        count = 0
        for start in range(0, len(ids), _CHUNK):
            result = await self.session.execute(
                update(DirUser)
                .where(DirUser.id.in_(list(ids[start : start + _CHUNK])))
                .values(deleted=True, synced_at=now or utcnow())
                .execution_options(synchronize_session=False)
            )
            count += result.rowcount  # type: ignore[attr-defined]
        return count

    async def remove_users_synced_before(self, when: datetime) -> int:
        """Mark deleted every live user not reported since ``when`` (the start of a full round that just ended)."""
        result = await self.session.execute(
            update(DirUser)
            .where(DirUser.deleted.is_(False), DirUser.synced_at < when)
            .values(deleted=True)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def get_user(self, user_id: str, *, include_deleted: bool = False) -> UserState | None:
        """The cached user; None when unknown or deleted (unless ``include_deleted``)."""
        stmt = select(DirUser).where(DirUser.id == user_id)
        if not include_deleted:
            stmt = stmt.where(DirUser.deleted.is_(False))
        row = (await self.session.execute(stmt)).scalar_one_or_none()
        return _to_user(row) if row is not None else None

    async def is_user_deleted(self, user_id: str) -> bool:
        stmt = select(DirUser.deleted).where(DirUser.id == user_id)
        return bool((await self.session.execute(stmt)).scalar_one_or_none())

    async def count_users(self, *, include_deleted: bool = False) -> int:
        stmt = select(DirUser.id)
        if not include_deleted:
            stmt = stmt.where(DirUser.deleted.is_(False))
        return await self._count(stmt)

    # ------------------------------------------------------------ sync state and lease

    async def cursor(self, name: str) -> str | None:
        stmt = select(DirSyncState.cursor).where(DirSyncState.name == name)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def set_cursor(self, name: str, value: str | None) -> None:
        await self._upsert_state(name, cursor=value)

    async def state(self, name: str) -> SyncState | None:
        row = (
            await self.session.execute(
                select(DirSyncState).where(DirSyncState.name == name).execution_options(populate_existing=True)
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
            await self._upsert_state(name, last_error=error)
            return
        values: dict[str, Any] = {"last_run": started_at, "last_error": None}
        if full:
            values["last_full_run"] = started_at
        await self._upsert_state(name, **values)

    async def try_claim(self, name: str, owner: str, until: datetime, now: datetime) -> bool:
        """Take the lease ``name`` until ``until`` if it is free, expired, or already ``owner``'s.

        Exactly one of several concurrent claimers wins: the row is created with a unique key (a racing INSERT
        does nothing), and the take-over is one conditional UPDATE, which PostgreSQL re-checks against the
        committed row and SQLite runs under its single write lock. Commit right after claiming.
        """
        await self.session.flush()
        stmt = insert_for(self.session, DirSyncState.__table__).values(name=name, lease_owner=owner, lease_until=until)
        inserted = await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
        if inserted.rowcount == 1:  # type: ignore[attr-defined]
            return True
        result = await self.session.execute(
            update(DirSyncState)
            .where(
                DirSyncState.name == name,
                or_(
                    DirSyncState.lease_owner.is_(None),
                    DirSyncState.lease_until.is_(None),
                    DirSyncState.lease_until < now,
                    DirSyncState.lease_owner == owner,
                ),
            )
            .values(lease_owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def extend(self, name: str, owner: str, until: datetime) -> bool:
        """Push the lease's end out while a long run is still working; False when another owner holds it now."""
        result = await self.session.execute(
            update(DirSyncState)
            .where(DirSyncState.name == name, DirSyncState.lease_owner == owner)
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def release(self, name: str, owner: str) -> None:
        """Give the lease back (only if it is still ``owner``'s)."""
        await self.session.execute(
            update(DirSyncState)
            .where(DirSyncState.name == name, DirSyncState.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )

    async def _upsert_state(self, name: str, **values: Any) -> None:
        stmt = insert_for(self.session, DirSyncState.__table__).values(name=name, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))

    async def _count(self, stmt: Select[Any]) -> int:
        return int((await self.session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())


__all__ = ["DirectoryCacheRepository", "Page", "SyncState"]

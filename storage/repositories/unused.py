"""What the unused lists / mailboxes report (F20) reads from the synced directory cache: every list and shared
mailbox, their member and delegate counts, the mailboxes' recorded owners and the owners' display names — each a
single grouped query, so the report costs a handful of statements whatever the tenant's size."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from m365.ports import DistributionList, SharedMailbox
from storage.models_directory import (
    CachedList,
    CachedListMember,
    CachedMailbox,
    CachedMailboxDelegate,
    CachedUser,
    MailboxOwnerRecord,
)

_IN_CHUNK = 500  # bounded IN lists


class UnusedReportRepository:
    """Reads only."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all_lists(self) -> list[DistributionList]:
        rows = await self.session.execute(select(
            CachedList.identity, CachedList.name, CachedList.display_name, CachedList.address, CachedList.alias,
            CachedList.owners))
        return [DistributionList(identity=i, name=n, display_name=d, primary_smtp_address=a, alias=al,
                                 managed_by=tuple(o or ())) for i, n, d, a, al, o in rows.all()]

    async def all_mailboxes(self) -> list[SharedMailbox]:
        rows = await self.session.execute(select(
            CachedMailbox.identity, CachedMailbox.name, CachedMailbox.display_name, CachedMailbox.alias,
            CachedMailbox.address))
        return [SharedMailbox(identity=i, name=n, display_name=d, alias=al, primary_smtp_address=a)
                for i, n, d, al, a in rows.all()]

    async def member_counts(self) -> dict[str, int]:
        """List identity -> direct members (lists without members are absent)."""
        rows = await self.session.execute(
            select(CachedListMember.list_id, func.count()).group_by(CachedListMember.list_id))
        return {identity: count for identity, count in rows.all()}

    async def delegate_counts(self) -> dict[str, int]:
        """Mailbox identity -> people holding any delegation (one person with two rights counts once)."""
        rows = await self.session.execute(
            select(CachedMailboxDelegate.mailbox_id, func.count(func.distinct(CachedMailboxDelegate.address_key)))
            .group_by(CachedMailboxDelegate.mailbox_id))
        return {identity: count for identity, count in rows.all()}

    async def mailbox_owner_names(self) -> dict[str, tuple[str, ...]]:
        """Mailbox identity -> its recorded owners' display names, sorted."""
        rows = await self.session.execute(select(MailboxOwnerRecord.mailbox_id, MailboxOwnerRecord.display_name))
        owners: dict[str, list[str]] = {}
        for identity, name in rows.all():
            owners.setdefault(identity, []).append(name)
        return {identity: tuple(sorted(names, key=str.casefold)) for identity, names in owners.items()}

    async def names_by_address(self, addresses: Iterable[str]) -> dict[str, str]:
        """Lower-case address -> display name of the user the directory knows at that address."""
        keys = sorted({a.lower() for a in addresses if a})
        names: dict[str, str] = {}
        for start in range(0, len(keys), _IN_CHUNK):
            rows = await self.session.execute(select(CachedUser.mail_key, CachedUser.display_name)
                                              .where(CachedUser.mail_key.in_(keys[start:start + _IN_CHUNK])))
            names.update({key: name for key, name in rows.all() if key})
        return names

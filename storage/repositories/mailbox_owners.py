"""Shared mailbox owners: the desk's own record of who decides on a mailbox (Exchange keeps none), not a cache."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for
from storage.models_directory import MailboxOwnerRecord
from storage.repositories.directory_rows import address_key

# (user id, address, display name) of one owner.
Owner = tuple[str, str, str]


class MailboxOwnerRepository:
    """Owners recorded when the desk creates a mailbox or an admin sets them; the directory sync only removes them
    together with a mailbox gone from Exchange (DirectoryCacheRepository.delete_mailbox)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, identity: str) -> list[Owner]:
        """(user id, address, display name) of each owner the desk recorded for the mailbox, by display name."""
        stmt = (
            select(MailboxOwnerRecord)
            .where(MailboxOwnerRecord.mailbox_id == identity)
            .order_by(func.lower(MailboxOwnerRecord.display_name), MailboxOwnerRecord.user_id)
        )
        return [(r.user_id, r.address, r.display_name) for r in (await self.session.execute(stmt)).scalars()]

    async def replace(self, identity: str, owners: Sequence[Owner]) -> None:
        """The mailbox's recorded owners become exactly ``owners`` (user id, address, display name)."""
        await self.session.execute(delete(MailboxOwnerRecord).where(MailboxOwnerRecord.mailbox_id == identity))
        rows: dict[str, dict[str, Any]] = {}
        for user_id, address, display_name in owners:
            rows.setdefault(
                user_id,
                {
                    "mailbox_id": identity,
                    "user_id": user_id,
                    "address": address,
                    "address_key": address_key(address),
                    "display_name": display_name,
                },
            )
        if rows:
            table = MailboxOwnerRecord.__table__
            await self.session.execute(insert_for(self.session, table).values(list(rows.values())))


__all__ = ["MailboxOwnerRepository", "Owner"]

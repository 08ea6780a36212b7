"""Time-bound mailbox grants (F6): what expires when, and whether the holder was told beforehand.

Every change that several replicas (or a re-run) might make at once is a conditional UPDATE whose row count says
who won, so the notice goes out once and one revoke request is filed per expiry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_grants import MailboxGrant, active_key


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(self, mailbox_address: str, access: str, person_id: str) -> MailboxGrant | None:
        found = await self.session.execute(
            select(MailboxGrant).where(MailboxGrant.active_key == active_key(mailbox_address, access, person_id))
        )
        return found.scalar_one_or_none()

    async def schedule(
        self,
        *,
        mailbox_id: str,
        mailbox_address: str,
        mailbox_name: str,
        access: str,
        person_id: str,
        person_address: str,
        person_name: str,
        expires_at: datetime,
        request_id: int | None,
        now: datetime,
    ) -> MailboxGrant:
        """The live expiry of this delegation becomes ``expires_at``: a newer grant replaces the older expiry (and
        its notice is due again). A concurrent insert of the same key fails on the unique index; callers retry."""
        grant = await self.active(mailbox_address, access, person_id)
        if grant is None:
            grant = MailboxGrant(
                active_key=active_key(mailbox_address, access, person_id),
                mailbox_id=mailbox_id,
                mailbox_address=mailbox_address,
                mailbox_name=mailbox_name,
                access=access,
                person_id=person_id,
                person_address=person_address,
                person_name=person_name,
                expires_at=expires_at,
                request_id=request_id,
                created_at=now,
                updated_at=now,
            )
            self.session.add(grant)
        else:
            grant.expires_at = expires_at
            grant.request_id = request_id
            grant.notified_at = None
            grant.claimed_until = None
            grant.updated_at = now
        await self.session.flush()
        return grant

    async def end(self, mailbox_address: str, access: str, person_id: str, *, reason: str, now: datetime) -> bool:
        """Closes the live expiry (a permanent grant replaced it); False when there was none."""
        result = await self.session.execute(
            update(MailboxGrant)
            .where(MailboxGrant.active_key == active_key(mailbox_address, access, person_id))
            .values(active_key=None, closed_at=now, closed_reason=reason, updated_at=now)
        )
        return _count(result) > 0

    async def due_for_notice(self, now: datetime, notice: timedelta) -> list[MailboxGrant]:
        found = await self.session.execute(
            select(MailboxGrant)
            .where(
                MailboxGrant.active_key.is_not(None),
                MailboxGrant.notified_at.is_(None),
                MailboxGrant.expires_at > now,
                MailboxGrant.expires_at <= now + notice,
            )
            .order_by(MailboxGrant.expires_at)
            .limit(500)
        )
        return list(found.scalars())

    async def claim_notice(self, grant_id: int, now: datetime) -> bool:
        """True for exactly one caller: the one that tells the holder."""
        result = await self.session.execute(
            update(MailboxGrant)
            .where(MailboxGrant.id == grant_id, MailboxGrant.notified_at.is_(None))
            .values(notified_at=now, updated_at=now)
        )
        return _count(result) == 1

    async def due_for_revoke(self, now: datetime) -> list[MailboxGrant]:
        found = await self.session.execute(
            select(MailboxGrant)
            .where(
                MailboxGrant.active_key.is_not(None),
                MailboxGrant.expires_at <= now,
                or_(MailboxGrant.claimed_until.is_(None), MailboxGrant.claimed_until < now),
            )
            .order_by(MailboxGrant.expires_at)
            .limit(500)
        )
        return list(found.scalars())

    async def claim_revoke(self, grant_id: int, now: datetime, lease: timedelta) -> bool:
        """True for exactly one caller until the lease lapses (a replica that died mid-way is then retried)."""
        result = await self.session.execute(
            update(MailboxGrant)
            .where(
                MailboxGrant.id == grant_id,
                MailboxGrant.active_key.is_not(None),
                or_(MailboxGrant.claimed_until.is_(None), MailboxGrant.claimed_until < now),
            )
            .values(claimed_until=now + lease, updated_at=now)
        )
        return _count(result) == 1

    async def close_expired(self, grant_id: int, revoke_request_id: int | None, now: datetime) -> None:
        await self.session.execute(
            update(MailboxGrant)
            .where(MailboxGrant.id == grant_id)
            .values(
                active_key=None,
                revoke_request_id=revoke_request_id,
                closed_at=now,
                closed_reason="expired",
                updated_at=now,
            )
        )

    async def get(self, grant_id: int) -> MailboxGrant | None:
        return await self.session.get(MailboxGrant, grant_id)


def _count(result: object) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0

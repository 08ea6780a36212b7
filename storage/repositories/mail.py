"""The mail outbox and people's e-mail choice: queue a notification once per key, claim the next one due with a lease,
record its draft, its sending or its failure under that lease; read and set a person's choice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_for, session_is_postgres
from storage.models_mail import MailChoice, MailState, OutboxMail

# A claimer whose candidate another replica took looks once more (as the job outbox does).
_CLAIM_TRIES = 2


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Queued, due, and not in the hands of a sender whose lease still runs."""
    return and_(
        OutboxMail.state == MailState.QUEUED,
        OutboxMail.next_attempt_at <= now,
        or_(OutboxMail.lease_until.is_(None), OutboxMail.lease_until < now),
    )


class MailOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, **values: Any) -> bool:
        """Queues one e-mail; False when a mail with this ``key`` is queued or sent already (nothing changes)."""
        await self.session.flush()
        row = {"state": MailState.QUEUED, "attempts": 0, **values}
        stmt = insert_for(self.session, OutboxMail.__table__).values(**row)
        result = await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        return result.rowcount == 1  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result

    async def by_key(self, key: str) -> OutboxMail | None:
        stmt = select(OutboxMail).where(OutboxMail.key == key).execution_options(populate_existing=True)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def all(self) -> list[OutboxMail]:
        stmt = select(OutboxMail).order_by(OutboxMail.id).execution_options(populate_existing=True)
        return list((await self.session.execute(stmt)).scalars())

    async def claim(self, owner: str, *, now: datetime, lease_seconds: float) -> OutboxMail | None:
        """Leases the oldest mail that is due to ``owner``; commit right after, send, then record in a later unit.

        ``attempts`` counts claims and is the compare-and-swap token: a late write of an earlier holder whose lease ran
        out matches nothing.
        """
        await self.session.flush()
        for _ in range(_CLAIM_TRIES):
            candidate = (
                select(OutboxMail.id, OutboxMail.attempts)
                .where(_claimable(now))
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(1)
            )
            if session_is_postgres(self.session):
                candidate = candidate.with_for_update(skip_locked=True)
            found = (await self.session.execute(candidate)).first()
            if found is None:
                return None
            result = await self.session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == found.id, OutboxMail.attempts == found.attempts, _claimable(now))
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds),
                        attempts=OutboxMail.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
                stmt = select(OutboxMail).where(OutboxMail.id == found.id).execution_options(populate_existing=True)
                return (await self.session.execute(stmt)).scalar_one()
        return None

    async def sent_since(self, sender: str, since: datetime) -> list[datetime]:
        """When the sender's mail of the window went out, oldest first (the per-mailbox limit's sliding window)."""
        stmt = (
            select(OutboxMail.sent_at)
            .where(OutboxMail.sender == sender, OutboxMail.sent_at.is_not(None), OutboxMail.sent_at > since)
            .order_by(OutboxMail.sent_at)
        )
        return [moment for moment in (await self.session.execute(stmt)).scalars() if moment is not None]

    async def queued_count(self) -> int:
        stmt = select(func.count()).select_from(OutboxMail).where(OutboxMail.state == MailState.QUEUED)
        return int((await self.session.execute(stmt)).scalar_one())

    async def record_draft(self, mail: OutboxMail, draft_id: str) -> bool:
        return await self._held(mail, draft_id=draft_id)

    async def mark_sent(self, mail: OutboxMail, *, now: datetime) -> bool:
        return await self._held(mail, state=MailState.SENT, sent_at=now, lease_owner=None, lease_until=None,
                                last_error=None)

    async def retry(self, mail: OutboxMail, *, at: datetime, error: str) -> bool:
        """Back in the queue for ``at``; the lease is given up."""
        return await self._held(mail, next_attempt_at=at, last_error=error, lease_owner=None, lease_until=None)

    async def give_up(self, mail: OutboxMail, *, error: str) -> bool:
        """Failed for good: never sent again."""
        return await self._held(mail, state=MailState.FAILED, last_error=error, lease_owner=None, lease_until=None)

    async def _held(self, mail: OutboxMail, **values: Any) -> bool:
        """Writes only while ``mail`` is still leased as it was claimed; False when another sender took it over."""
        result = await self.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.lease_owner == mail.lease_owner,
                   OutboxMail.attempts == mail.attempts, OutboxMail.state == MailState.QUEUED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result


class MailChoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: str) -> bool | None:
        """The person's own choice; None when they never chose."""
        row = await self.session.get(MailChoice, user_id)
        return None if row is None else row.email

    async def set(self, user_id: str, email: bool, *, now: datetime) -> None:
        await self.session.flush()
        values = {"email": email, "set_at": now}
        stmt = insert_for(self.session, MailChoice.__table__).values(user_id=user_id, **values)
        await self.session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))
        await self.session.flush()


__all__ = ["MailChoiceRepository", "MailOutboxRepository"]

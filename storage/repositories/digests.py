"""The channel digests' schedules: set (replacing a channel's earlier one), switch off, and list them all; and the
approvers' morning digest choice: opt in, opt out, list who opted in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_digest import ChannelDigest, MorningDigest


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def set(
        self,
        *,
        conversation_id: str,
        service_url: str,
        tenant_id: str,
        bot_id: str,
        channel_id: str,
        cadence: str,
        weekday: int | None,
        at_minute: int,
        locale: str,
        set_by: str,
        now: datetime,
    ) -> ChannelDigest:
        row = await self.session.get(ChannelDigest, conversation_id)
        if row is None:
            row = ChannelDigest(conversation_id=conversation_id)
            self.session.add(row)
        row.service_url, row.tenant_id, row.bot_id, row.channel_id = service_url, tenant_id, bot_id, channel_id
        row.cadence, row.weekday, row.at_minute = cadence, weekday, at_minute
        row.locale, row.set_by, row.set_at = locale, set_by, now
        await self.session.flush()
        return row

    async def remove(self, conversation_id: str) -> bool:
        """True when the channel had a digest."""
        stmt = delete(ChannelDigest).where(ChannelDigest.conversation_id == conversation_id)
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result

    async def all(self) -> list[ChannelDigest]:
        stmt = select(ChannelDigest).order_by(ChannelDigest.conversation_id)
        return list((await self.session.execute(stmt)).scalars())


class MorningDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def opt_in(self, user_id: str, *, locale: str, now: datetime) -> None:
        """Opting in again only updates the language the card is written in."""
        row = await self.session.get(MorningDigest, user_id)
        if row is None:
            self.session.add(MorningDigest(user_id=user_id, locale=locale, opted_in_at=now))
        else:
            row.locale = locale
        await self.session.flush()

    async def opt_out(self, user_id: str) -> bool:
        """True when the person had opted in."""
        result = await self.session.execute(delete(MorningDigest).where(MorningDigest.user_id == user_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result

    async def all(self) -> list[MorningDigest]:
        return list((await self.session.execute(select(MorningDigest).order_by(MorningDigest.user_id))).scalars())

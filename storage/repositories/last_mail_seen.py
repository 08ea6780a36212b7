"""The "last mail seen" record: raise an address's last received moment (never lower it), and read it back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_usage import LastMailSeen


class LastMailSeenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def raise_to(self, seen: Mapping[str, datetime], now: datetime) -> None:
        """For each address, keep the later of what is stored and ``seen[address]`` (a re-run never goes back)."""
        if not seen:
            return
        keys = {address.lower(): address for address in seen}
        rows = (await self.session.execute(
            select(LastMailSeen).where(LastMailSeen.address_key.in_(list(keys))))).scalars().all()
        stored = {row.address_key: row for row in rows}
        for key, address in keys.items():
            moment = seen[address]
            row = stored.get(key)
            if row is None:
                self.session.add(LastMailSeen(address_key=key, address=address, last_received=moment, updated_at=now))
            elif moment > row.last_received:
                row.last_received, row.updated_at = moment, now
        await self.session.flush()

    async def last_seen(self, addresses: Iterable[str]) -> dict[str, datetime]:
        """Lower-case address -> last received, for the addresses the desk has seen mail for."""
        keys = list({a.lower() for a in addresses})
        result: dict[str, datetime] = {}
        for start in range(0, len(keys), 500):  # bounded IN lists
            rows = await self.session.execute(select(LastMailSeen.address_key, LastMailSeen.last_received)
                                              .where(LastMailSeen.address_key.in_(keys[start:start + 500])))
            result.update({key: moment for key, moment in rows.all()})
        return result


__all__ = ["LastMailSeenRepository"]

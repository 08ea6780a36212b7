"""The "last mail seen" record: raise an address's last received moment (never lower it), read it back, and the
lists it shows quiet (the unused lists report's page, found, ordered and counted in SQL)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_directory import CachedList, CachedListMember
from storage.models_usage import LastMailSeen


@dataclass(frozen=True, slots=True)
class QuietList:
    """A cached list the record shows quiet: ``last_received`` None = never seen; ``members``: direct members."""

    identity: str
    display_name: str
    address: str
    owners: tuple[str, ...]
    last_received: datetime | None
    members: int


@dataclass(frozen=True, slots=True)
class QuietPage:
    items: tuple[QuietList, ...]
    total: int  # every quiet list, not only this page's


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

    async def quiet_lists(self, *, cutoff: datetime, never_seen_too: bool, offset: int = 0,
                          limit: int | None = None) -> QuietPage:
        """Cached lists whose last received mail is before ``cutoff`` and, when ``never_seen_too``, those never seen;
        never-seen first, then oldest mail first, then by name (kinds.usage.unused.unused_lists' order), paged.

        One statement: the lists joined to the record on their address key, the total as a window count, and the
        member count a correlated subquery that PostgreSQL evaluates only for the page's rows (after the sort).
        """
        seen = LastMailSeen.last_received
        quiet: ColumnElement[bool] = seen < cutoff
        quiet = or_(quiet, seen.is_(None)) if never_seen_too else quiet
        members = (select(func.count()).where(CachedListMember.list_id == CachedList.identity)
                   .correlate(CachedList).scalar_subquery())
        stmt = (
            select(CachedList.identity, CachedList.display_name, CachedList.address, CachedList.owners, seen,
                   members.label("members"), func.count().over().label("total"))
            .outerjoin(LastMailSeen, LastMailSeen.address_key == CachedList.address_key)
            .where(quiet)
            .order_by(case((seen.is_(None), 0), else_=1), seen, func.lower(CachedList.display_name),
                      CachedList.identity)
            .offset(max(offset, 0))
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        if rows:
            total = int(rows[0].total)
        else:  # past the last page (or none at all): the window had no row to say how many there are
            counted = (select(func.count()).select_from(CachedList)
                       .outerjoin(LastMailSeen, LastMailSeen.address_key == CachedList.address_key).where(quiet))
            total = int((await self.session.execute(counted)).scalar_one())
        items = tuple(QuietList(row.identity, row.display_name, row.address, tuple(row.owners or ()), row.last_received,
                                int(row.members)) for row in rows)
        return QuietPage(items, total)


__all__ = ["LastMailSeenRepository", "QuietList", "QuietPage"]

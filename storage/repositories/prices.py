"""Plan price repository: the per-plan prices admins set in chat, read all at once and upserted one by one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.columns import utcnow
from storage.dialect import insert_for
from storage.models import PlanPrice


class PriceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_all(self) -> dict[str, PlanPrice]:
        """Every stored price, by SKU part number (a tenant has tens of plans, not thousands)."""
        stmt = select(PlanPrice).order_by(PlanPrice.sku_part_number).execution_options(populate_existing=True)
        return {row.sku_part_number: row for row in (await self._session.execute(stmt)).scalars()}

    async def set(
        self,
        *,
        sku_part_number: str,
        amount: Decimal,
        currency: str,
        updated_by: str,
        updated_at: datetime | None = None,
    ) -> PlanPrice:
        """Insert or replace the plan's price; two admins setting it at once both succeed, the later one wins."""
        values = {
            "amount": amount,
            "currency": currency,
            "updated_by": updated_by,
            "updated_at": updated_at or utcnow(),
        }
        stmt = insert_for(self._session, PlanPrice.__table__).values(sku_part_number=sku_part_number, **values)
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["sku_part_number"], set_=values))
        loaded = select(PlanPrice).where(PlanPrice.sku_part_number == sku_part_number)
        row = (await self._session.execute(loaded.execution_options(populate_existing=True))).scalar_one()
        return row

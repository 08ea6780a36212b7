"""Card copy repository: the activity id of every card sent for a request, per recipient and role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.columns import utcnow
from storage.dialect import insert_for
from storage.models import CardCopy


class CardCopyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        request_id: int,
        recipient_id: str,
        role: str,
        conversation_id: str,
        service_url: str,
        activity_id: str,
    ) -> CardCopy:
        """Record a sent card; sending again to the same recipient and role replaces the old copy."""
        await self._session.flush()
        values = {
            "conversation_id": conversation_id,
            "service_url": service_url,
            "activity_id": activity_id,
            "created_at": utcnow(),
        }
        key = {"request_id": request_id, "recipient_id": recipient_id, "role": role}
        stmt = insert_for(self._session, CardCopy.__table__).values(**key, **values)
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=values)
        await self._session.execute(stmt)
        stmt_load = (
            select(CardCopy)
            .where(
                CardCopy.request_id == request_id,
                CardCopy.recipient_id == recipient_id,
                CardCopy.role == role,
            )
            .execution_options(populate_existing=True)
        )
        return (await self._session.execute(stmt_load)).scalar_one()

    async def for_request(self, request_id: int) -> list[CardCopy]:
        stmt = select(CardCopy).where(CardCopy.request_id == request_id).order_by(CardCopy.id)
        return list((await self._session.execute(stmt)).scalars())

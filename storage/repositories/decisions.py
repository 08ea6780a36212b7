"""Decision repository: the log of approve/reject clicks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.columns import utcnow
from storage.models import Decision


class DecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        request_id: int,
        approver_id: str,
        approver_name: str,
        outcome: str,
        reason: str | None = None,
        at: datetime | None = None,
        on_behalf_of_id: str | None = None,
        on_behalf_of_name: str | None = None,
    ) -> Decision:
        """``at``: the desk's clock (services.clock), so a decision and the transition it makes share one time;
        ``on_behalf_of_*``: the approver a delegate decided for."""
        decision = Decision(
            request_id=request_id,
            approver_id=approver_id,
            approver_name=approver_name,
            outcome=outcome,
            reason=reason,
            created_at=at or utcnow(),
            on_behalf_of_id=on_behalf_of_id,
            on_behalf_of_name=on_behalf_of_name,
        )
        self._session.add(decision)
        await self._session.flush()
        return decision

    async def for_request(self, request_id: int) -> list[Decision]:
        stmt = select(Decision).where(Decision.request_id == request_id).order_by(Decision.id)
        return list((await self._session.execute(stmt)).scalars())

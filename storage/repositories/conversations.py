"""Conversation reference repository: where each user's personal bot chat lives, for proactive messages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.columns import utcnow
from storage.dialect import insert_for
from storage.models import ConversationRef


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert(
        self,
        *,
        user_id: str,
        teams_user_id: str,
        conversation_id: str,
        service_url: str,
        tenant_id: str,
        bot_id: str,
        bot_name: str,
        channel_id: str = "msteams",
        locale: str | None = None,
    ) -> ConversationRef:
        """Insert or refresh the user's reference (every activity may carry a new service URL)."""
        values = {
            "teams_user_id": teams_user_id,
            "conversation_id": conversation_id,
            "service_url": service_url,
            "tenant_id": tenant_id,
            "bot_id": bot_id,
            "bot_name": bot_name,
            "channel_id": channel_id,
            "locale": locale,
            "updated_at": utcnow(),
        }
        stmt = insert_for(self._session, ConversationRef.__table__).values(user_id=user_id, **values)
        # An activity without a locale should not erase the one we learned earlier.
        update_values = {**values, "locale": func.coalesce(stmt.excluded.locale, ConversationRef.locale)}
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=update_values))
        ref = await self._load(user_id)
        assert ref is not None
        return ref

    async def get(self, user_id: str) -> ConversationRef | None:
        return await self._load(user_id)

    async def _load(self, user_id: str) -> ConversationRef | None:
        stmt = (
            select(ConversationRef).where(ConversationRef.user_id == user_id).execution_options(populate_existing=True)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none()

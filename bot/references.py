"""How to reach each person later: the conversation reference, written only when it is new or has changed."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from storage.models import ConversationRef
from storage.uow import UnitOfWorkFactory

# People whose last known reference this replica keeps in memory; beyond it the oldest are forgotten, which only
# costs one read the next time they speak.
DEFAULT_CAPACITY = 50_000


@dataclass(frozen=True, slots=True)
class Reference:
    """What a proactive message needs to find a person's 1:1 chat with the bot."""

    teams_user_id: str
    conversation_id: str
    service_url: str
    tenant_id: str
    bot_id: str
    bot_name: str
    channel_id: str
    locale: str | None


class ReferenceBook:
    """Keeps the stored references current without touching the database on every turn.

    A message turn used to upsert the reference each time, and so took SQLite's single write lock per turn: 20
    people chatting at once queued behind each other. The reference changes rarely (a new chat, a moved service
    URL, another locale), so the book remembers the last reference it wrote or read per person and writes only
    when the activity says something different. A cold entry costs one read; a write happens only on a change.
    """

    def __init__(self, uow: UnitOfWorkFactory, *, capacity: int = DEFAULT_CAPACITY) -> None:
        self._uow = uow
        self._capacity = capacity
        self._known: OrderedDict[str, Reference] = OrderedDict()

    async def remember(self, user_id: str, seen: Reference) -> bool:
        """Store ``seen`` as the way to reach ``user_id`` if it differs; True when the desk had none before."""
        known = self._known.get(user_id)
        if known is not None and _same(known, seen):
            self._known.move_to_end(user_id)
            return False
        async with self._uow() as uow:
            stored = await uow.conversations.get(user_id)
            is_new = stored is None
            current = None if stored is None else _reference_of(stored)
            if current is None or not _same(current, seen):
                row = await uow.conversations.upsert(
                    user_id=user_id,
                    teams_user_id=seen.teams_user_id,
                    conversation_id=seen.conversation_id,
                    service_url=seen.service_url,
                    tenant_id=seen.tenant_id,
                    bot_id=seen.bot_id,
                    bot_name=seen.bot_name,
                    channel_id=seen.channel_id,
                    locale=seen.locale,
                )
                current = _reference_of(row)
                await uow.commit()
        self._keep(user_id, current)
        return is_new

    def forget(self, user_id: str) -> None:
        """Drop what this replica remembers (someone else wrote a new reference for the person)."""
        self._known.pop(user_id, None)

    def _keep(self, user_id: str, reference: Reference) -> None:
        self._known[user_id] = reference
        self._known.move_to_end(user_id)
        while len(self._known) > self._capacity:
            self._known.popitem(last=False)


def _same(stored: Reference, seen: Reference) -> bool:
    # An activity without a locale keeps the one learned earlier (the upsert coalesces it the same way).
    locale_unchanged = seen.locale is None or seen.locale == stored.locale
    return locale_unchanged and _without_locale(stored) == _without_locale(seen)


def _without_locale(reference: Reference) -> tuple[str, ...]:
    return (
        reference.teams_user_id,
        reference.conversation_id,
        reference.service_url,
        reference.tenant_id,
        reference.bot_id,
        reference.bot_name,
        reference.channel_id,
    )


def _reference_of(row: ConversationRef) -> Reference:
    return Reference(
        teams_user_id=row.teams_user_id,
        conversation_id=row.conversation_id,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        bot_id=row.bot_id,
        bot_name=row.bot_name,
        channel_id=row.channel_id,
        locale=row.locale,
    )

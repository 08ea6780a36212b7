"""Sending one person one card of a request and remembering where it went (or that they could not be reached)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cards.i18n import Translator
from handlers.context import SentActivity
from handlers.services import Services
from storage.models import Request


async def translator_for(services: Services, user_id: str, *, fallback: str | None = None) -> Translator:
    """The reader's language as their chat last told it (Teams locale), else ``fallback``."""
    async with services.uow() as uow:
        ref = await uow.conversations.get(user_id)
    return Translator((ref.locale if ref else None) or fallback)


async def send_card_and_record(
    services: Services, request: Request, recipient_id: str, role: str, card: Mapping[str, Any]
) -> bool:
    """Sends with no transaction open, then records the copy (or the failure) in its own commit.

    One commit per recipient: a crash mid-way must not resend the cards that already went out.
    """
    sent = await services.messenger.send(recipient_id, card=card)
    async with services.uow() as uow:
        if sent is None:
            await uow.audit.append(
                action=f"{role}.unreachable", request_id=request.id, detail={f"{role}_id": recipient_id}
            )
        else:
            await uow.cards.add(
                request_id=request.id,
                recipient_id=recipient_id,
                role=role,
                conversation_id=sent.conversation_id,
                service_url=sent.service_url,
                activity_id=sent.activity_id,
            )
        await uow.commit()
    return sent is not None


async def remember_card(services: Services, request_id: int, recipient_id: str, role: str, sent: SentActivity) -> None:
    """A card the person got in reply to their own message or click, remembered so it is updated later."""
    async with services.uow() as uow:
        await uow.cards.add(
            request_id=request_id,
            recipient_id=recipient_id,
            role=role,
            conversation_id=sent.conversation_id,
            service_url=sent.service_url,
            activity_id=sent.activity_id,
        )
        await uow.commit()

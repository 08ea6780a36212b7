"""What every handler receives and returns: the actor (from the activity), replies, and the messenger port."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cards.i18n import Translator


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind an activity, as Teams vouches for it (never taken from card data)."""

    user_id: str  # Entra object id (from.aadObjectId)
    name: str
    tenant_id: str
    locale: str = "en-US"
    teams_user_id: str = ""  # "29:…", for proactive conversations
    timezone: str | None = None
    # The Teams channel the person @mentioned the bot in; None in their personal chat (the usual case).
    channel: ChannelAddress | None = None


@dataclass(frozen=True, slots=True)
class ChannelAddress:
    """How to post into a Teams channel conversation later (a channel digest): what the channel's activity said."""

    conversation_id: str
    service_url: str
    tenant_id: str
    bot_id: str
    channel_id: str = "msteams"


def actor_translator(actor: Actor) -> Translator:
    """Messages in the language and time zone the actor's Teams client reported."""
    return Translator(actor.locale, actor.timezone)


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: a text, a card, or both. For an Action.Execute, ``card`` replaces the clicked card."""

    text: str | None = None
    card: Mapping[str, Any] | None = None
    # The stored request (its row id, not the public REQ-… id) whose status card this reply is, so the card's
    # activity id can be stored and the card updated later.
    status_card_of: int | None = None


@dataclass(frozen=True, slots=True)
class SentActivity:
    conversation_id: str
    service_url: str
    activity_id: str


class Messenger(Protocol):
    """Proactive messages to people, in their personal chat with the bot (implemented in bot/)."""

    async def send(
        self, user_id: str, *, text: str | None = None, card: Mapping[str, Any] | None = None
    ) -> SentActivity | None:
        """Sends to the person's 1:1 chat; None when the desk cannot reach them (never installed, unknown)."""
        ...

    async def update(self, sent: SentActivity, card: Mapping[str, Any]) -> None:
        """Replaces a card the desk sent earlier."""
        ...

    async def post_to_channel(self, channel: ChannelAddress, card: Mapping[str, Any]) -> SentActivity | None:
        """Posts a card into a Teams channel conversation; None when the channel cannot be reached (bot removed)."""
        ...

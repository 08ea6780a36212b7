"""Proactive messages through the Bot Connector: 1:1 chats from stored references, new chats when there is none."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientConnectionError, ClientResponseError
from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    Attachment,
    ChannelAccount,
    ChannelId,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants

from bot.auth import ServiceUrlAllowList, origin_of
from cards.elements import as_shown
from handlers.context import ChannelAddress, SentActivity
from m365.errors import TransientError
from storage.uow import UnitOfWorkFactory

logger = logging.getLogger(__name__)

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


def message_activity(text: str | None = None, card: Mapping[str, Any] | None = None) -> Activity:
    """A message with only the fields it has: the SDK sends every field that was set, and a ``"text": null`` is
    refused by the Agents Playground (400 BadArgument, "Expected string, received null")."""
    activity = Activity(type=ActivityTypes.message)
    if text:
        activity.text = text
    if card is not None:
        activity.attachments = [Attachment(content_type=ADAPTIVE_CARD, content=as_shown(card))]
    return activity


def message_activities(text: str | None = None, card: Mapping[str, Any] | None = None) -> list[Activity]:
    """Text and card as two messages, the card last. Teams (and the Playground) split a message with both into
    one message each and then answer the send without an id, so the card could never be updated afterwards."""
    parts = [message_activity(text)] if text else []
    if card is not None:
        parts.append(message_activity(card=card))
    return parts


class TeamsMessenger:
    """Implements handlers.context.Messenger on the Agents SDK's CloudAdapter."""

    def __init__(
        self,
        adapter: Any,
        *,
        app_id: str,
        tenant_id: str,
        default_service_url: str,
        uow: UnitOfWorkFactory,
        allow_list: ServiceUrlAllowList,
    ) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._tenant_id = tenant_id
        self._default_service_url = default_service_url
        self._uow = uow
        self._allow_list = allow_list

    async def send(
        self, user_id: str, *, text: str | None = None, card: Mapping[str, Any] | None = None
    ) -> SentActivity | None:
        async with self._uow() as uow:
            ref = await uow.conversations.get(user_id)
        if self._refuses(ref.service_url if ref is not None else self._default_service_url):
            return None  # permanent: retrying cannot make the URL trusted
        sent: dict[str, str] = {}

        async def deliver(context: TurnContext) -> None:
            parts = message_activities(text, card)
            responses = await context.send_activities(parts) if parts else []
            response = responses[-1] if responses else None  # the card's, when there is one
            sent["id"] = response.id if response and response.id else ""
            sent["conversation"] = context.activity.conversation.id
            sent["service_url"] = context.activity.service_url

        try:
            if ref is not None:
                reference = ConversationReference(
                    channel_id=ChannelId(ref.channel_id),
                    service_url=ref.service_url,
                    conversation=ConversationAccount(
                        id=ref.conversation_id, conversation_type="personal", tenant_id=ref.tenant_id
                    ),
                    user=ChannelAccount(id=ref.teams_user_id, aad_object_id=user_id),
                    agent=ChannelAccount(id=ref.bot_id, name=ref.bot_name),
                )
                await self._adapter.continue_conversation(self._app_id, reference.get_continuation_activity(), deliver)
            else:
                await self._open_chat(user_id, deliver)
                await self._remember_new_chat(user_id, sent)
        except ClientResponseError as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"Bot Connector answered {error.status}", status=error.status) from error
            logger.warning("cannot message %s: connector answered %s", user_id, error.status)
            return None
        except ClientConnectionError as error:
            raise TransientError(f"Bot Connector unreachable: {error}") from error
        return SentActivity(sent["conversation"], sent["service_url"], sent["id"])

    async def update(self, sent: SentActivity, card: Mapping[str, Any]) -> None:
        if self._refuses(sent.service_url):
            return
        reference = ConversationReference(
            channel_id=ChannelId("msteams"),
            service_url=sent.service_url,
            conversation=ConversationAccount(id=sent.conversation_id, conversation_type="personal"),
            agent=ChannelAccount(id=f"28:{self._app_id}"),
        )

        async def replace(context: TurnContext) -> None:
            activity = message_activity(card=card)
            activity.id = sent.activity_id
            activity.conversation = context.activity.conversation
            # Straight to the adapter: TurnContext.update_activity stamps the continuation's reference on the body,
            # and that reference has no person or locale, so the PUT would carry "recipient": null, "locale": null.
            await context.adapter.update_activity(context, activity)

        try:
            await self._adapter.continue_conversation(self._app_id, reference.get_continuation_activity(), replace)
        except ClientResponseError as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"Bot Connector answered {error.status}", status=error.status) from error
            # The message was deleted or the chat is gone; nothing to update is not a failure of the request.
            logger.warning("cannot update activity %s: connector answered %s", sent.activity_id, error.status)
        except ClientConnectionError as error:
            raise TransientError(f"Bot Connector unreachable: {error}") from error

    async def post_to_channel(self, channel: ChannelAddress, card: Mapping[str, Any]) -> SentActivity | None:
        """A new message in the channel conversation the stored reference names (a channel digest)."""
        if self._refuses(channel.service_url):
            return None
        reference = ConversationReference(
            channel_id=ChannelId(channel.channel_id),
            service_url=channel.service_url,
            conversation=ConversationAccount(
                id=channel.conversation_id, conversation_type="channel", tenant_id=channel.tenant_id
            ),
            agent=ChannelAccount(id=channel.bot_id or f"28:{self._app_id}"),
        )
        sent: dict[str, str] = {}

        async def deliver(context: TurnContext) -> None:
            responses = await context.send_activities([message_activity(card=card)])
            sent["id"] = responses[-1].id if responses and responses[-1].id else ""

        try:
            await self._adapter.continue_conversation(self._app_id, reference.get_continuation_activity(), deliver)
        except ClientResponseError as error:
            if error.status == 429 or error.status >= 500:
                raise TransientError(f"Bot Connector answered {error.status}", status=error.status) from error
            # The bot was removed from the team or the channel deleted: nothing to retry.
            logger.warning("cannot post to channel conversation: connector answered %s", error.status)
            return None
        except ClientConnectionError as error:
            raise TransientError(f"Bot Connector unreachable: {error}") from error
        return SentActivity(channel.conversation_id, channel.service_url, sent.get("id", ""))

    async def _open_chat(self, user_id: str, callback: Any) -> None:
        parameters = ConversationParameters(
            is_group=False,
            agent=ChannelAccount(id=f"28:{self._app_id}"),
            members=[ChannelAccount(id=user_id, aad_object_id=user_id)],
            tenant_id=self._tenant_id,
            channel_data={"tenant": {"id": self._tenant_id}},
        )
        await self._adapter.create_conversation(
            self._app_id,
            "msteams",
            self._default_service_url,
            AuthenticationConstants.AGENTS_SDK_SCOPE,
            parameters,
            callback,
        )

    def _refuses(self, service_url: str) -> bool:
        """Defence in depth behind the inbound check: the desk's connector token goes to allow-listed URLs only."""
        if self._allow_list.allows(service_url):
            return False
        logger.warning("not sending to a service URL outside the allow-list (%s)", origin_of(service_url))
        return True

    async def _remember_new_chat(self, user_id: str, sent: dict[str, str]) -> None:
        async with self._uow() as uow:
            await uow.conversations.upsert(
                user_id=user_id,
                teams_user_id=user_id,
                conversation_id=sent["conversation"],
                service_url=sent["service_url"],
                tenant_id=self._tenant_id,
                bot_id=f"28:{self._app_id}",
                bot_name="M365 Desk",
                channel_id="msteams",
            )
            await uow.commit()

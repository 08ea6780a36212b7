"""The Agents SDK application: routes Teams messages and Action.Execute verbs through the registry of request
kinds (handlers/dispatch.py), and renders the replies as activities."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from http import HTTPStatus
from typing import Any

from aiohttp import ClientConnectionError, ClientResponseError
from microsoft_agents.activity import Activity, ActivityTypes, AdaptiveCardInvokeResponse, InvokeResponse
from microsoft_agents.hosting.core import (
    AgentApplication,
    ApplicationOptions,
    MemoryStorage,
    RouteRank,
    TurnContext,
    TurnState,
)

from bot.activity_check import ACTION_INVOKE
from bot.identity import actor_from, is_personal, tenant_of
from bot.messenger import message_activities, message_activity
from bot.references import Reference, ReferenceBook
from bot.turn_errors import summary
from cards.elements import as_shown
from cards.help import help_card
from cards.i18n import Translator
from desk_logging import bind as bind_log_context
from handlers.card_delivery import remember_card
from handlers.commands import parse
from handlers.context import Actor, ChannelAddress, Reply, SentActivity, actor_translator
from handlers.delivery import REQUESTER, deliver_pending_to
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.services import Services
from kinds.registry import Parsed
from m365.errors import TransientError

logger = logging.getLogger(__name__)

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"

Handler = Callable[[Actor], Awaitable[Reply]]


def build_agent(
    services: Services, *, references: ReferenceBook, connections: Any, bot_app_id: str
) -> AgentApplication[TurnState]:
    """The Agents SDK application. Turn state lives in memory: everything that matters is in the database."""
    app: AgentApplication[TurnState] = AgentApplication[TurnState](
        ApplicationOptions(
            bot_app_id=bot_app_id,
            storage=MemoryStorage(),
            start_typing_timer=False,
            remove_recipient_mention=True,
        ),
        connection_manager=connections,
    )

    @app.activity(ActivityTypes.installation_update)
    async def on_install(context: TurnContext, _state: TurnState) -> None:
        await _welcome(services, references, context)

    @app.conversation_update("membersAdded")
    async def on_members_added(context: TurnContext, _state: TurnState) -> None:
        recipient_id = context.activity.recipient.id if context.activity.recipient else None
        added = context.activity.members_added or []
        if any(member.id == recipient_id for member in added):
            await _welcome(services, references, context)

    @app.message(re.compile(r"[\s\S]*"))
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        actor = await _actor(services, references, context)
        if actor is None:
            return
        parsed = parse(context.activity.text, services.kinds)
        if not is_personal(context.activity):
            # A channel or group chat: only commands meant for channels, everything else to the personal chat.
            channel = _channel_of(context.activity)
            if channel is None or not isinstance(parsed, Parsed) or not parsed.route.in_channels:
                await context.send_activity(message_activity(actor_translator(actor)("channel.personal_only")))
                return
            actor = replace(actor, channel=channel)
        reply = await _guarded(actor, lambda who: dispatch_command(services, who, parsed))
        await _send_reply(services, context, actor, reply)

    for route in services.kinds.verbs:
        _register_verb(app, services, references, route.verb)
    _register_fallbacks(app)

    @app.error
    async def on_error(context: TurnContext, error: Exception) -> None:
        ref = uuid.uuid4().hex[:8]
        if isinstance(error, ClientResponseError | ClientConnectionError):
            # The connector refused or could not take the reply: the desk's own trouble is not the cause.
            logger.warning("reply not delivered (ref %s): %s", ref, summary(error))
        else:
            logger.exception("unhandled error in turn (ref %s)", ref, exc_info=error)
        # If this is refused too, the adapter's handler (bot/turn_errors.py) makes the last attempt and answers Teams.
        await context.send_activity(Translator(context.activity.locale)("error.internal", ref=ref))

    return app


def _register_verb(
    app: AgentApplication[TurnState], services: Services, references: ReferenceBook, verb: str
) -> None:
    @app.adaptive_card.action_execute(verb)
    async def on_action(context: TurnContext, _state: TurnState, data: Any) -> AdaptiveCardInvokeResponse:
        actor = await _actor(services, references, context)
        if actor is None:
            return _invoke_message(Translator(context.activity.locale)("error.bad_card"))
        reply = await _guarded(actor, lambda who: dispatch_click(services, who, verb, data))
        if reply.card is None:
            return _invoke_message(reply.text or "")
        if reply.status_card_of is not None and context.activity.reply_to_id:
            # The form the person clicked becomes the request's status card: remember it to update it later.
            conversation = context.activity.conversation
            await remember_card(
                services,
                reply.status_card_of,
                actor.user_id,
                REQUESTER,
                SentActivity(conversation.id, context.activity.service_url or "", context.activity.reply_to_id),
            )
        return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=ADAPTIVE_CARD, value=as_shown(reply.card))


def _channel_of(activity: Activity) -> ChannelAddress | None:
    """Where a channel's message came from, to post there later; None without a conversation or service URL."""
    if activity.conversation is None or not activity.service_url:
        return None
    return ChannelAddress(
        conversation_id=activity.conversation.id,
        service_url=activity.service_url,
        tenant_id=tenant_of(activity) or "",
        bot_id=activity.recipient.id if activity.recipient else "",
        channel_id=str(activity.channel_id or "msteams"),
    )


async def _guarded(actor: Actor, handler: Handler) -> Reply:
    """Upstream trouble and bugs become a clear message with a reference; nothing half-done is left behind."""
    t = actor_translator(actor)
    try:
        return await handler(actor)
    except TransientError:
        logger.warning("upstream unavailable for %s", actor.user_id, exc_info=True)
        return Reply(text=t("error.upstream"))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        logger.exception("handler failed (ref %s)", ref)
        return Reply(text=t("error.internal", ref=ref))


async def _actor(services: Services, references: ReferenceBook, context: TurnContext) -> Actor | None:
    """The actor, after remembering how to reach them later (the conversation reference)."""
    actor, _ = await _actor_and_novelty(services, references, context)
    return actor


async def _actor_and_novelty(
    services: Services, references: ReferenceBook, context: TurnContext
) -> tuple[Actor | None, bool]:
    """The actor, and whether the desk had no way to reach them before this activity."""
    activity = context.activity
    actor = actor_from(activity)
    # The turn's ids on every log line from here on (ids only: never what the person wrote).
    bind_log_context(activity_id=(activity.id or "")[:100] or None, user_id=actor.user_id if actor else None)
    if actor is None:
        logger.warning("activity %s without aadObjectId ignored", activity.id)
        return None, False
    if actor.name == actor.user_id:
        # Install events carry no display name; the directory has it.
        person = await services.tenant.directory.get_user(actor.user_id)
        if person is not None:
            actor = replace(actor, name=person.display_name)
    is_new = False
    if is_personal(activity) and activity.conversation and activity.service_url:
        is_new = await references.remember(
            actor.user_id,
            Reference(
                teams_user_id=actor.teams_user_id,
                conversation_id=activity.conversation.id,
                service_url=activity.service_url,
                tenant_id=actor.tenant_id,
                bot_id=activity.recipient.id if activity.recipient else "",
                bot_name=(activity.recipient.name if activity.recipient else None) or "M365 Desk",
                channel_id=str(activity.channel_id or "msteams"),
                locale=activity.locale,
            ),
        )
    return actor, is_new


async def _send_reply(services: Services, context: TurnContext, actor: Actor, reply: Reply) -> None:
    parts = message_activities(reply.text, reply.card)
    responses = await context.send_activities(parts) if parts else []
    response = responses[-1] if responses else None  # the card's: text and card go out as two messages
    if reply.status_card_of is not None and response is not None and response.id:
        await remember_card(
            services,
            reply.status_card_of,
            actor.user_id,
            REQUESTER,
            SentActivity(context.activity.conversation.id, context.activity.service_url or "", response.id),
        )


async def _welcome(services: Services, references: ReferenceBook, context: TurnContext) -> None:
    """Install and membersAdded arrive together and again on every reinstall: greet only people new to the desk."""
    actor, is_new = await _actor_and_novelty(services, references, context)
    if actor is None:
        return
    if is_new:
        t = actor_translator(actor)
        greeting = t("welcome", name=actor.name)
        card = help_card(t, services.kinds.help_topics(), greeting=greeting)
        await context.send_activity(message_activity(card=card))
    # Approval cards that could not reach this person before (no chat yet) arrive now.
    await deliver_pending_to(services, actor.user_id)


def _register_fallbacks(app: AgentApplication[TurnState]) -> None:
    """What no route above takes gets a clear answer instead of the SDK's 501, and nothing is stored for it."""

    @app.invoke(rank=RouteRank.LAST)
    async def on_unknown_invoke(context: TurnContext, _state: TurnState) -> None:
        activity = context.activity
        if activity.name == ACTION_INVOKE:
            # A verb this desk does not know: a card from an older version, or a forged click. The clicker is told
            # so in their language, the way Teams shows any Action.Execute answer.
            action = activity.value.get("action") if isinstance(activity.value, dict) else None
            verb = action.get("verb") if isinstance(action, dict) else None
            logger.warning("Action.Execute with unknown verb %r answered as unsupported", verb)
            body = _invoke_message(Translator(activity.locale)("input.unknown_action"))
            response = InvokeResponse(status=HTTPStatus.OK, body=body.model_dump(mode="json", by_alias=True))
        else:
            # No other invoke is declared in the manifest, so Teams does not send one: a 4xx, not the SDK's 501.
            logger.warning("unsupported invoke %r refused", activity.name)
            response = InvokeResponse(status=HTTPStatus.BAD_REQUEST, body={"error": "Unsupported invoke"})
        await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))

    async def ignore(context: TurnContext, _state: TurnState) -> None:
        # Reactions, edits, typing, membersRemoved, messages without text…: acknowledged (202), as Teams expects.
        logger.debug("activity of type %s ignored", context.activity.type)

    app.add_route(lambda _context: True, ignore, rank=RouteRank.LAST)


def _invoke_message(text: str) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=MESSAGE, value=text)


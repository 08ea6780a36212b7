"""Routes Teams activities and Action.Execute verbs to the handlers, and renders their replies as activities."""

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
from bot.identity import actor_from, is_personal
from bot.messenger import message_activities, message_activity
from bot.references import Reference, ReferenceBook
from bot.turn_errors import summary
from cards.elements import as_shown
from cards.help import help_card
from cards.i18n import Translator
from cards.verbs import Verb
from desk_logging import bind as bind_log_context
from handlers import (
    approvals,
    catalogue,
    distribution_lists,
    group_membership,
    licenses,
    lists,
    mailboxes,
    requests,
    seat_orders,
    sla_report,
    suggestions,
    withdrawal,
)
from handlers.bulk_licenses import request_bulk
from handlers.commands import (
    JoinList,
    RequestLicense,
    SetPrice,
    ShowHelp,
    ShowMyRequests,
    ShowPlans,
    ShowSla,
    TooLong,
    Unknown,
    WithdrawRequest,
    parse,
)
from handlers.context import Actor, Reply, SentActivity, actor_translator
from handlers.delivery import REQUESTER, deliver_pending_to
from handlers.license_changes import request_change, request_removal
from handlers.license_commands import ChangeLicense, RemoveLicense, RequestLicenseBulk
from handlers.list_commands import ListCommand
from handlers.mailbox_commands import MailboxCommand
from handlers.report_commands import ShowLicenseReport
from handlers.reports import show_report
from handlers.seat_commands import OrderSeats
from handlers.services import Services
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
        command = parse(context.activity.text)
        reply = await _guarded(actor, lambda who: _dispatch(services, who, command))
        await _send_reply(services, context, actor, reply)

    for verb in Verb:
        _register_verb(app, services, references, verb)
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
    app: AgentApplication[TurnState], services: Services, references: ReferenceBook, verb: Verb
) -> None:
    @app.adaptive_card.action_execute(verb.value)
    async def on_action(context: TurnContext, _state: TurnState, data: Any) -> AdaptiveCardInvokeResponse:
        actor = await _actor(services, references, context)
        if actor is None:
            return _invoke_message(Translator(context.activity.locale)("error.bad_card"))
        fields = data if isinstance(data, dict) else {}
        reply = await _guarded(actor, lambda who: _dispatch_verb(services, who, verb, fields))
        if reply.card is None:
            return _invoke_message(reply.text or "")
        if reply.request_id is not None and context.activity.reply_to_id:
            # The form the person clicked becomes the request's status card: remember it to update it later.
            conversation = context.activity.conversation
            await requests.remember_card(
                services,
                reply.request_id,
                actor.user_id,
                REQUESTER,
                SentActivity(conversation.id, context.activity.service_url or "", context.activity.reply_to_id),
            )
        return AdaptiveCardInvokeResponse(status_code=HTTPStatus.OK, type=ADAPTIVE_CARD, value=as_shown(reply.card))


async def _dispatch(services: Services, actor: Actor, command: Any) -> Reply:
    t = actor_translator(actor)
    match command:
        case ShowHelp():
            return Reply(card=help_card(t))
        case ShowMyRequests():
            return await requests.my_requests(services, actor)
        case WithdrawRequest(request_id=public_id):
            return await withdrawal.withdraw(services, actor, public_id=public_id)
        case ShowPlans():
            return await catalogue.show_plans(services, actor)
        case SetPrice():
            return await catalogue.set_price(services, actor, command)
        case ShowSla():
            return await sla_report.show_sla(services, actor, command)
        case ShowLicenseReport():
            return await show_report(services, actor, command)
        case RequestLicense():
            return await licenses.request_license(services, actor, command)
        case RequestLicenseBulk():
            return await request_bulk(services, actor, command)
        case RemoveLicense():
            return await request_removal(services, actor, command)
        case ChangeLicense():
            return await request_change(services, actor, command)
        case JoinList():
            return await distribution_lists.request_join(services, actor, command)
        case OrderSeats():
            return await seat_orders.request_seats(services, actor, command)
        case MailboxCommand():
            return await mailboxes.handle_command(services, actor, command)
        case ListCommand():
            return await lists.handle_command(services, actor, command)
        case TooLong():
            # Refused before any lookup: nothing this long names anything in the tenant.
            return Reply(text=t(command.key, max=command.limit, length=command.length, start=command.start))
        case Unknown(text=text):
            # A near miss gets "did you mean …?" buttons; anything else today's "Sorry, I didn't understand".
            return await suggestions.unknown_command(services, actor, text)
    raise AssertionError(f"unhandled command {command!r}")


async def _dispatch_verb(services: Services, actor: Actor, verb: Verb, data: dict[str, Any]) -> Reply:
    t = actor_translator(actor)
    if verb.value.startswith("mailbox."):
        return await mailboxes.handle_verb(services, actor, verb, data)
    if verb in lists.VERBS:
        return await lists.handle_verb(services, actor, verb, data)
    match verb:
        case Verb.APPROVE | Verb.REJECT:
            public_id = data.get("request_id")
            if not isinstance(public_id, str):
                return Reply(text=t("error.bad_card"))
            reason = data.get("reason")
            return await approvals.decide(
                services,
                actor,
                public_id=public_id,
                version=data.get("version"),
                approve=verb is Verb.APPROVE,
                reason=reason if isinstance(reason, str) else None,
            )
        case Verb.WITHDRAW:
            public_id = data.get("request_id")
            if not isinstance(public_id, str):
                return Reply(text=t("error.bad_card"))
            return await withdrawal.withdraw(services, actor, public_id=public_id)
        case Verb.LICENSE_SUBMIT:
            return await licenses.form_submitted(services, actor, data)
        case Verb.SEATS_ORDER:
            return await seat_orders.offer_clicked(services, actor, data)
        case Verb.SEATS_FULFIL | Verb.SEATS_UNFULFILLABLE:
            public_id = data.get("request_id")
            if not isinstance(public_id, str):
                return Reply(text=t("error.bad_card"))
            if verb is Verb.SEATS_FULFIL:
                reference = data.get("order_reference")
                return await seat_orders.fulfil(
                    services, actor, public_id=public_id, version=data.get("version"), reference=reference
                )
            return await seat_orders.not_fulfilled(
                services, actor, public_id=public_id, version=data.get("version"), reason=data.get("reason")
            )
        case Verb.GROUP_LEAVE:
            return await group_membership.leave_clicked(services, actor, data)
        case Verb.MY_REQUESTS:
            return await requests.my_requests(services, actor)
        case Verb.SHOW_HELP:
            return Reply(card=help_card(t))
        case Verb.RUN_COMMAND:
            # A "did you mean …?" button: its text is only a wish, parsed and checked like a typed message; the
            # actor comes from the activity as for every click.
            typed = data.get("text")
            if not isinstance(typed, str) or not typed.strip() or len(typed) > suggestions.MAX_COMMAND_LENGTH:
                return Reply(text=t("error.bad_card"))
            return await _dispatch(services, actor, parse(typed))
        case Verb.REFRESH | Verb.LIST_JOIN_SUBMIT:
            list_name = data.get("list")
            if verb is Verb.LIST_JOIN_SUBMIT and isinstance(list_name, str):
                return await distribution_lists.request_join(services, actor, JoinList(list_name=list_name))
            return Reply(card=help_card(t))
    raise AssertionError(f"unhandled verb {verb!r}")


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
    if reply.request_id is not None and response is not None and response.id:
        await requests.remember_card(
            services,
            reply.request_id,
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
        await context.send_activity(message_activity(card=help_card(t, greeting=t("welcome", name=actor.name))))
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


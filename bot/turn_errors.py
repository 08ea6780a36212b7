"""The adapter's turn-error handler: proactive work fails to its caller, a person's turn gets a reference."""

from __future__ import annotations

import logging
import uuid

from aiohttp import ClientConnectionError, ClientResponseError
from microsoft_agents.activity import ActivityEventNames, ActivityTypes
from microsoft_agents.hosting.core import ChannelAdapter, TurnContext

from bot.messenger import message_activity
from cards.i18n import Translator

logger = logging.getLogger(__name__)

# The activities the SDK makes up for turns the desk starts itself (continue_conversation, create_conversation).
_PROACTIVE = frozenset({ActivityEventNames.continue_conversation, ActivityEventNames.create_conversation})


def install(adapter: ChannelAdapter) -> None:
    """Replace the SDK's default handler, which posts ``Exception caught : <error with URL>`` to the person and
    swallows the error, so a refused card update neither reached the person as text nor the messenger as an error."""
    adapter.on_turn_error = on_turn_error


def is_proactive(context: TurnContext) -> bool:
    activity = context.activity
    return activity is not None and activity.type == ActivityTypes.event and activity.name in _PROACTIVE


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    if is_proactive(context):
        # The messenger classifies it (429/5xx/unreachable → retried by the job runner, other 4xx → given up
        # quietly); nobody is told anything from here.
        logger.info("proactive turn ended by %s", summary(error))
        raise error
    # A turn a person started whose own error handling failed too (the agent's handler answers most errors).
    ref = uuid.uuid4().hex[:8]
    if isinstance(error, ClientResponseError | ClientConnectionError):
        # The connector refused the desk's replies (already logged by the agent): no trace of the desk's own code.
        logger.warning("turn ended without a reply (ref %s): %s", ref, summary(error))
    else:
        logger.error("turn failed (ref %s): %s", ref, summary(error), exc_info=error)
    try:
        await context.send_activity(message_activity(Translator(context.activity.locale)("error.internal", ref=ref)))
    except Exception as failure:  # the connector refusing this too must not turn into a 500 for Teams
        logger.warning("could not tell the person about ref %s: %s", ref, summary(failure))


def summary(error: BaseException) -> str:
    """The kind of failure without its text: aiohttp's message holds the connector's URL and answer body."""
    if isinstance(error, ClientResponseError):
        return f"{type(error).__name__} {error.status}"
    return type(error).__name__

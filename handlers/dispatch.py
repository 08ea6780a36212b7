"""Routing through the registry: a parsed chat command to its family's handler, a card click to its verb's handler
with the click's data parsed into the verb's typed value first."""

from __future__ import annotations

from handlers import suggestions
from handlers.asked_as import asking
from handlers.commands import TooLong, Unknown
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from kinds.card_data import parse_card_data
from kinds.registry import Parsed


async def dispatch_command(services: Services, actor: Actor, parsed: Parsed | TooLong | Unknown) -> Reply:
    t = actor_translator(actor)
    match parsed:
        case TooLong():
            # Refused before any lookup: nothing this long names anything in the tenant.
            return Reply(text=t(parsed.key, max=parsed.limit, length=parsed.length, start=parsed.start))
        case Unknown(text=text):
            # A near miss gets "did you mean …?" buttons; anything else today's "Sorry, I didn't understand".
            return await suggestions.unknown_command(services, actor, text)
        case Parsed(command=command, route=route):
            with asking(text=parsed.text):
                return await route.handle(services, actor, command)
    raise AssertionError(f"unhandled command {parsed!r}")


async def dispatch_click(services: Services, actor: Actor, verb: str, raw: object) -> Reply:
    """A click on a verb the registry routes; data that do not fit the verb's type change nothing."""
    t = actor_translator(actor)
    route = services.kinds.verb(verb)
    if route is None:
        return Reply(text=t("input.unknown_action"))
    data = parse_card_data(route.data, raw)
    if data is None:
        return Reply(text=t("error.bad_card"))
    with asking(verb=verb, data=raw):
        return await route.handle(services, actor, data)

""""Ask again" on an expired request (F15): its requester files the same request anew with one click — the command
or form they used, parsed, validated and routed again exactly as if given now (handlers.asked_as). Once per
expired request; someone else gets the answer that says nothing about it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cards.verbs import Verb
from handlers import access
from handlers.asked_as import PAYLOAD_KEY
from handlers.commands import parse
from handlers.context import Actor, Reply, actor_translator
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.lifecycle import RequestState
from handlers.services import Services
from kinds.card_data import bounded

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AskAgainClick:
    """The expired request's "Ask again" button: which request (the server checks everything else)."""

    request_id: str = bounded(40)


async def ask_again(services: Services, actor: Actor, data: AskAgainClick) -> Reply:
    t = actor_translator(actor)
    found = await access.find(services, actor, data.request_id, Verb.ASK_AGAIN)
    if isinstance(found, Reply):
        return found
    request, standing = found
    if not standing.requester:
        await access.record_refusal(services, actor, Verb.ASK_AGAIN, access.Why.NOT_REQUESTER,
                                    public_id=request.public_id, request=request)
        return Reply(text=t("workflow.ask_again.not_yours", request_id=request.public_id))
    if request.state != RequestState.EXPIRED:
        return Reply(text=t("workflow.ask_again.not_expired", request_id=request.public_id))
    asked = request.payload.get(PAYLOAD_KEY)
    if not isinstance(asked, dict):
        return Reply(text=t("workflow.ask_again.unavailable", request_id=request.public_id))
    key, once = f"ask_again:{request.public_id}", "1"
    async with services.uow() as uow:
        won = await uow.alerts.claim(key, once, detail={}, now=services.clock())
        await uow.commit()
    if not won:
        return Reply(text=t("workflow.ask_again.already", request_id=request.public_id))
    if isinstance(asked.get("text"), str):
        reply = await dispatch_command(services, actor, parse(asked["text"], services.kinds))
    else:
        reply = await dispatch_click(services, actor, str(asked.get("verb")), asked.get("data"))
    async with services.uow() as uow:
        if reply.status_card_of is None:
            await uow.alerts.release(key, once)  # nothing was filed (refused now): the button may be tried again
        else:
            await uow.audit.append(action="request.asked_again", request_id=request.id, actor_id=actor.user_id,
                                   actor_name=actor.name,
                                   detail={"public_id": request.public_id, "new_request": reply.status_card_of})
        await uow.commit()
    return reply

"""The requester withdrawing their own request while it still waits: re-checked on the server, versioned, audited."""

from __future__ import annotations

import logging

from cards.requests import status_card
from cards.verbs import Verb
from handlers import access
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestEvent, RequestState, next_state
from handlers.request_views import request_view
from handlers.services import Services
from handlers.submission import record_transition
from storage.errors import StaleVersion

logger = logging.getLogger(__name__)


async def withdraw(services: Services, actor: Actor, *, public_id: object) -> Reply:
    """Cancels ``public_id`` if the actor filed it and nobody has decided it yet; every approver's card says so.

    Someone with no part in the request gets the refusal that says nothing about it (handlers.access).
    Only a waiting request can be withdrawn: once approved, the change is being applied (a seat order may already
    be with the partner), and undoing it is a request of its own.
    """
    t = actor_translator(actor)
    found = await access.find(services, actor, public_id, Verb.WITHDRAW)
    if isinstance(found, Reply):
        return found
    # As access.find read it, unlocked: enough to refuse early; the change below re-reads the row under a lock.
    seen, standing = found
    public_id = seen.public_id
    if not standing.requester:
        # Involved (an approver, an admin, the person it is for), so they may know it exists; still not theirs.
        await access.record_refusal(services, actor, Verb.WITHDRAW, access.Why.NOT_REQUESTER, public_id=public_id,
                                    request=seen)
        return Reply(text=t("withdraw.not_yours", request_id=public_id))
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id, for_update=True)
        assert request is not None  # requests are never deleted
        notice = None
        if request.state != RequestState.PENDING:
            notice = t("withdraw.too_late", request_id=public_id, state=t("request.state." + request.state))
        else:
            try:
                new_state = next_state(request.state, RequestEvent.CANCEL)
                await uow.requests.transition(
                    request, new_state.value, expected_version=request.version, now=services.clock()
                )
            except StaleVersion:
                # An approver decided in the same instant; their decision stands.
                await uow.rollback()
                request = await uow.requests.get_by_public_id(public_id)
                assert request is not None  # requests are never deleted
                notice = t("withdraw.too_late", request_id=public_id, state=t("request.state." + request.state))
            else:
                await record_transition(uow, request, new_state.value, actor, by="requester")
                await uow.commit()
        view = await request_view(services, uow, request)
    if notice is not None:
        return Reply(text=notice, card=status_card(view, t, notice=notice))
    services.wake_jobs()
    logger.info("request %s withdrawn by its requester", public_id)
    return Reply(text=t("withdraw.done", request_id=public_id), card=status_card(view, t))

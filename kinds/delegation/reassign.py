"""The admins' ``reassign REQ-… to X`` and ``add approver X to REQ-…`` (F15): replace or widen the approvers of a
waiting request. The new approver gets the card; a removed approver's copies turn read-only; neither the requester
nor a person the request is for may become one. Audited (``request.reassigned``, ``request.approver_added``).
Anyone else gets one answer that says nothing about the request."""

from __future__ import annotations

import logging

from handlers.access import normalise_id
from handlers.card_delivery import translator_for
from handlers.context import Actor, Reply, SentActivity, actor_translator
from handlers.delivery import APPROVER, deliver_to
from handlers.people import find_person
from handlers.request_views import approver_card_for, request_view
from handlers.rerouting import may_decide, set_approvers
from handlers.services import Services, is_admin
from kinds.delegation.commands import Reassign

logger = logging.getLogger(__name__)


async def handle_reassign(services: Services, actor: Actor, command: Reassign) -> Reply:
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("workflow.reassign.admins_only"))
    public_id = normalise_id(command.request_id)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id) if public_id else None
    if request is None:
        return Reply(text=t("workflow.reassign.not_found", request_id=command.request_id[:40]))
    if request.state != "pending":
        return Reply(text=t("workflow.reassign.not_waiting", request_id=request.public_id,
                            state=t("request.state." + request.state)))
    person = await find_person(services.tenant.directory, command.who)
    if person is None or not person.account_enabled:
        return Reply(text=t("delegation.unknown_person"))
    if not may_decide(services, request, person.id):
        return Reply(text=t("workflow.reassign.not_them", request_id=request.public_id))
    if not command.replace and person.id in request.approver_ids:
        return Reply(text=t("workflow.reassign.already", request_id=request.public_id, name=person.display_name))
    before = list(request.approver_ids)
    after = [person.id] if command.replace else [*before, person.id]
    removed = [approver_id for approver_id in before if approver_id not in after]
    action = "request.reassigned" if command.replace else "request.approver_added"
    async with services.uow() as uow:
        current = await uow.requests.get_by_public_id(request.public_id, for_update=True)
        assert current is not None  # requests are never deleted
        if current.version != request.version or not await set_approvers(
            services, uow, current, after, assigned=[person.id]
        ):
            await uow.rollback()
            return Reply(text=t("workflow.reassign.changed", request_id=request.public_id))
        await uow.audit.append(action=action, request_id=current.id, actor_id=actor.user_id, actor_name=actor.name,
                               detail={"public_id": current.public_id, "added": [person.id], "removed": removed})
        await uow.commit()
        copies = [copy for copy in await uow.cards.for_request(current.id)
                  if copy.role == APPROVER and copy.recipient_id in removed]
        view = await request_view(services, uow, current)
    for copy in copies:  # read-only now: the card says who decides, without buttons for them
        reader = await translator_for(services, copy.recipient_id)
        card = approver_card_for(view, current, copy.recipient_id, reader,
                                 notice=reader("workflow.reassign.removed_notice", request_id=current.public_id))
        await services.messenger.update(SentActivity(copy.conversation_id, copy.service_url, copy.activity_id), card)
    await deliver_to(services, current, [person.id], notice="workflow.assigned")
    logger.info("%s: %s by %s (added %s, removed %s)", current.public_id, action, actor.user_id, person.id, removed)
    key = "workflow.reassign.done" if command.replace else "workflow.add.done"
    return Reply(text=t(key, request_id=current.public_id, name=person.display_name))

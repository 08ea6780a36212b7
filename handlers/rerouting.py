"""Changing who decides a waiting request (F15): the next approver set (the approvers' managers, else the admins),
and adding or replacing approvers — each change guarded by the request's version and state and audited in the
same commit (with the escalated approvers' e-mails); the version is not bumped, so cards already out stay valid
(every click is re-checked anyway)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from handlers.access import ASSIGNED
from handlers.approvals import resolve_approvers
from handlers.delegation import display_names, names_by_id, stand_ins
from handlers.mail_notifications import queue_escalated_mail
from handlers.services import Services
from kinds.steps import changes_person
from m365.errors import M365Error
from storage.models import Request
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

DESK_ID, DESK_NAME = "desk:workflow", "M365 Desk"


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str


def may_decide(services: Services, request: Request, user_id: str) -> bool:
    """Neither the requester nor a person the request changes ever decides it."""
    plan = services.kinds.steps.load_plan(request.plan)
    return user_id != request.requester_id and not changes_person(plan, user_id)


async def next_approver_set(services: Services, request: Request) -> list[Person]:
    """Who a request goes on to: the current approvers' managers when it is with owners, else (or when they have
    none) the admins; never someone already listed, the requester or a person it is for."""
    people: dict[str, Person] = {}
    if request.payload.get("route") != "admins":
        for approver_id in request.approver_ids:
            try:
                manager_id = await services.tenant.directory.manager_id(approver_id)
                manager = await services.tenant.directory.get_user(manager_id) if manager_id else None
            except M365Error:
                logger.warning("manager of %s unreadable", approver_id, exc_info=True)
                continue
            if manager is not None and manager.account_enabled:
                people[manager.id] = Person(manager.id, manager.display_name)
    wanted = {k: v for k, v in people.items() if k not in request.approver_ids and may_decide(services, request, k)}
    if not wanted:
        admins = await resolve_approvers(services, request.requester_id)
        for admin_id, name in zip(admins.ids, admins.names, strict=True):
            if admin_id not in request.approver_ids and may_decide(services, request, admin_id):
                wanted[admin_id] = Person(admin_id, name)
    return list(wanted.values())


async def set_approvers(
    services: Services, uow: UnitOfWork, request: Request, approver_ids: list[str], *, assigned: list[str]
) -> bool:
    """Stores the request's new approvers (names looked up where the route did not record them) while it still
    waits at the version read; ``assigned`` join the approvers entitled by being listed. False: decided meanwhile."""
    known = names_by_id(request)
    missing = [approver_id for approver_id in approver_ids if approver_id not in known]
    known.update(await display_names(services, missing))
    payload = {
        **request.payload,
        "approver_names": [known[approver_id] for approver_id in approver_ids],
        ASSIGNED: sorted({*request.payload.get(ASSIGNED, ()), *assigned} & set(approver_ids)),
    }
    result = await uow.session.execute(
        update(Request)
        .where(Request.id == request.id, Request.version == request.version, Request.state == "pending")
        .values(approver_ids=approver_ids, payload=payload)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]  # execute() types DML's CursorResult as Result
        return False
    # Mirrored into the object without marking it dirty: the guarded UPDATE above is the write.
    set_committed_value(request, "approver_ids", approver_ids)
    set_committed_value(request, "payload", payload)
    return True


async def widen_to_next_set(services: Services, request: Request, reason: str) -> tuple[Request, list[str]] | None:
    """Adds the next approver set to a waiting request, once per request and stage across replicas (the alerts'
    unique key), audited as ``request.escalated`` with ``reason`` and each newcomer's e-mail queued (to their
    delegate when they have one): the request as stored now and who was added; None when another run did it, it
    was decided, or there is nobody to add (a later run tries again)."""
    async with services.uow() as uow:
        current = await uow.requests.get(request.id)
    if current is None or current.state != "pending":
        return None
    added = await next_approver_set(services, current)
    if not added:
        logger.warning("nobody to send %s on to", current.public_id)
        return None
    # Who receives each newcomer's card, read with no transaction open (delegations, automatic replies).
    recipients = {route.approver_id: route.recipient_id
                  for route in await stand_ins(services, [person.id for person in added], services.clock())}
    async with services.uow() as uow:
        current = await uow.requests.get(request.id)
        if current is None or current.state != "pending":
            return None
        added_ids = [person.id for person in added if person.id not in current.approver_ids]
        key = f"escalate:{current.public_id}:{current.stage or 0}"
        if not added_ids or not await uow.alerts.claim(key, "1", detail={"added": added_ids, "reason": reason},
                                                       now=services.clock()):
            await uow.rollback()
            return None
        if not await set_approvers(services, uow, current, [*current.approver_ids, *added_ids], assigned=added_ids):
            await uow.rollback()  # decided meanwhile: the claim goes too
            return None
        await uow.audit.append(action="request.escalated", request_id=current.id, actor_id=DESK_ID,
                               actor_name=DESK_NAME,
                               detail={"public_id": current.public_id, "added": added_ids, "reason": reason})
        for added_id in added_ids:
            recipient_id = recipients.get(added_id, added_id)
            if recipient_id != current.requester_id:
                await queue_escalated_mail(services, uow, current, recipient_id)
        await uow.commit()
    logger.info("request %s escalated (%s) to %s", current.public_id, reason, added_ids)
    return current, added_ids

"""Which request events e-mail whom (F16): the requester at each transition of their request, each approver when a
request's card reaches them, with a reminder or an escalation (F15). Each e-mail's key names the request and the
event (and the approver), so a retried delivery, card-update job or follow-up queues it once."""

from __future__ import annotations

import re

from handlers.mail_outbox import enqueue_mail
from handlers.services import Services
from storage.models import Request
from storage.uow import UnitOfWork

# The transitions a requester is e-mailed about, each with a template of the same name (cards/mail.py).
REQUESTER_EVENTS = frozenset({"submitted", "approved", "rejected", "completed", "failed", "cancelled", "expired"})
# Ids the desk uses for itself ("desk:expiry", "desk:policy") are nobody to e-mail.
_PERSON = re.compile(r"^[A-Za-z0-9-]+$")


async def mail_requester(services: Services, request: Request, event: str) -> bool:
    """Queues the requester's e-mail about ``event`` (a state the request reached, or "submitted"), once."""
    if not services.mail.enabled or event not in REQUESTER_EVENTS or not _PERSON.match(request.requester_id):
        return False
    async with services.uow() as uow:
        queued = await queue_requester_mail(services, uow, request, event)
        await uow.commit()
    return queued


async def queue_requester_mail(services: Services, uow: UnitOfWork, request: Request, event: str) -> bool:
    """``mail_requester`` inside the caller's transaction (the one that makes the transition): the same key, so the
    card-update job's own call finds it queued."""
    if not services.mail.enabled or event not in REQUESTER_EVENTS or not _PERSON.match(request.requester_id):
        return False
    return await enqueue_mail(services, uow, recipient_id=request.requester_id, template=f"request.{event}",
                              params={}, key=f"req-{request.id}-{event}", request_id=request.id)


async def mail_approver(services: Services, request: Request, approver_id: str) -> bool:
    """Queues the e-mail telling ``approver_id`` that ``request`` waits for their decision, once per approver."""
    if not services.mail.enabled or not _PERSON.match(approver_id):
        return False
    async with services.uow() as uow:
        queued = await enqueue_mail(services, uow, recipient_id=approver_id, template="request.decide", params={},
                                    key=_decide_key(request, approver_id), request_id=request.id)
        await uow.commit()
    return queued


async def queue_escalated_mail(services: Services, uow: UnitOfWork, request: Request, approver_id: str) -> bool:
    """Tells a person the request was escalated to them (F15), in the caller's transaction. It is the e-mail that
    announces the card reaching them, under ``mail_approver``'s key: they get this one, not both."""
    if not services.mail.enabled or not _PERSON.match(approver_id):
        return False
    return await enqueue_mail(services, uow, recipient_id=approver_id, template="request.escalated", params={},
                              key=_decide_key(request, approver_id), request_id=request.id)


async def queue_reminder_mail(
    services: Services, uow: UnitOfWork, request: Request, approver_id: str, *, stage: int, round_number: int
) -> bool:
    """Reminds a person the request still waits for them (F15), in the caller's transaction: once per stage and
    reminder round."""
    if not services.mail.enabled or not _PERSON.match(approver_id):
        return False
    key = f"req-{request.id}-remind-{stage}-{round_number}-{approver_id.lower()}"
    return await enqueue_mail(services, uow, recipient_id=approver_id, template="request.reminder", params={},
                              key=key, request_id=request.id)


def _decide_key(request: Request, approver_id: str) -> str:
    return f"req-{request.id}-decide-{approver_id.lower()}"

"""Which request events e-mail whom (F16): the requester at each transition of their request, each approver when a
request's card reaches them. Each e-mail's key names the request and the event (and the approver), so a retried
delivery or card-update job queues it once."""

from __future__ import annotations

import re

from handlers.mail_outbox import enqueue_mail
from handlers.services import Services
from storage.models import Request

# The transitions a requester is e-mailed about, each with a template of the same name (cards/mail.py).
REQUESTER_EVENTS = frozenset({"submitted", "approved", "rejected", "completed", "failed", "cancelled", "expired"})
# Ids the desk uses for itself ("desk:expiry", "desk:policy") are nobody to e-mail.
_PERSON = re.compile(r"^[A-Za-z0-9-]+$")


async def mail_requester(services: Services, request: Request, event: str) -> bool:
    """Queues the requester's e-mail about ``event`` (a state the request reached, or "submitted"), once."""
    if not services.mail.enabled or event not in REQUESTER_EVENTS or not _PERSON.match(request.requester_id):
        return False
    async with services.uow() as uow:
        queued = await enqueue_mail(services, uow, recipient_id=request.requester_id, template=f"request.{event}",
                                    params={}, key=f"req-{request.id}-{event}", request_id=request.id)
        await uow.commit()
    return queued


async def mail_approver(services: Services, request: Request, approver_id: str) -> bool:
    """Queues the e-mail telling ``approver_id`` that ``request`` waits for their decision, once per approver."""
    if not services.mail.enabled or not _PERSON.match(approver_id):
        return False
    async with services.uow() as uow:
        queued = await enqueue_mail(services, uow, recipient_id=approver_id, template="request.decide", params={},
                                    key=f"req-{request.id}-decide-{approver_id.lower()}", request_id=request.id)
        await uow.commit()
    return queued

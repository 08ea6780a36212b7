"""Queueing an e-mail notification (F16): ``enqueue_mail`` writes one rendered e-mail into the mail outbox inside the
caller's unit of work, so it commits (or is lost) with the change it announces; the sender (handlers/mail_sender.py)
sends it later, once."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cards.i18n import Translator, unescaped
from cards.mail import render_mail
from cards.views import RequestView
from handlers.request_views import request_view
from handlers.services import Services
from m365.errors import M365Error
from storage.columns import utcnow
from storage.models import Request
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

# The key becomes the Message-ID's left part ("<key@m365-desk>"): RFC 5322 atext without "/", "=" and the like.
_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
MESSAGE_ID_DOMAIN = "m365-desk"


def message_id(key: str) -> str:
    """The RFC 5322 Message-ID of the notification ``key``: the idempotency key found again in the sender mailbox."""
    return f"<{key}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True, slots=True)
class _Recipient:
    name: str
    address: str
    language: str | None


async def enqueue_mail(
    services: Services,
    uow: UnitOfWork,
    *,
    recipient_id: str,
    template: str,
    params: Mapping[str, str],
    key: str,
    request_id: int | None = None,
) -> bool:
    """Queues the e-mail ``template`` (cards/mail.py TEMPLATES) for ``recipient_id`` in their language, in ``uow``
    (the caller commits). False when nothing is queued: no sender mailbox is configured, the person chose no e-mail
    (or never chose and the admins' default is off), or they have no e-mail address. A ``key`` queued before is a
    no-op (True): a retried job queues each notification once. ``request_id`` adds the request's card summary and
    fills ``request_id``, ``kind``, ``target``, ``requester``, ``approvers``, ``name`` (who decided) and ``state``
    unless ``params`` gives them.
    """
    if not _KEY.match(key):
        raise ValueError(f"mail key {key!r}: 1-200 of A-Z a-z 0-9 . _ -")
    policy = services.mail
    if not policy.enabled:
        return False
    chosen = await uow.mail_choices.get(recipient_id)
    if not (policy.default_on if chosen is None else chosen):
        return False
    if await uow.mail_outbox.by_key(key) is not None:
        return True
    recipient = await _recipient(services, uow, recipient_id)
    if recipient is None:
        return False
    request = await uow.requests.get(request_id) if request_id is not None else None
    ref = await uow.conversations.get(recipient_id)
    # The language of the person's Teams messages (their chat's locale), else the directory's preferred language;
    # a requester the desk never chatted with back is written to in the language they filed in.
    filed_in = request.locale if request is not None and request.requester_id == recipient_id else None
    locale = (ref.locale if ref else None) or recipient.language or filed_in
    t = Translator(locale, services.calendar.timezone)
    view = await request_view(services, uow, request) if request is not None else None
    values = {**_request_params(request, view, t), **params}
    rendered = render_mail(template, values, t, recipient_name=recipient.name, request=view,
                           chat_link=policy.chat_link)
    now = utcnow()  # the outbox runs on the wall clock, like the job outbox
    # A racing transaction that queued the same key first wins; either way the notification is queued once.
    await uow.mail_outbox.add(
        key=key,
        sender=policy.sender,
        recipient_id=recipient_id,
        address=recipient.address,
        language=t.language,
        subject=rendered.subject[:400],
        text=rendered.text,
        html=rendered.html,
        request_id=request_id,
        reference=request.public_id if request is not None else params.get("reference"),
        next_attempt_at=now,
        created_at=now,
    )
    return True


async def _recipient(services: Services, uow: UnitOfWork, user_id: str) -> _Recipient | None:
    """Name, address and preferred language of an enabled person with a mailbox; None otherwise.

    The directory cache answers without a call; a person it does not know yet is read from the directory (a read,
    retried by the client; a failure there means no e-mail, never a lost transition).
    """
    cached = await uow.user_cache.get_user(user_id)
    if cached is not None and cached.mail:
        return _Recipient(cached.display_name, cached.mail, None) if cached.account_enabled else None
    try:
        user = await services.tenant.directory.get_user(user_id)
    except M365Error:
        logger.warning("e-mail to %s not queued: the directory could not be read", user_id, exc_info=True)
        return None
    if user is None or not user.mail or not user.account_enabled:
        return None
    return _Recipient(user.display_name, user.mail, user.preferred_language)


def _request_params(request: Request | None, view: RequestView | None, t: Translator) -> dict[str, str]:
    if request is None or view is None:
        return {}
    return {
        "request_id": request.public_id,
        "kind": unescaped(t("request.kind." + request.kind)),
        "target": request.target_label,
        "requester": request.requester_name,
        "approvers": ", ".join(view.approver_names),
        "name": view.decision.approver_name if view.decision else "",
        "state": unescaped(t("request.state." + request.state)),
    }


async def has_address(services: Services, user_id: str) -> bool:
    """Whether the desk could e-mail this person (enabled, with a mailbox address)."""
    async with services.uow() as uow:
        return await _recipient(services, uow, user_id) is not None

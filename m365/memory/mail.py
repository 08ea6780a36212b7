"""The Mail port in memory: drafts and sent messages per sender mailbox, the outbox tests read, automatic replies,
the application access policy and the per-mailbox sending limits, answering as the Graph adapter does against
devtenant (same values, same typed errors and codes).

The MIME message is built and read back as the adapter's is sent, so a subject outside ASCII is checked to survive
its encoded-words here too. The sending limits run on the tenant state's clock."""

from __future__ import annotations

import email
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from typing import TYPE_CHECKING

from m365.errors import InvalidRequest, NotFound, PermissionDenied, Throttled
from m365.mail import RECIPIENTS_PER_DAY, SENDS_PER_MINUTE, mime_body, mime_message, pick_found
from m365.ports import AutomaticReplies, FoundMail, OutgoingMail

if TYPE_CHECKING:
    from m365.memory.records import UserRecord
    from m365.memory.state import TenantState

# What Graph answers when the app may not use a mailbox, by the mechanism that restricts it.
ACCESS_DENIED_MESSAGES = {
    "applicationAccessPolicy": "Access to OData is disabled: Blocked by tenant configured AppOnly AccessPolicy "
                               "settings.",
    "rbacForApplications": "Access is denied. Check credentials and try again.",
}


@dataclass
class StoredMail:
    """A message in a mailbox: a draft, or (sent) in Sent Items; the fields are read back from its MIME."""

    id: str
    sender: str  # the mailbox's UPN as the tenant has it
    message_id: str
    to: tuple[str, ...]
    subject: str
    language: str
    text: str
    html: str
    is_draft: bool = True
    sent_at: datetime | None = None


@dataclass
class MailRecords:
    """The tenant's mail: every message by id, people's automatic replies (by user id), which senders the app may
    use (None: any, as without an application access policy) and the sending limits' recent use per sender."""

    messages: dict[str, StoredMail] = field(default_factory=dict)
    automatic_replies: dict[str, AutomaticReplies] = field(default_factory=dict)
    allowed_senders: set[str] | None = None
    denial: str = "applicationAccessPolicy"  # or "rbacForApplications": how the restriction is configured
    sends: dict[str, deque[tuple[datetime, int]]] = field(default_factory=dict)  # sender -> (when, recipients)
    next_id: int = 1

    def outbox(self) -> list[StoredMail]:
        """Sent messages, in the order they were sent."""
        sent = [m for m in self.messages.values() if not m.is_draft]
        return sorted(sent, key=lambda m: m.sent_at or datetime.min)

    def clear_outbox(self) -> None:
        self.messages = {k: m for k, m in self.messages.items() if m.is_draft}

    def set_automatic_replies(self, user: str, replies: AutomaticReplies) -> None:
        """Set by the person in Outlook: ``user`` is their object id, UPN or address."""
        self.automatic_replies[user.lower()] = replies

    def restrict_senders(self, senders: set[str] | None, denial: str = "applicationAccessPolicy") -> None:
        """The app may use only these mailboxes (UPNs, addresses or ids; None: any): by an application access policy,
        which covers mailbox settings too, or by an RBAC for Applications scope on the Mail roles alone."""
        if denial not in ACCESS_DENIED_MESSAGES:
            raise ValueError(f"denial must be one of {', '.join(ACCESS_DENIED_MESSAGES)}")
        self.allowed_senders = None if senders is None else {s.lower() for s in senders}
        self.denial = denial


def _read_mime(raw: bytes) -> tuple[str, tuple[str, ...], str, str, str, str]:
    message = email.message_from_bytes(raw, policy=default)
    assert isinstance(message, EmailMessage)
    return (str(message["Message-ID"] or ""), tuple(a.addr_spec for a in message["To"].addresses),
            str(message["Subject"] or ""), str(message["Content-Language"] or ""),
            mime_body(message.get_body(("plain",))), mime_body(message.get_body(("html",))))


class MemoryMail:
    """Mail over a TenantState's mail records."""

    def __init__(self, state: TenantState) -> None:
        self._state = state

    @property
    def _records(self) -> MailRecords:
        return self._state.mail

    def _user(self, key: str, *, mail_access: bool = True) -> UserRecord:
        """The user whose mailbox is addressed, or the error Graph answers for it."""
        user = self._state.find_user(key)
        if user is None:
            raise NotFound(f"The requested user '{key}' is invalid.", code="ErrorInvalidUser", status=404)
        if not user.mail:
            raise NotFound("The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
                           code="MailboxNotEnabledForRESTAPI", status=404)
        records = self._records
        allowed = records.allowed_senders
        restricted = mail_access or records.denial == "applicationAccessPolicy"
        if restricted and allowed is not None and not {user.user_principal_name.lower(), user.mail.lower(),
                                                       user.id} & allowed:
            raise PermissionDenied(ACCESS_DENIED_MESSAGES[records.denial], code="ErrorAccessDenied", status=403)
        return user

    def _mailbox(self, key: str) -> str:
        """The sender mailbox's UPN (lower case)."""
        return self._user(key).user_principal_name.lower()

    async def find(self, sender: str, message_id: str) -> FoundMail | None:
        mailbox = self._mailbox(sender)
        return pick_found([{"id": m.id, "isDraft": m.is_draft} for m in self._records.messages.values()
                           if m.sender == mailbox and m.message_id == message_id])

    async def create_draft(self, mail: OutgoingMail) -> str:
        mailbox = self._mailbox(mail.sender)
        message_id, to, subject, language, text, html = _read_mime(mime_message(mail, date=self._state.now()))
        draft_id = self._new_id()
        self._records.messages[draft_id] = StoredMail(draft_id, mailbox, message_id, to, subject, language, text,
                                                      html)
        return draft_id

    async def send_draft(self, sender: str, draft_id: str) -> None:
        mailbox = self._mailbox(sender)
        draft = self._records.messages.get(draft_id)
        if draft is None or draft.sender != mailbox:
            raise NotFound("The specified object was not found in the store.", code="ErrorItemNotFound", status=404)
        if not draft.is_draft:
            raise InvalidRequest("Only draft messages can be sent.", code="ErrorInvalidOperation", status=400)
        self._spend(mailbox, len(draft.to))
        # Sent Items holds it under a new id, as Exchange moves an item between folders.
        del self._records.messages[draft_id]
        draft.id, draft.is_draft, draft.sent_at = self._new_id(), False, self._state.clock()
        self._records.messages[draft.id] = draft

    async def automatic_replies(self, user_id: str) -> AutomaticReplies:
        user = self._user(user_id, mail_access=False)
        assert user.mail is not None
        replies = self._records.automatic_replies
        for key in (user.id, user.user_principal_name.lower(), user.mail.lower()):
            if key in replies:
                return replies[key]
        return AutomaticReplies("disabled")

    def _new_id(self) -> str:
        number = self._records.next_id
        self._records.next_id += 1
        return f"AAMkAGmem{number:08d}AAA="

    def _spend(self, mailbox: str, recipients: int) -> None:
        """The sending limits: 30 messages a minute and 10,000 recipients a day per mailbox, else 429."""
        now = self._state.clock()
        used = self._records.sends.setdefault(mailbox, deque())
        while used and now - used[0][0] >= timedelta(days=1):
            used.popleft()
        minute = [when for when, _ in used if now - when < timedelta(minutes=1)]
        if len(minute) >= SENDS_PER_MINUTE:
            wait = (timedelta(minutes=1) - (now - minute[0])).total_seconds()
            raise Throttled("Application is over its MailboxConcurrency limit.", code="ApplicationThrottled",
                            status=429, retry_after=max(wait, 1.0))
        if sum(n for _, n in used) + recipients > RECIPIENTS_PER_DAY:
            wait = (timedelta(days=1) - (now - used[0][0])).total_seconds()
            raise Throttled("The sender has exceeded the daily recipient limit.", code="ErrorExceededMessageLimit",
                            status=429, retry_after=max(wait, 1.0))
        used.append((now, recipients))

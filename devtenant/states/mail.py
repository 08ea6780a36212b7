"""Exchange Online's mail as the emulated tenant keeps it: messages per mailbox (drafts, Sent Items), people's automatic
replies, the application access policy (which mailboxes the desk's app may use) and the per-mailbox sending limits.

Graph (devtenant/graph/mail.py) reads and changes it; tests read the outbox and set replies and the policy through
the control API (devtenant/mail_control.py) or directly.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Exchange Online's documented sending limits per mailbox: 30 messages a minute, 10,000 recipients a day.
SENDS_PER_MINUTE = 30
RECIPIENTS_PER_DAY = 10_000
_MINUTE, _DAY = 60.0, 86_400.0

# What Graph answers when the app may not use a mailbox, by the mechanism that restricts it.
ACCESS_DENIED_MESSAGES = {
    "applicationAccessPolicy": "Access to OData is disabled: Blocked by tenant configured AppOnly AccessPolicy "
                               "settings.",
    "rbacForApplications": "Access is denied. Check credentials and try again.",
}


@dataclass
class MailItem:
    """One message of a mailbox, with the Graph fields the emulation serves and what its MIME said."""

    id: str
    mailbox: str  # the owner's user id
    internet_message_id: str
    subject: str
    sender: str
    to: list[str]
    language: str
    text: str
    html: str
    created: str
    is_draft: bool = True
    sent: str | None = None
    sequence: int = 0  # the order messages were sent in

    def graph_view(self) -> dict[str, Any]:
        body = {"contentType": "html", "content": self.html} if self.html else {"contentType": "text",
                                                                                "content": self.text}
        return {
            "id": self.id,
            "createdDateTime": self.created,
            "lastModifiedDateTime": self.sent or self.created,
            "sentDateTime": self.sent,
            "internetMessageId": self.internet_message_id,
            "subject": self.subject,
            "isDraft": self.is_draft,
            "parentFolderId": "drafts" if self.is_draft else "sentitems",
            "body": body,
            "from": {"emailAddress": {"address": self.sender}},
            "sender": {"emailAddress": {"address": self.sender}},
            "toRecipients": [{"emailAddress": {"address": a}} for a in self.to],
            "internetMessageHeaders": [{"name": "Content-Language", "value": self.language}] if self.language
            else [],
        }

    def outbox_view(self) -> dict[str, Any]:
        return {"id": self.id, "sender": self.sender, "to": list(self.to), "subject": self.subject,
                "language": self.language, "messageId": self.internet_message_id, "text": self.text,
                "html": self.html, "sentDateTime": self.sent}


@dataclass
class MailState:
    """The tenant's mail; ``monotonic`` is the sending limits' clock (tests may replace it)."""

    monotonic: Callable[[], float] = time.monotonic
    items: dict[str, MailItem] = field(default_factory=dict)
    automatic_replies: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> Graph's setting
    allowed_senders: set[str] | None = None  # lower-case UPNs, addresses or ids; None: no restriction
    denial: str = "applicationAccessPolicy"
    sends: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)  # mailbox -> (when, recipients)
    unsaved: list[MailItem] = field(default_factory=list)  # sent with saveToSentItems false: in no folder
    sent_count: int = 0

    def new_id(self) -> str:
        return "AAMkAGdev" + uuid.uuid4().hex + "AAA="

    def outbox(self) -> list[MailItem]:
        """Every message sent (from Sent Items, and those not saved there), in the order they were sent."""
        sent = [m for m in self.items.values() if not m.is_draft] + self.unsaved
        return sorted(sent, key=lambda m: m.sequence)

    def clear_outbox(self) -> int:
        """Forget sent messages (drafts stay); returns how many there were."""
        sent = [k for k, m in self.items.items() if not m.is_draft]
        for key in sent:
            del self.items[key]
        count, self.unsaved = len(sent) + len(self.unsaved), []
        return count

    def mark_sent(self, item: MailItem, when: str) -> None:
        """The draft is submitted: into Sent Items under a new id, as Exchange moves an item between folders."""
        self.items.pop(item.id, None)
        self.sent_count += 1
        item.id, item.is_draft, item.sent, item.sequence = self.new_id(), False, when, self.sent_count
        self.items[item.id] = item

    def may_use(self, user: dict[str, Any]) -> bool:
        if self.allowed_senders is None:
            return True
        keys = {str(user.get("id") or "").lower(), str(user.get("userPrincipalName") or "").lower(),
                str(user.get("mail") or "").lower()}
        return bool(keys & self.allowed_senders)

    def restrict(self, senders: list[str] | None, denial: str = "applicationAccessPolicy") -> None:
        if denial not in ACCESS_DENIED_MESSAGES:
            raise ValueError(f"denial must be one of {', '.join(ACCESS_DENIED_MESSAGES)}")
        self.allowed_senders = None if senders is None else {s.lower() for s in senders}
        self.denial = denial

    def spend_send(self, mailbox: str, recipients: int) -> tuple[float, str] | None:
        """Count one message to ``recipients`` people: None when within the limits, else (seconds to wait, which
        limit: "minute" or "day")."""
        now = self.monotonic()
        used = self.sends.setdefault(mailbox, deque())
        while used and now - used[0][0] >= _DAY:
            used.popleft()
        minute = [when for when, _ in used if now - when < _MINUTE]
        if len(minute) >= SENDS_PER_MINUTE:
            return max(_MINUTE - (now - minute[0]), 1.0), "minute"
        if sum(n for _, n in used) + recipients > RECIPIENTS_PER_DAY:
            return max(_DAY - (now - used[0][0]), 1.0), "day"
        used.append((now, recipients))
        return None

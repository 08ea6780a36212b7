"""Activity the emulated tenant records: mailboxes' last activity (Graph's usage reports), the report settings
(concealed names), messages received per address (Exchange message trace), and message trace's query budget.

Tests and the demo set them through the control API (devtenant/usage_control.py); Graph's report and
Get-MessageTraceV2 read them. Nothing is seeded: a fresh tenant has no recorded activity and shows names.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

# Get-MessageTraceV2's documented limits.
TRACE_HISTORY_DAYS = 90
TRACE_MAX_DAYS_PER_QUERY = 10
TRACE_MAX_RESULT_SIZE = 5000
TRACE_DEFAULT_RESULT_SIZE = 1000
TRACE_QUERIES_PER_WINDOW = 100
TRACE_WINDOW_SECONDS = 300.0


@dataclass(frozen=True)
class ReceivedMessage:
    """One message Exchange received for an address (a list's own row is "Expanded", a mailbox's "Delivered")."""

    received: datetime
    recipient: str  # the address as given, compared in lower case
    sender: str
    status: str
    subject: str
    trace_id: str


def concealed(value: str) -> str:
    """What a report prints for a name when names are concealed: a stable 32-character upper-case hex hash."""
    return hashlib.md5(value.lower().encode(), usedforsecurity=False).hexdigest().upper()


class UsageState:
    """The activity records; ``monotonic`` is the clock of the query budget (tests may replace it)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.display_concealed_names = False
        self.mailbox_activity: dict[str, date] = {}  # lower-case UPN -> last activity date
        self.messages: list[ReceivedMessage] = []
        self.trace_queries: deque[float] = deque()  # when each accepted query ran (monotonic seconds)
        # A CSV report's download tokens -> (expiry in monotonic seconds, the CSV text).
        self.report_downloads: dict[str, tuple[float, str]] = {}
        self._monotonic = monotonic

    def set_mailbox_activity(self, upn: str, day: date | None) -> None:
        if day is None:
            self.mailbox_activity.pop(upn.lower(), None)
        else:
            self.mailbox_activity[upn.lower()] = day

    def add_messages(self, recipient: str, times: Sequence[datetime], *, sender: str, status: str) -> None:
        for moment in times:
            self.messages.append(ReceivedMessage(moment.replace(microsecond=0), recipient, sender, status,
                                                 "devtenant traffic", str(uuid.uuid4())))

    def spend_trace_query(self) -> float | None:
        """Take one query from the rolling window: None when accepted, else seconds until one is free again."""
        now = self._monotonic()
        while self.trace_queries and now - self.trace_queries[0] >= TRACE_WINDOW_SECONDS:
            self.trace_queries.popleft()
        if len(self.trace_queries) >= TRACE_QUERIES_PER_WINDOW:
            return max(TRACE_WINDOW_SECONDS - (now - self.trace_queries[0]), 1.0)
        self.trace_queries.append(now)
        return None

    def trace(self, recipients: Sequence[str], start: datetime, end: datetime, *, result_size: int,
              starting_recipient: str | None) -> list[ReceivedMessage]:
        """Messages for ``recipients`` received in [start, end], newest first then by recipient, cut at
        ``result_size``. With ``starting_recipient``, rows received exactly at ``end`` count only after that
        recipient: how a caller continues past a full answer (EndDate and StartingRecipientAddress of its last row)."""
        wanted = {r.lower() for r in recipients}
        after = (starting_recipient or "").lower()
        rows = [m for m in self.messages
                if (not wanted or m.recipient.lower() in wanted) and start <= m.received <= end
                and (not after or m.received < end or m.recipient.lower() > after)]
        rows.sort(key=lambda m: (-m.received.timestamp(), m.recipient.lower()))
        return rows[:result_size]

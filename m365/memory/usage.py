"""The Usage port in memory: mailbox activity, concealed report names and received messages recorded on the tenant
state, answering with the same rows, limits and errors as the Graph/Exchange adapter against devtenant.

The query budget (100 message trace queries per rolling 5 minutes) runs on the tenant state's clock, so a test
with a settable clock can spend it and let it refill."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from m365.errors import InvalidRequest, Throttled
from m365.ports import (
    TRACE_MAX_RESULT_SIZE,
    TRACE_QUERIES_PER_WINDOW,
    TRACE_WINDOW_SECONDS,
    MailboxUsage,
    TraceRow,
)
from m365.usage import PERIOD_DAYS, check_trace_query

if TYPE_CHECKING:
    from m365.memory.state import TenantState


@dataclass
class UsageRecords:
    """What the tenant recorded: last activity per mailbox (lower-case UPN), received messages, report settings."""

    names_concealed: bool = False
    mailbox_activity: dict[str, date] = field(default_factory=dict)
    messages: list[TraceRow] = field(default_factory=list)
    trace_queries: deque[datetime] = field(default_factory=deque)

    def set_mailbox_activity(self, upn: str, day: date | None) -> None:
        if day is None:
            self.mailbox_activity.pop(upn.lower(), None)
        else:
            self.mailbox_activity[upn.lower()] = day

    def add_messages(self, recipient: str, times: Sequence[datetime], *, sender: str = "someone@example.com",
                     status: str = "Expanded") -> None:
        self.messages.extend(TraceRow(t.replace(microsecond=0), recipient, sender, status) for t in times)


def concealed(value: str) -> str:
    """A concealed name as reports print it (the same hash devtenant prints)."""
    return hashlib.md5(value.lower().encode(), usedforsecurity=False).hexdigest().upper()


class MemoryUsage:
    """Usage over a TenantState's usage records."""

    def __init__(self, state: TenantState) -> None:
        self._state = state

    @property
    def _records(self) -> UsageRecords:
        return self._state.usage

    async def mailbox_usage(self, period_days: int) -> list[MailboxUsage]:
        if period_days not in PERIOD_DAYS:
            raise InvalidRequest(f"report period must be one of {PERIOD_DAYS}", code="InvalidPeriod")
        hide = self._records.names_concealed
        return [MailboxUsage(
            user_principal_name=concealed(u.user_principal_name) if hide else u.user_principal_name,
            display_name=concealed(u.display_name) if hide else u.display_name,
            is_deleted=False,
            last_activity=self._records.mailbox_activity.get(u.user_principal_name.lower()),
            recipient_type="Shared" if u.shared is not None else "User",
        ) for u in self._state.mail_users()]

    async def names_concealed(self) -> bool:
        return self._records.names_concealed

    async def message_trace(self, recipients: Sequence[str], start: datetime, end: datetime, *,
                            result_size: int = TRACE_MAX_RESULT_SIZE,
                            starting_recipient: str | None = None) -> list[TraceRow]:
        now = self._state.clock()
        check_trace_query(start, end, result_size, now)
        queries = self._records.trace_queries
        window = timedelta(seconds=TRACE_WINDOW_SECONDS)
        while queries and now - queries[0] >= window:
            queries.popleft()
        if len(queries) >= TRACE_QUERIES_PER_WINDOW:
            wait = (window - (now - queries[0])).total_seconds()
            raise Throttled("message trace: 100 queries in 5 minutes", code="TooManyRequests", status=429,
                            retry_after=max(wait, 1.0))
        queries.append(now)
        wanted = {r.lower() for r in recipients}
        after = (starting_recipient or "").lower()
        rows = [m for m in self._records.messages
                if (not wanted or m.recipient_address.lower() in wanted) and start <= m.received <= end
                and (not after or m.received < end or m.recipient_address.lower() > after)]
        rows.sort(key=lambda m: (-m.received.timestamp(), m.recipient_address.lower()))
        return rows[:result_size]

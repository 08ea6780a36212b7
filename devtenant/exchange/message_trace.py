"""Get-MessageTraceV2 with its documented limits: the last 90 days only, at most 10 days per query, ResultSize 1-5000
(default 1000) with no paging (continue with StartingRecipientAddress and EndDate = the last row's Received), no
dates = the last 48 hours, and 100 queries per rolling 5 minutes (then a 429 until the window frees a slot).

Rows come from the traffic tests record through the control API (devtenant/states/usage.py), newest first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from devtenant.exchange.cmdlets import BoundCall
from devtenant.exchange.errors import ARGUMENT, CmdletError, parameter_binding
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.state import TenantState
from devtenant.states.stamps import iso
from devtenant.states.usage import (
    TRACE_DEFAULT_RESULT_SIZE,
    TRACE_HISTORY_DAYS,
    TRACE_MAX_DAYS_PER_QUERY,
    TRACE_MAX_RESULT_SIZE,
)

THROTTLED = ("", "Microsoft.Exchange.Management.ReportingTask.ThrottlingException")
_DEFAULT_HOURS = 48


def _moment(call: BoundCall, name: str) -> datetime | None:
    value = call.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise parameter_binding(f"Cannot bind parameter '{name}'. Cannot convert value \"{value}\" to type "
                                "\"System.DateTime\". Error: \"String was not recognized as a valid DateTime.\"") \
            from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _result_size(call: BoundCall) -> int:
    raw = call.get("ResultSize", TRACE_DEFAULT_RESULT_SIZE)
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise parameter_binding(f"Cannot bind parameter 'ResultSize'. Cannot convert value \"{raw}\" to type "
                                "\"System.Int32\".") from None
    if not 1 <= size <= TRACE_MAX_RESULT_SIZE:
        raise CmdletError(ARGUMENT, f"The ResultSize must be between 1 and {TRACE_MAX_RESULT_SIZE}.")
    return size


async def get_message_trace(state: TenantState, call: BoundCall) -> CmdletResult:
    now = datetime.now(UTC)
    end = _moment(call, "EndDate") or now
    start = _moment(call, "StartDate") or end - timedelta(hours=_DEFAULT_HOURS)
    size = _result_size(call)
    if start > end:
        raise CmdletError(ARGUMENT, "The StartDate must be earlier than the EndDate.")
    if end - start > timedelta(days=TRACE_MAX_DAYS_PER_QUERY):
        raise CmdletError(ARGUMENT, f"You can only query {TRACE_MAX_DAYS_PER_QUERY} days worth of data per query.")
    if start < now - timedelta(days=TRACE_HISTORY_DAYS):
        raise CmdletError(ARGUMENT, f"Invalid StartDate value. The StartDate can't be older than "
                                    f"{TRACE_HISTORY_DAYS} days from today.")
    wait = state.usage.spend_trace_query()
    if wait is not None:
        raise CmdletError(THROTTLED, "The request was throttled: at most 100 message trace queries are accepted "
                                     f"in 5 minutes. Try again in {int(wait)} seconds.", status=429)
    recipients = call.get("RecipientAddress") or []
    recipients = [str(r) for r in (recipients if isinstance(recipients, list) else [recipients])]
    starting = call.get("StartingRecipientAddress")
    rows = state.usage.trace(recipients, start, end, result_size=size,
                             starting_recipient=str(starting) if starting else None)
    values: list[dict[str, Any]] = [{
        "Received": iso(m.received), "SenderAddress": m.sender, "RecipientAddress": m.recipient,
        "Subject": m.subject, "Status": m.status, "ToIP": None, "FromIP": None, "Size": 2048,
        "MessageId": f"<{m.trace_id}@devtenant>", "MessageTraceId": m.trace_id,
        "StartDate": iso(start), "EndDate": iso(end),
    } for m in rows]
    return CmdletResult(values=values)


def register(registry: CmdletRegistry) -> None:
    registry.register("Get-MessageTraceV2", get_message_trace)

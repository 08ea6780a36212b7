"""The Usage port over Graph and Exchange: getMailboxUsageDetail (CSV, parsed by column name), /admin/reportSettings,
and Get-MessageTraceV2 through InvokeCommand, each checked against the documented limits before it is sent."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from m365.errors import InvalidRequest
from m365.exchange import ExchangeClient
from m365.graph import GraphApi, graph_call
from m365.ports import (
    TRACE_HISTORY_DAYS,
    TRACE_MAX_DAYS_PER_QUERY,
    TRACE_MAX_RESULT_SIZE,
    MailboxUsage,
    TraceRow,
)

PERIOD_DAYS = (7, 30, 90, 180)


def last_activity_day(value: str | None) -> date | None:
    """A report's "Last Activity Date" ("2026-03-01"; empty when the mailbox was never active)."""
    return date.fromisoformat(value.strip()[:10]) if value and value.strip() else None


def parse_mailbox_usage_csv(text: str) -> list[MailboxUsage]:
    """The report's rows by column name (Microsoft adds columns over time); Recipient Type may be missing."""
    rows = []
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        rows.append(MailboxUsage(
            user_principal_name=row.get("User Principal Name") or "",
            display_name=row.get("Display Name") or "",
            is_deleted=(row.get("Is Deleted") or "").strip().lower() == "true",
            last_activity=last_activity_day(row.get("Last Activity Date")),
            recipient_type=row.get("Recipient Type") or "",
        ))
    return rows


def check_trace_query(start: datetime, end: datetime, result_size: int, now: datetime) -> None:
    """Refuse, before sending, a query Exchange would refuse (so the budget is not spent on it)."""
    if start > end:
        raise InvalidRequest("message trace: the start is after the end", code="InvalidTraceWindow")
    if end - start > timedelta(days=TRACE_MAX_DAYS_PER_QUERY):
        raise InvalidRequest(f"message trace: at most {TRACE_MAX_DAYS_PER_QUERY} days per query",
                             code="InvalidTraceWindow")
    if start < now - timedelta(days=TRACE_HISTORY_DAYS):
        raise InvalidRequest(f"message trace: only the last {TRACE_HISTORY_DAYS} days are kept",
                             code="InvalidTraceWindow")
    if not 1 <= result_size <= TRACE_MAX_RESULT_SIZE:
        raise InvalidRequest(f"message trace: ResultSize 1..{TRACE_MAX_RESULT_SIZE}", code="InvalidResultSize")


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GraphExchangeUsage:
    """Usage: reports from Graph (Reports.Read.All, ReportSettings.Read.All), message trace from Exchange."""

    def __init__(self, graph: GraphApi, exchange: ExchangeClient) -> None:
        self._graph = graph
        self._exchange = exchange

    async def mailbox_usage(self, period_days: int) -> list[MailboxUsage]:
        if period_days not in PERIOD_DAYS:
            raise InvalidRequest(f"report period must be one of {PERIOD_DAYS}", code="InvalidPeriod")
        builder = self._graph.client.reports.get_mailbox_usage_detail_with_period(f"D{period_days}")
        content = await graph_call(builder.get())  # the SDK follows the 302 to the preauthenticated download
        return parse_mailbox_usage_csv((content or b"").decode("utf-8-sig"))

    async def names_concealed(self) -> bool:
        settings = await graph_call(self._graph.client.admin.report_settings.get())
        return bool(settings is not None and settings.display_concealed_names)

    async def message_trace(self, recipients: Sequence[str], start: datetime, end: datetime, *,
                            result_size: int = TRACE_MAX_RESULT_SIZE,
                            starting_recipient: str | None = None) -> list[TraceRow]:
        check_trace_query(start, end, result_size, datetime.now(UTC))
        parameters: dict[str, object] = {"RecipientAddress": list(recipients), "StartDate": _iso(start),
                                         "EndDate": _iso(end), "ResultSize": result_size}
        if starting_recipient:
            parameters["StartingRecipientAddress"] = starting_recipient
        result = await self._exchange.invoke(
            "Get-MessageTraceV2", parameters, select=("Received", "RecipientAddress", "SenderAddress", "Status"))
        return [TraceRow(received=_utc(str(v["Received"])), recipient_address=str(v.get("RecipientAddress") or ""),
                         sender_address=str(v.get("SenderAddress") or ""), status=str(v.get("Status") or ""))
                for v in result.values]

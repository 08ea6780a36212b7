"""Graph usage reports: getMailboxUsageDetail (CSV behind a 302 to a short-lived download URL, or JSON with
``$format=application/json``) and ``/admin/reportSettings`` (GET, PATCH displayConcealedNames).

When names are concealed, the UPN and display name columns carry hashes (devtenant/states/usage.py), as Microsoft 365
does. A report lists every mailbox (people's and shared ones, "Recipient Type" User/Shared), deleted ones excluded.
"""

from __future__ import annotations

import csv
import io
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from devtenant.context import Context
from devtenant.graph.core import (
    Endpoint,
    GraphError,
    GraphRequest,
    GraphResponse,
    Handler,
    Router,
    bad_request,
    bind_context,
    ok,
)
from devtenant.states.usage import concealed

REPORT_ROLES = ("Reports.Read.All",)
SETTINGS_READ_ROLES = ("ReportSettings.Read.All", "ReportSettings.ReadWrite.All")
SETTINGS_WRITE_ROLES = ("ReportSettings.ReadWrite.All",)
PERIODS = {"D7": 7, "D30": 30, "D90": 90, "D180": 180}
DOWNLOAD_SECONDS = 300  # "valid for a few minutes"
DOWNLOAD_PATH = "/_devtenant-reports/"
COLUMNS = ("Report Refresh Date", "User Principal Name", "Display Name", "Is Deleted", "Deleted Date", "Created Date",
           "Last Activity Date", "Item Count", "Storage Used (Byte)", "Issue Warning Quota (Byte)",
           "Prohibit Send Quota (Byte)", "Prohibit Send/Receive Quota (Byte)", "Deleted Item Count",
           "Deleted Item Size (Byte)", "Deleted Item Quota (Byte)", "Has Archive", "Recipient Type", "Report Period")


def _rows(ctx: Context, period: int) -> list[dict[str, Any]]:
    state = ctx.state
    hide = state.usage.display_concealed_names
    today = datetime.now(UTC).date().isoformat()
    rows = []
    for user in state.users.values():
        if not user.get("mail"):
            continue
        upn = user["userPrincipalName"]
        last = state.usage.mailbox_activity.get(upn.lower())
        shared = user.get("exoRecipientTypeDetails") == "SharedMailbox"
        rows.append({
            "reportRefreshDate": today,
            "userPrincipalName": concealed(upn) if hide else upn,
            "displayName": concealed(user["displayName"]) if hide else user["displayName"],
            "isDeleted": False,
            "deletedDate": None,
            "createdDate": str(user.get("createdDateTime") or "")[:10] or None,
            "lastActivityDate": last.isoformat() if last else None,
            "itemCount": 0,
            "storageUsedInBytes": 0,
            "issueWarningQuotaInBytes": 105226698752,
            "prohibitSendQuotaInBytes": 106300440576,
            "prohibitSendReceiveQuotaInBytes": 107374182400,
            "deletedItemCount": 0,
            "deletedItemSizeInBytes": 0,
            "deletedItemQuotaInBytes": 32212254720,
            "hasArchive": False,
            "recipientType": "Shared" if shared else "User",
            "reportPeriod": str(period),
        })
    return rows


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = list(row.values())
        writer.writerow(["" if v is None else ("True" if v is True else "False" if v is False else v)
                         for v in values])
    return "\ufeff" + out.getvalue()  # the real download starts with a byte order mark


def register(router: Router, ctx: Context) -> None:
    def bind(fn: Endpoint) -> Handler:
        return bind_context(ctx, fn)

    async def mailbox_usage(ctx: Context, request: GraphRequest, period: str) -> GraphResponse:
        key = period.strip("'\"").upper()
        if key not in PERIODS:
            raise bad_request(f"Invalid value '{period}' for parameter 'period'.", code="BadRequest")
        rows = _rows(ctx, PERIODS[key])
        if (request.option("format") or "").lower() == "application/json":
            return ok({"value": rows})
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        downloads = ctx.state.usage.report_downloads
        for old in [t for t, (until, _) in downloads.items() if until < now]:
            del downloads[old]
        downloads[token] = (now + DOWNLOAD_SECONDS, _csv(rows))
        return GraphResponse(302, None, {"Location": f"{ctx.https_base}{DOWNLOAD_PATH}{token}",
                                         "Content-Type": "text/plain"})

    async def get_settings(ctx: Context, request: GraphRequest) -> GraphResponse:
        return ok({"@odata.context": f"{ctx.graph_base}/$metadata#admin/reportSettings/$entity",
                   "displayConcealedNames": ctx.state.usage.display_concealed_names})

    async def patch_settings(ctx: Context, request: GraphRequest) -> GraphResponse:
        body = request.body if isinstance(request.body, dict) else {}
        value = body.get("displayConcealedNames")
        if not isinstance(value, bool):
            raise GraphError(400, "BadRequest", "Invalid value for property 'displayConcealedNames'.")
        ctx.state.usage.display_concealed_names = value
        return GraphResponse(204)

    router.add("GET", "/reports/getMailboxUsageDetail(period={period})", bind(mailbox_usage), REPORT_ROLES)
    router.add("GET", "/admin/reportSettings", bind(get_settings), SETTINGS_READ_ROLES)
    router.add("PATCH", "/admin/reportSettings", bind(patch_settings), SETTINGS_WRITE_ROLES)


def add_download_route(app: web.Application, ctx: Context) -> None:
    """The preauthenticated download URL a CSV report redirects to: no Authorization, gone after a few minutes."""

    async def download(request: web.Request) -> web.Response:
        found = ctx.state.usage.report_downloads.get(request.match_info["token"])
        if found is None or found[0] < time.monotonic():
            return web.Response(status=404, text="The report link has expired.")
        return web.Response(body=found[1].encode("utf-8"), content_type="application/octet-stream")

    app.router.add_get(DOWNLOAD_PATH + "{token}", download)

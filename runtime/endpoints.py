"""The desk's HTTP endpoints besides /api/messages: /healthz (alive), /readyz (ready for traffic, and why not) and
/reports/<token>.csv and /reports/<token>.png (a report or a chart behind a short-lived link)."""

from __future__ import annotations

import time

from aiohttp import web

from kinds.licenses.reports import download as report_download
from kinds.statistics.report import CHART_TYPE, download_chart
from runtime.app_keys import ENGINE, READINESS, SERVICES, UOW
from storage.migrate import is_up_to_date


async def report_file(request: web.Request) -> web.Response:
    """A report behind a short-lived link: whoever holds the (unguessable) token gets it, until it expires."""
    found = await report_download(request.app[SERVICES], request.match_info["token"])
    # A chart's token names a PNG (served below), not a text file.
    if found is None or found[1] == CHART_TYPE:
        raise web.HTTPNotFound(text="This report link has expired or does not exist. Ask the desk for a new one.")
    name, content_type, content = found
    return web.Response(
        text=content,
        content_type=content_type,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def chart_image(request: web.Request) -> web.Response:
    """A chart behind a short-lived link, shown inline by the card that names it (Teams fetches it anonymously)."""
    png = await download_chart(request.app[SERVICES], request.match_info["token"])
    if png is None:
        raise web.HTTPNotFound(text="This chart link has expired or does not exist. Ask the desk for new statistics.")
    return web.Response(
        body=png,
        content_type=CHART_TYPE,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    app = request.app
    readiness = app[READINESS]
    try:
        migrated = await is_up_to_date(app[ENGINE])
        database = "ok" if migrated else "migrations pending"
    except Exception as error:  # noqa: BLE001 - any database failure means "not ready", with its reason
        migrated, database = False, f"unreachable: {type(error).__name__}"
    audit = "ok"
    if migrated:
        # Not ready while the chain is unsealed: every state change would fail, so a rolling update stops here.
        async with app[UOW]() as uow:
            if not await uow.audit.tail_is_signed():
                audit = "unsealed: run `python app.py audit seal`"
    ready = migrated and readiness.graph_warm and audit == "ok"
    if ready and readiness.ready_after is None:
        readiness.ready_after = time.monotonic() - readiness.started_at
    body = {"ready": ready, "database": database, "audit": audit, "graph_warm": readiness.graph_warm}
    return web.json_response(body, status=200 if ready else 503)

"""`/_devtenant/usage/*`: activity set from outside the desk, so tests can make a list or a mailbox go quiet.

- POST `/_devtenant/usage/messages` `{"recipient": "dl@x", "received": ["2026-01-02T10:00:00Z", ...],
  "sender": "someone@x"}`: messages Exchange received for that address (a list's rows are "Expanded").
- PUT `/_devtenant/usage/mailboxes/{upn}` `{"lastActivityDate": "2026-01-02" | null}`: the usage report's date.
- PUT `/_devtenant/usage/reportSettings` `{"displayConcealedNames": true}`: as an admin switches it in the admin center.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from aiohttp import web

from devtenant.context import Context


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_routes(app: web.Application, ctx: Context) -> None:
    async def add_messages(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            recipient = str(payload["recipient"])
            times = [_moment(str(t)) for t in payload["received"]]
            is_list = any(str(g.get("mail") or "").lower() == recipient.lower() for g in ctx.state.groups.values())
            ctx.state.usage.add_messages(recipient, times, sender=str(payload.get("sender", "someone@example.com")),
                                         status="Expanded" if is_list else "Delivered")
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"added": len(times)}, status=201)

    async def set_mailbox_activity(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            raw = payload["lastActivityDate"]
            ctx.state.usage.set_mailbox_activity(request.match_info["upn"],
                                                 date.fromisoformat(str(raw)[:10]) if raw else None)
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(status=204)

    async def set_report_settings(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            value = payload["displayConcealedNames"]
            if not isinstance(value, bool):
                raise ValueError("displayConcealedNames must be true or false")
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        ctx.state.usage.display_concealed_names = value
        return web.Response(status=204)

    app.router.add_post("/_devtenant/usage/messages", add_messages)
    app.router.add_put("/_devtenant/usage/mailboxes/{upn}", set_mailbox_activity)
    app.router.add_put("/_devtenant/usage/reportSettings", set_report_settings)

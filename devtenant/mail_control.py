"""`/_devtenant/mail/*`: what tests read of the mail the desk sent, and what they set from outside it.

- GET `/_devtenant/mail/outbox[?sender=<upn>&to=<address>]`: sent messages in order sent: `{"value": [{"id", "sender",
  "to", "subject", "language", "messageId", "text", "html", "sentDateTime"}]}`; DELETE clears it (drafts stay).
- PUT `/_devtenant/mail/automaticReplies/{user}` `{"status": "disabled" | "alwaysEnabled" | "scheduled",
  "start": "2026-03-02T08:00:00Z", "end": "..."}` (or Graph's `scheduledStartDateTime`/`scheduledEndDateTime`
  objects): as the person sets it in Outlook.
- PUT `/_devtenant/mail/accessPolicy` `{"senders": ["desk@contoso.com"] | null, "kind": "applicationAccessPolicy" |
  "rbacForApplications"}`: the mailboxes the app may use (null: any). A policy covers mailbox settings too; an RBAC
  for Applications scope only the Mail roles.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from devtenant.context import Context

_STATUSES = ("disabled", "alwaysEnabled", "scheduled")


def _graph_moment(text: str) -> dict[str, str]:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _replies(payload: dict[str, Any]) -> dict[str, Any]:
    status = payload.get("status")
    if status not in _STATUSES:
        raise ValueError(f"status must be one of {', '.join(_STATUSES)}")
    setting: dict[str, Any] = {"status": status}
    for short, graph_key in (("start", "scheduledStartDateTime"), ("end", "scheduledEndDateTime")):
        if isinstance(payload.get(graph_key), dict):
            value = payload[graph_key]
            setting[graph_key] = {"dateTime": str(value["dateTime"]), "timeZone": str(value.get("timeZone", "UTC"))}
        elif payload.get(short):
            setting[graph_key] = _graph_moment(str(payload[short]))
        elif status == "scheduled":
            raise ValueError("a scheduled reply needs start and end")
    return setting


def add_routes(app: web.Application, ctx: Context) -> None:
    async def outbox(request: web.Request) -> web.Response:
        sender = request.query.get("sender", "").lower()
        to = request.query.get("to", "").lower()
        rows = [m.outbox_view() for m in ctx.state.mail.outbox()]
        rows = [r for r in rows if (not sender or r["sender"].lower() == sender)
                and (not to or to in (a.lower() for a in r["to"]))]
        return web.json_response({"value": rows})

    async def clear_outbox(request: web.Request) -> web.Response:
        ctx.state.mail.clear_outbox()
        return web.Response(status=204)

    async def set_replies(request: web.Request) -> web.Response:
        user = ctx.state.find_user(request.match_info["user"])
        if user is None:
            return web.json_response({"error": "no such user"}, status=404)
        try:
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            ctx.state.mail.automatic_replies[user["id"]] = _replies(payload)
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(status=204)

    async def set_policy(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
            senders = payload["senders"]
            if senders is not None and (not isinstance(senders, list) or not all(isinstance(s, str) for s in senders)):
                raise ValueError("senders must be a list of addresses or null")
            ctx.state.mail.restrict(senders, str(payload.get("kind", "applicationAccessPolicy")))
        except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.Response(status=204)

    app.router.add_get("/_devtenant/mail/outbox", outbox)
    app.router.add_delete("/_devtenant/mail/outbox", clear_outbox)
    app.router.add_put("/_devtenant/mail/automaticReplies/{user}", set_replies)
    app.router.add_put("/_devtenant/mail/accessPolicy", set_policy)

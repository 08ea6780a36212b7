"""The /api/messages endpoint: Bot Framework JWT (production), the tenant allow-check, then the Agents SDK."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import AgentApplication
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.auth import Caller, InboundGuard

logger = logging.getLogger(__name__)


def add_messages_route(
    app: web.Application,
    *,
    agent: AgentApplication[Any],
    adapter: CloudAdapter,
    guard: InboundGuard,
    tenant_id: str,
) -> None:
    async def messages(request: web.Request) -> web.StreamResponse:
        refusal = await _unauthenticated(request, guard) or await _foreign_tenant(request, tenant_id)
        if refusal is not None:
            return refusal
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=202)

    app.router.add_post("/api/messages", messages)


async def _unauthenticated(request: web.Request, guard: InboundGuard) -> web.StreamResponse | None:
    """The caller's token and the activity's serviceUrl (bot/auth.py); None when the caller may proceed, with the
    verified claims stored where the SDK's adapter reads them (anonymous in the demo)."""

    async def read_activity() -> object:
        raw = await request.read()  # cached on the request: the contract check reads these same bytes
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            return None  # not JSON: the contract check refuses it with 400

    try:
        outcome = await guard.check(request.headers.get("Authorization"), read_activity)
    except web.HTTPRequestEntityTooLarge:  # aiohttp's ceiling, for bodies sent without a Content-Length
        return web.json_response({"error": "The request body is too large."}, status=413)
    if not isinstance(outcome, Caller):
        return web.json_response({"error": outcome.message}, status=outcome.status)
    request["claims_identity"] = ClaimsIdentity(outcome.claims, security_token=outcome.token)
    return None


async def _foreign_tenant(request: web.Request, tenant_id: str) -> web.Response | None:
    """Only the configured tenant's Teams may talk to this desk; anything else is refused before any work."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return web.json_response({"error": "Invalid JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "An activity must be a JSON object"}, status=400)
    channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
    tenant = (channel_data.get("tenant") or {}).get("id") or (body.get("conversation") or {}).get("tenantId")
    if tenant_id and tenant != tenant_id:
        logger.warning("refused activity from tenant %r", tenant)
        return web.json_response({"error": "This bot serves another tenant"}, status=403)
    return None

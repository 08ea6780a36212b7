"""The /api/messages endpoint: Bot Framework JWT (production), the tenant allow-check, then the Agents SDK."""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator, start_agent_process
from microsoft_agents.hosting.core import AgentApplication
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration

logger = logging.getLogger(__name__)

# The SDK's JWT middleware looks its configuration up under this plain string key.
_SDK_AUTH_CONFIG_KEY = "agent_configuration"


def add_messages_route(
    app: web.Application,
    *,
    agent: AgentApplication[Any],
    adapter: CloudAdapter,
    auth: AgentAuthConfiguration,
    tenant_id: str,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiohttp prefers AppKeys; the SDK reads a str key
        app[_SDK_AUTH_CONFIG_KEY] = auth

    async def messages(request: web.Request) -> web.StreamResponse:
        refusal = await _unauthenticated(request) or await _foreign_tenant(request, tenant_id)
        if refusal is not None:
            return refusal
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=202)

    app.router.add_post("/api/messages", messages)


@jwt_authorization_decorator
async def _accept(_request: web.Request) -> web.StreamResponse:
    return web.Response(status=204)


async def _unauthenticated(request: web.Request) -> web.StreamResponse | None:
    """The SDK's JWT check (it stores the claims on the request); None when the caller may proceed."""
    try:
        outcome = await _accept(request)
    except Exception:  # noqa: BLE001 - the SDK raises (e.g. KeyError 'kid') on malformed tokens: still a 401
        logger.warning("refused a request whose token could not be validated", exc_info=True)
        return web.json_response({"error": "Invalid token or authentication failed."}, status=401)
    return None if outcome.status == 204 else outcome


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

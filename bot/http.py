"""The /api/messages endpoint: Bot Framework JWT (production), the activity contract and tenant check, then the SDK."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import AgentApplication
from microsoft_agents.hosting.core.authorization import ClaimsIdentity

from bot.activity_check import TOO_LARGE, Inbound, Refusal, inspect, media_type_refusal, size_refusal
from bot.auth import Caller, InboundGuard

logger = logging.getLogger(__name__)

# Where a request keeps its checked body (aiohttp requests are mappings for per-request state).
_INBOUND = web.RequestKey[Inbound | Refusal]("desk.inbound")


def add_messages_route(
    app: web.Application,
    *,
    agent: AgentApplication[Any],
    adapter: CloudAdapter,
    guard: InboundGuard,
    tenant_id: str,
) -> None:
    async def messages(request: web.Request) -> web.StreamResponse:
        refusal = await _unauthenticated(request, guard) or await _refused(request, tenant_id)
        if refusal is not None:
            return refusal
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=202)

    app.router.add_post("/api/messages", messages)


async def _unauthenticated(request: web.Request, guard: InboundGuard) -> web.StreamResponse | None:
    """The caller's token and the activity's serviceUrl (bot/auth.py); None when the caller may proceed, with the
    verified claims stored where the SDK's adapter reads them (anonymous in the demo)."""

    async def read_activity() -> object:
        inbound = await _read_activity(request)
        return inbound.body if isinstance(inbound, Inbound) else None  # the contract check answers the rest

    outcome = await guard.check(request.headers.get("Authorization"), read_activity)
    if not isinstance(outcome, Caller):
        return web.json_response({"error": outcome.message}, status=outcome.status)
    request["claims_identity"] = ClaimsIdentity(outcome.claims, security_token=outcome.token)
    return None


async def _refused(request: web.Request, tenant_id: str) -> web.Response | None:
    """A malformed activity (415, 413, 400) or another tenant's (403) is refused before the SDK or any handler runs,
    so nothing is stored for it; one warning line, without a traceback, says why."""
    outcome = await _read_activity(request)
    if isinstance(outcome, Refusal):
        logger.warning("refused malformed activity (%d): %s", outcome.status, outcome.reason)
        return web.json_response({"error": outcome.reason}, status=outcome.status)
    if tenant_id and outcome.tenant_id != tenant_id:
        logger.warning("refused activity from tenant %r", outcome.tenant_id)
        return web.json_response({"error": "This bot serves another tenant"}, status=403)
    return None


async def _read_activity(request: web.Request) -> Inbound | Refusal:
    """The body checked against the activity contract, once per request: the token check and the contract's answer
    both read it."""
    if _INBOUND in request:
        return request[_INBOUND]
    request[_INBOUND] = outcome = await _check_body(request)
    return outcome


async def _check_body(request: web.Request) -> Inbound | Refusal:
    refusal = media_type_refusal(request.content_type, request.charset) or size_refusal(request.content_length)
    if refusal is not None:
        return refusal
    try:
        raw = await request.read()  # cached on the request: the SDK's request.json() parses these same bytes
    except web.HTTPRequestEntityTooLarge:  # aiohttp's ceiling, for bodies sent without a Content-Length
        return TOO_LARGE
    return inspect(raw)

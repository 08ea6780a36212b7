"""Exchange Online `InvokeCommand` (adminapi/beta): auth, faults, cmdlet dispatch, $select, paging, call log."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from aiohttp import web

from devtenant.context import Context
from devtenant.exchange import distribution_groups
from devtenant.exchange.cmdlets import CmdletCatalog
from devtenant.exchange.errors import ARGUMENT, ODATA_EXCEPTION, CmdletError
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.tokens import EXCHANGE_RESOURCE, TokenError

log = logging.getLogger(__name__)

REQUIRED_ROLE = "Exchange.ManageAsApp"
_WWW_AUTHENTICATE = ('Bearer client_id="00000002-0000-0ff1-ce00-000000000000", '
                     'trusted_issuers="00000001-0000-0000-c000-000000000000@*", '
                     'token_types="app_asserted_user_v1 service_asserted_app_v1", '
                     'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                     'error="invalid_token"')
_THROTTLED = ("You have reached the maximum number of concurrent requests per tenant. Please wait and try again")


def build_registry() -> CmdletRegistry:
    """The registry with every cmdlet devtenant emulates; register new cmdlet modules here."""
    registry = CmdletRegistry(CmdletCatalog.load())
    distribution_groups.register(registry)
    return registry


def _select(values: list[dict[str, Any]], select: str | None) -> list[dict[str, Any]]:
    if not select:
        return values
    wanted = [s.strip() for s in select.split(",") if s.strip()]
    result = []
    for value in values:
        lookup = {k.lower(): k for k in value}
        result.append({lookup[w.lower()]: value[lookup[w.lower()]] for w in wanted if w.lower() in lookup})
    return result


def _page_size(prefer: str) -> int | None:
    for part in prefer.split(","):
        name, _, size = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and size.strip().isdigit():
            return max(1, int(size))
    return None


def _skip(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":", 1)[1])
    except (ValueError, IndexError):
        raise CmdletError(ARGUMENT, "The skip token is invalid.") from None


def _injected(status: int, retry_after: float) -> web.Response:
    headers = {"Retry-After": f"{retry_after:g}"}
    if status == 429:
        body = {"error": {"code": "TooManyRequests", "message": _THROTTLED,
                          "details": [{"code": "Server", "target": "", "message": f"|{ODATA_EXCEPTION}|{_THROTTLED}"}],
                          "innererror": {"message": _THROTTLED, "type": ODATA_EXCEPTION}}}
    else:
        body = {"error": {"code": "ServiceUnavailable",
                          "message": "The service is temporarily unavailable. Please try again later."}}
    return web.json_response(body, status=status, headers=headers)


def add_routes(app: web.Application, ctx: Context) -> None:
    registry = build_registry()

    async def invoke(request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        cmdlet_name: str | None = None
        response: web.Response
        try:
            payload = json.loads(await request.read() or b"null")
            cmdlet_input = payload.get("CmdletInput") if isinstance(payload, dict) else None
            if isinstance(cmdlet_input, dict) and isinstance(cmdlet_input.get("CmdletName"), str):
                cmdlet_name = cmdlet_input["CmdletName"]
        except ValueError:
            payload, cmdlet_input = None, None
        rule = await ctx.fault("exchange", request.path)
        if rule is not None and rule.status is not None:
            response = _injected(rule.status, rule.retry_after)
        elif not ctx.is_our_tenant(tenant):
            response = web.json_response({"error": {"code": "NotFound", "message": f"Tenant '{tenant}' not found."}},
                                         status=404)
        else:
            response = await _authorized_invoke(request, cmdlet_input)
        ctx.state.log_call("exchange", request.method, request.path, response.status, cmdlet=cmdlet_name,
                           query=request.query_string)
        return response

    async def _authorized_invoke(request: web.Request, cmdlet_input: Any) -> web.Response:
        try:
            claims = ctx.issuer.validate(request.headers.get("Authorization"), EXCHANGE_RESOURCE)
        except TokenError as exc:
            return web.Response(status=401, headers={
                "WWW-Authenticate": _WWW_AUTHENTICATE,
                "x-ms-diagnostics": f'2000001;reason="The token is not valid: {exc.reason}.";'
                                    'error_category="invalid_token"'})
        if REQUIRED_ROLE not in claims.get("roles", []):
            return web.Response(status=403)
        try:
            if not isinstance(cmdlet_input, dict) or not isinstance(cmdlet_input.get("CmdletName"), str):
                raise CmdletError(ARGUMENT, "The request body must be {\"CmdletInput\": {\"CmdletName\": ..., "
                                            "\"Parameters\": {...}}}.")
            result = await registry.invoke(ctx.state, cmdlet_input["CmdletName"], cmdlet_input.get("Parameters"))
            body = _body(request, result)
        except CmdletError as error:
            return web.json_response(error.body(), status=error.status)
        except Exception as exc:  # an emulator bug: answer like a server-side cmdlet failure
            log.exception("devtenant exchange cmdlet failed")
            error = CmdletError(("", type(exc).__name__), repr(exc), status=500)
            return web.json_response(error.body(), status=500)
        return web.json_response(body)

    def _body(request: web.Request, result: CmdletResult) -> dict[str, Any]:
        tenant = request.match_info["tenant"]
        body: dict[str, Any] = {
            "@odata.context": f"{ctx.exchange_base}/{tenant}/$metadata#Collection(Exchange.GenericHashTable)"}
        if result.warnings:
            body["@adminapi.warnings"] = result.warnings
        values = _select(result.values, request.query.get("$select"))
        size = _page_size(request.headers.get("Prefer", "")) if result.pageable else None
        if size is not None:
            offset = _skip(request.query.get("$skiptoken"))
            if offset + size < len(values):
                token = base64.urlsafe_b64encode(f"skip:{offset + size}".encode()).decode().rstrip("=")
                select = request.query.get("$select")
                query = f"$skiptoken={token}" + (f"&$select={select}" if select else "")
                body["@odata.nextLink"] = f"{ctx.exchange_base}/{tenant}/InvokeCommand?{query}"
            values = values[offset: offset + size]
        body["value"] = values
        return body

    app.router.add_post("/adminapi/beta/{tenant}/InvokeCommand", invoke)

"""Exchange Online `InvokeCommand` and its JSON `$batch` (adminapi/beta): auth, faults, dispatch, paging, call log.

`$batch` takes `{"requests": [{"id", "method": "POST", "url": "<InvokeCommand URL>", "body": {CmdletInput},
"headers"}]}` (at most MAX_BATCH items, as CIPP sends them; more is a 400) and answers
`{"responses": [{"id", "status", "body"}]}` in order, errors in `body.error`.
Call log: every HTTP request is one `exchange` record (a `$batch` one has no cmdlet); each batch item is an
`exchange.batch` record with its cmdlet, so HTTP requests and cmdlets can be counted apart.
Faults apply to the `$batch` request as a whole and to each item (by the item's InvokeCommand path).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from devtenant.context import Context
from devtenant.exchange import distribution_groups, mailboxes, message_trace, permissions, recipients
from devtenant.exchange.cmdlets import CmdletCatalog
from devtenant.exchange.errors import ARGUMENT, ODATA_EXCEPTION, CmdletError
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.tokens import EXCHANGE_RESOURCE, TokenError

log = logging.getLogger(__name__)

REQUIRED_ROLE = "Exchange.ManageAsApp"
# Items per $batch: no limit is documented; CIPP sends 10 per batch, so the emulator refuses more.
MAX_BATCH = 10
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
    mailboxes.register(registry)
    permissions.register(registry)
    recipients.register(registry)
    message_trace.register(registry)
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


def _injected_parts(status: int, retry_after: float) -> tuple[dict[str, Any], dict[str, str]]:
    """Body and headers of an injected 429/5xx (for a whole request or one batch item)."""
    headers = {"Retry-After": f"{retry_after:g}"}
    if status == 429:
        body = {"error": {"code": "TooManyRequests", "message": _THROTTLED,
                          "details": [{"code": "Server", "target": "", "message": f"|{ODATA_EXCEPTION}|{_THROTTLED}"}],
                          "innererror": {"message": _THROTTLED, "type": ODATA_EXCEPTION}}}
    else:
        body = {"error": {"code": "ServiceUnavailable",
                          "message": "The service is temporarily unavailable. Please try again later."}}
    return body, headers


def _injected(status: int, retry_after: float) -> web.Response:
    body, headers = _injected_parts(status, retry_after)
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
            response = _tenant_not_found(tenant)
        else:
            unauthenticated = _authenticate(request)
            if unauthenticated is not None:
                response = unauthenticated
            else:
                status, body = await _run(tenant, cmdlet_input, request.query.get("$select"),
                                          request.query.get("$skiptoken"), request.headers.get("Prefer", ""))
                response = web.json_response(body, status=status)
        ctx.state.log_call("exchange", request.method, request.path, response.status, cmdlet=cmdlet_name,
                           query=request.query_string)
        return response

    def _authenticate(request: web.Request) -> web.Response | None:
        """None when the bearer token may run cmdlets, else the 401/403 Exchange answers with."""
        try:
            claims = ctx.issuer.validate(request.headers.get("Authorization"), EXCHANGE_RESOURCE)
        except TokenError as exc:
            return web.Response(status=401, headers={
                "WWW-Authenticate": _WWW_AUTHENTICATE,
                "x-ms-diagnostics": f'2000001;reason="The token is not valid: {exc.reason}.";'
                                    'error_category="invalid_token"'})
        if REQUIRED_ROLE not in claims.get("roles", []):
            return web.Response(status=403)
        return None

    async def _run(tenant: str, cmdlet_input: Any, select: str | None, skip_token: str | None,
                   prefer: str) -> tuple[int, dict[str, Any]]:
        """One cmdlet through the registry: (HTTP status, InvokeCommand body), for a single call or a batch item."""
        try:
            if not isinstance(cmdlet_input, dict) or not isinstance(cmdlet_input.get("CmdletName"), str):
                raise CmdletError(ARGUMENT, "The request body must be {\"CmdletInput\": {\"CmdletName\": ..., "
                                            "\"Parameters\": {...}}}.")
            result = await registry.invoke(ctx.state, cmdlet_input["CmdletName"], cmdlet_input.get("Parameters"))
            return 200, _body(tenant, result, select, skip_token, prefer)
        except CmdletError as error:
            return error.status, error.body()
        except Exception as exc:  # an emulator bug: answer like a server-side cmdlet failure
            log.exception("devtenant exchange cmdlet failed")
            failure = CmdletError(("", type(exc).__name__), repr(exc), status=500)
            return 500, failure.body()

    def _body(tenant: str, result: CmdletResult, select: str | None, skip_token: str | None,
              prefer: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "@odata.context": f"{ctx.exchange_base}/{tenant}/$metadata#Collection(Exchange.GenericHashTable)"}
        if result.warnings:
            body["@adminapi.warnings"] = result.warnings
        values = _select(result.values, select)
        size = _page_size(prefer) if result.pageable else None
        if size is not None:
            offset = _skip(skip_token)
            if offset + size < len(values):
                token = base64.urlsafe_b64encode(f"skip:{offset + size}".encode()).decode().rstrip("=")
                query = f"$skiptoken={token}" + (f"&$select={select}" if select else "")
                body["@odata.nextLink"] = f"{ctx.exchange_base}/{tenant}/InvokeCommand?{query}"
            values = values[offset: offset + size]
        body["value"] = values
        return body

    async def batch(request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        rule = await ctx.fault("exchange", request.path)
        if rule is not None and rule.status is not None:
            response = _injected(rule.status, rule.retry_after)
        elif not ctx.is_our_tenant(tenant):
            response = _tenant_not_found(tenant)
        else:
            response = _authenticate(request) or await _batch(request, tenant)
        # One record for the HTTP request (no cmdlet); each item adds an "exchange.batch" record of its own.
        ctx.state.log_call("exchange", request.method, request.path, response.status, query=request.query_string)
        return response

    async def _batch(request: web.Request, tenant: str) -> web.Response:
        try:
            payload = json.loads(await request.read() or b"null")
        except ValueError:
            payload = None
        items = payload.get("requests") if isinstance(payload, dict) else None
        problem = _batch_problem(items)
        if problem is not None:
            return web.json_response({"error": {"code": "BadRequest", "message": problem}}, status=400)
        responses = []
        for item in items or []:  # in order, each on its own: a failed item never stops the others
            responses.append(await _batch_item(tenant, item))
        return web.json_response({"responses": responses})

    async def _batch_item(tenant: str, item: dict[str, Any]) -> dict[str, Any]:
        url = urlsplit(str(item["url"]))
        query = parse_qs(url.query)
        item_body = item.get("body")
        body = item_body if isinstance(item_body, dict) else {}
        cmdlet_input = body.get("CmdletInput")
        name = cmdlet_input.get("CmdletName") if isinstance(cmdlet_input, dict) else None
        headers: dict[str, str] = {}
        rule = await ctx.fault("exchange", url.path)
        item_tenant = url.path.rstrip("/").split("/")[-2] if url.path.count("/") >= 2 else ""
        if rule is not None and rule.status is not None:
            status = rule.status
            result, headers = _injected_parts(rule.status, rule.retry_after)
        elif not url.path.lower().endswith("/invokecommand") or not ctx.is_our_tenant(item_tenant):
            status, result = 400, {"error": {"code": "BadRequest",
                                             "message": f"Invalid request URL in a batch: {item['url']}"}}
        else:
            item_headers = item.get("headers")
            prefer = item_headers.get("Prefer", "") if isinstance(item_headers, dict) else ""
            selects = query.get("$select")
            status, result = await _run(tenant, cmdlet_input, selects[0] if selects else None, None, str(prefer))
            result.pop("@odata.nextLink", None)  # inner reads answer in full: a batch has no next page
        ctx.state.log_call("exchange.batch", "POST", url.path, status, cmdlet=name if isinstance(name, str) else None,
                           query=url.query)
        entry: dict[str, Any] = {"id": str(item["id"]), "status": status, "body": result}
        if headers:
            entry["headers"] = headers
        return entry

    app.router.add_post("/adminapi/beta/{tenant}/InvokeCommand", invoke)
    app.router.add_post("/adminapi/beta/{tenant}/$batch", batch)


def _tenant_not_found(tenant: str) -> web.Response:
    return web.json_response({"error": {"code": "NotFound", "message": f"Tenant '{tenant}' not found."}}, status=404)


def _batch_problem(items: Any) -> str | None:
    """Why a $batch payload is refused as a whole (400), or None."""
    if not isinstance(items, list) or not items:
        return "The batch request must be {\"requests\": [...]} with at least one request."
    if len(items) > MAX_BATCH:
        return f"The number of requests in a batch can't exceed {MAX_BATCH}."
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or "id" not in item or not isinstance(item.get("url"), str):
            return "Each batch request needs an id, a method and a url."
        if str(item.get("method", "")).upper() != "POST":
            return "Batch requests to the Exchange admin API must use the POST method."
        if str(item["id"]) in seen:
            return f"Request id {item['id']} has to be unique in a batch."
        seen.add(str(item["id"]))
    return None

"""Graph v1.0 front door: bearer-token and permission checks, faults, write throttle, call log, `$batch`, glue."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from aiohttp import web
from multidict import CIMultiDict, MultiDict

from devtenant.context import Context
from devtenant.faults import is_identity_write
from devtenant.graph import groups, licensing, mail, reports, users
from devtenant.graph.core import JSON_CONTENT_TYPE, GraphError, GraphRequest, GraphResponse, Router
from devtenant.tokens import GRAPH_RESOURCE, TokenError

log = logging.getLogger(__name__)

MAX_BATCH = 20
_TOKEN_MESSAGES = {
    "empty": "Access token is empty.",
    "audience": "Access token validation failure. Invalid audience.",
    "expired": "Lifetime validation failed, the token is expired.",
    "signature": "Access token validation failure.",
    "malformed": "IDX14100: JWT is not well formed, there are no dots (.).",
}
_WWW_AUTHENTICATE = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize",'
                     ' client_id="00000003-0000-0000-c000-000000000000"')
_STATUS_CODES = {429: "TooManyRequests", 503: "serviceNotAvailable", 500: "generalException", 502: "BadGateway",
                 504: "GatewayTimeout"}


class GraphService:
    """Routes Graph requests; one instance per running emulator."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.router = Router()
        users.register(self.router, ctx)
        licensing.register(self.router, ctx)
        groups.register(self.router, ctx)
        reports.register(self.router, ctx)
        mail.register(self.router, ctx)
        self.router.add("POST", "/$batch", self.batch, ())

    # ------------------------------------------------------------------ responses
    def _inner_error(self, request: GraphRequest, request_id: str) -> dict[str, str]:
        return {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "request-id": request_id,
                "client-request-id": request.headers.get("client-request-id", request_id)}

    def error_response(self, request: GraphRequest, error: GraphError, request_id: str) -> GraphResponse:
        body = {"error": {"code": error.code, "message": error.message,
                          "innerError": self._inner_error(request, request_id)}}
        return GraphResponse(error.status, body, dict(error.headers))

    def injected_response(self, request: GraphRequest, status: int, retry_after: float,
                          request_id: str) -> GraphResponse:
        headers = {"Retry-After": f"{retry_after:g}"}
        inner = self._inner_error(request, request_id)
        if status == 429:
            # The shape of reference/graph/error.429-throttling.response.json.
            body = {"error": {"code": "TooManyRequests", "innerError": {
                "code": "429", "date": inner["date"], "message": "Please retry after",
                "request-id": request_id, "status": "429"}, "message": "Please retry again later."}}
        else:
            message = ("The service is not available. Try the request again after a delay. There may be a "
                       "Retry-After header.") if status == 503 else "An unspecified error has occurred."
            body = {"error": {"code": _STATUS_CODES.get(status, "generalException"), "message": message,
                              "innerError": inner}}
        return GraphResponse(status, body, headers)

    # ------------------------------------------------------------------ dispatch
    async def dispatch(self, request: GraphRequest, *, authorization: str | None = None,
                       inner: bool = False) -> GraphResponse:
        """Handle one request (top-level, or a `$batch` item that inherits the outer request's token)."""
        request_id = self.ctx.state.next_request_id()
        full_path = f"/v1.0{request.path}"
        rule = await self.ctx.fault("graph", full_path)
        if rule is not None and rule.status is not None:
            response = self.injected_response(request, rule.status, rule.retry_after, request_id)
        else:
            try:
                if not inner:
                    request.claims = self._authenticate(authorization)
                route, params = self.router.resolve(request.method, request.path)
                if route.roles and not route.roles & set(request.claims.get("roles", [])):
                    raise GraphError(403, "Authorization_RequestDenied",
                                     "Insufficient privileges to complete the operation.")
                retry_after = self._spend_write(request, full_path)
                if retry_after is not None:
                    response = self.throttled_write(request, retry_after, request_id)
                else:
                    response = await route.handler(request, **params)
            except GraphError as error:
                response = self.error_response(request, error, request_id)
            except Exception as exc:  # an emulator bug: answer like Graph's 500 and keep serving
                log.exception("devtenant graph handler failed for %s %s", request.method, full_path)
                response = self.error_response(request, GraphError(500, "generalException", repr(exc)), request_id)
        response.headers.setdefault("request-id", request_id)
        response.headers.setdefault("client-request-id", request.headers.get("client-request-id", request_id))
        self.ctx.state.log_call("graph.batch" if inner else "graph", request.method, full_path, response.status,
                                query=request.raw_query)
        return response

    def _spend_write(self, request: GraphRequest, full_path: str) -> float | None:
        """The identity write limit, when switched on: None if this request may write, else its Retry-After."""
        throttle = self.ctx.faults.write_throttle
        if throttle is None or not is_identity_write(request.method, full_path):
            return None
        return throttle.take(f"{request.claims.get('appid', '')}/{request.claims.get('tid', '')}")

    def throttled_write(self, request: GraphRequest, retry_after: float, request_id: str) -> GraphResponse:
        """Graph's 429 for the identity write limit: the throttling body plus the headers that name the scope."""
        response = self.injected_response(request, 429, retry_after, request_id)
        response.headers["x-ms-throttle-scope"] = (
            f"Tenant_Application/ReadWrite/{request.claims.get('appid', '')}/{request.claims.get('tid', '')}")
        response.headers["x-ms-throttle-information"] = "WriteLimitExceeded"
        return response

    def _authenticate(self, authorization: str | None) -> dict[str, Any]:
        try:
            return self.ctx.issuer.validate(authorization, GRAPH_RESOURCE)
        except TokenError as exc:
            raise GraphError(401, "InvalidAuthenticationToken", _TOKEN_MESSAGES[exc.reason],
                             headers={"WWW-Authenticate": _WWW_AUTHENTICATE}) from exc

    # ------------------------------------------------------------------ $batch
    async def batch(self, request: GraphRequest) -> GraphResponse:
        items = _batch_items(request.body)
        responses = []
        status_by_id: dict[str, int] = {}
        for item in _ordered(items):
            item_id = str(item["id"])
            failed = [d for d in item.get("dependsOn") or [] if status_by_id.get(str(d), 200) >= 400]
            if failed:
                response = GraphResponse(424, {"error": {"code": "FailedDependency",
                                                         "message": "The request depends on a request that failed."}})
            elif item["url"].lower().startswith(("http://", "https://")):
                # Batch items carry URLs relative to the version root; Graph refuses absolute ones.
                response = self.error_response(request, GraphError(
                    400, "BadRequest", "Invalid request URL: batch requests must use relative URLs."),
                    self.ctx.state.next_request_id())
            else:
                response = await self.dispatch(_item_request(item, request), inner=True)
            status_by_id[item_id] = response.status
            entry: dict[str, Any] = {"id": item_id, "status": response.status,
                                     "headers": {k: v for k, v in response.headers.items()
                                                 if k.lower() not in ("request-id", "client-request-id")}}
            if response.body is not None:
                entry["headers"].setdefault("Content-Type", JSON_CONTENT_TYPE)
                entry["body"] = response.body
            responses.append(entry)
        return GraphResponse(200, {"responses": responses})


def _batch_items(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    items = body["requests"]
    if not items:
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    if len(items) > MAX_BATCH:
        raise GraphError(400, "BadRequest", f"The number of batch requests in the payload exceeds the limit of "
                                            f"{MAX_BATCH}.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("id", "method", "url")):
            raise GraphError(400, "BadRequest", "Invalid batch payload format.")
        if item["id"] in seen:
            raise GraphError(400, "BadRequest", f"Request Id {item['id']} has to be unique in a batch.")
        seen.add(item["id"])
        headers = {k.lower() for k in (item.get("headers") or {})}
        if item.get("body") is not None and "content-type" not in headers:
            raise GraphError(400, "BadRequest", f"Content-Type header must be specified when a request body is "
                                                f"present (request id {item['id']}).")
    for item in items:
        for dep in item.get("dependsOn") or []:
            if str(dep) not in seen:
                raise GraphError(400, "BadRequest", f"Request dependency '{dep}' not found in batch.")
    return items


def _ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input order, except that a request runs after the requests it dependsOn."""
    done: set[str] = set()
    ordered: list[dict[str, Any]] = []
    pending = list(items)
    while pending:
        progressed = False
        for item in list(pending):
            if all(str(d) in done for d in item.get("dependsOn") or []):
                ordered.append(item)
                done.add(str(item["id"]))
                pending.remove(item)
                progressed = True
        if not progressed:
            raise GraphError(400, "BadRequest", "Circular dependency in batch request dependsOn.")
    return ordered


def _item_request(item: dict[str, Any], outer: GraphRequest) -> GraphRequest:
    url = item["url"]
    if not url.startswith("/"):
        url = "/" + url
    path, _, query = url.partition("?")
    headers: CIMultiDict[str] = CIMultiDict({str(k): str(v) for k, v in (item.get("headers") or {}).items()})
    return GraphRequest(method=item["method"].upper(), path=unquote(path),
                        query=MultiDict(parse_qsl(query, keep_blank_values=True)), headers=headers,
                        body=item.get("body"), claims=outer.claims, raw_query=query)


def add_routes(app: web.Application, ctx: Context) -> None:
    service = GraphService(ctx)

    async def handle(request: web.Request) -> web.Response:
        graph_request = GraphRequest(method=request.method, path="/" + request.match_info["tail"],
                                     query=MultiDict(request.query), headers=CIMultiDict(request.headers),
                                     raw_query=request.query_string)
        raw = await request.read()
        try:
            # A MIME message (creating a message, sendMail) travels base64 as text/plain; anything else is JSON.
            is_text = request.content_type == "text/plain"
            graph_request.body = raw.decode("ascii") if is_text else json.loads(raw) if raw.strip() else None
        except ValueError:
            response = service.error_response(graph_request, GraphError(
                400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set "
                                   "and payload is of valid JSON format."), ctx.state.next_request_id())
            ctx.state.log_call("graph", request.method, f"/v1.0{graph_request.path}", 400)
        else:
            response = await service.dispatch(graph_request, authorization=request.headers.get("Authorization"))
        headers = dict(response.headers)
        if response.body is None:
            return web.Response(status=response.status, headers=headers)
        headers["Content-Type"] = JSON_CONTENT_TYPE
        return web.Response(status=response.status, body=json.dumps(response.body).encode(), headers=headers)

    app.router.add_route("*", "/v1.0/{tail:.*}", handle)

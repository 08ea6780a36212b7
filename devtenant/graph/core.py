"""Graph request/response model, error type, router and the OData helpers ($select, $top, paging, context URLs)."""

from __future__ import annotations

import base64
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from multidict import CIMultiDict, MultiDict

from devtenant.context import Context

JSON_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


class GraphError(Exception):
    """An error Graph answers with `{"error": {"code", "message", "innerError"}}`."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def not_found(key: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound",
                      f"Resource '{key}' does not exist or one of its queried reference-property objects are not "
                      "present.")


def unsupported_query(message: str) -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", message)


@dataclass
class GraphRequest:
    """One Graph call, whether it came over HTTP or inside a `$batch`."""

    method: str
    path: str  # below /v1.0, e.g. "/users/abc/assignLicense"
    query: MultiDict[str]
    headers: CIMultiDict[str]
    body: Any = None
    claims: dict[str, Any] = field(default_factory=dict)
    raw_query: str = ""

    def option(self, name: str) -> str | None:
        """A system query option; Graph accepts `$top` and `top`, in any letter case."""
        wanted = name.lower().lstrip("$")
        for key, value in self.query.items():
            if key.lower().lstrip("$") == wanted:
                return value
        return None

    @property
    def advanced_query(self) -> bool:
        """Advanced query capabilities need ConsistencyLevel: eventual plus $count=true (or $search)."""
        eventual = self.headers.get("ConsistencyLevel", "").lower() == "eventual"
        return eventual and ((self.option("count") or "").lower() == "true" or self.option("search") is not None)


@dataclass
class GraphResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Awaitable[GraphResponse]]
Endpoint = Callable[..., Awaitable[GraphResponse]]  # (ctx, request, **path params)


def bind_context(ctx: Context, endpoint: Endpoint) -> Handler:
    """Turn an endpoint taking the shared context into a router handler."""
    async def handler(request: GraphRequest, **params: str) -> GraphResponse:
        return await endpoint(ctx, request, **params)
    return handler


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    roles: frozenset[str]


class Router:
    """Maps (method, path) to handlers. Path literals match case-insensitively, as Graph does."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, roles: Iterable[str]) -> None:
        regex = ""
        for part in re.split(r"(\{\w+\})", template):
            if part.startswith("{"):
                regex += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                regex += re.escape(part)
        self.routes.append(Route(method.upper(), re.compile(f"^{regex}/?$", re.IGNORECASE), handler,
                                 frozenset(roles)))

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed = False
        for route in self.routes:
            match = route.pattern.match(path)
            if match:
                if route.method == method.upper():
                    return route, match.groupdict()
                allowed = True
        if allowed:
            raise GraphError(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
        # Graph names the segment it could not bind: the root itself, or (under a known root) the last one.
        segment = next((s for s in path.split("/") if s), "")
        if any(route.pattern.match("/" + segment) for route in self.routes):
            segment = path.rstrip("/").rsplit("/", 1)[-1]
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


# ------------------------------------------------------------------ $select / projection
def parse_select(request: GraphRequest, known: Sequence[str], type_name: str) -> list[str] | None:
    raw = request.option("select")
    if raw is None or not raw.strip():
        return None
    wanted = []
    lookup = {k.lower(): k for k in known}
    for item in raw.split(","):
        name = item.strip()
        if not name:
            continue
        if name.lower() not in lookup:
            raise GraphError(400, "BadRequest", f"Could not find a property named '{name}' on type '{type_name}'.")
        if lookup[name.lower()] not in wanted:
            wanted.append(lookup[name.lower()])
    return wanted


def context_url(ctx: Context, fragment: str, select: list[str] | None = None, entity: bool = False) -> str:
    suffix = f"({','.join(select)})" if select else ""
    return f"{ctx.graph_base}/$metadata#{fragment}{suffix}{'/$entity' if entity else ''}"


# ------------------------------------------------------------------ $top / paging
def parse_top(request: GraphRequest, default: int = 100, maximum: int = 999) -> int:
    raw = request.option("top")
    if raw is None:
        return default
    try:
        top = int(raw)
    except ValueError:
        raise GraphError(400, "BadRequest", f"Invalid $top value '{raw}'.") from None
    if not 1 <= top <= maximum:
        raise unsupported_query(f"Invalid page size specified: '{top}'. Must be between 1 and {maximum} inclusive.")
    return top


def _encode_skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"DTSkip:{offset:08d}".encode()).decode().rstrip("=")


def _decode_skiptoken(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if not text.startswith("DTSkip:"):
            raise ValueError(text)
        return int(text[len("DTSkip:"):])
    except ValueError:
        raise GraphError(400, "Request_BadRequest", "Invalid or expired skip token.") from None


def page(ctx: Context, request: GraphRequest, items: list[dict[str, Any]], top: int,
         body: dict[str, Any]) -> dict[str, Any]:
    """Slice `items` for this request's $skiptoken and add an absolute @odata.nextLink when more remain."""
    token = request.option("skiptoken")
    offset = _decode_skiptoken(token) if token else 0
    chunk = items[offset: offset + top]
    if offset + top < len(items):
        params = [(k, v) for k, v in request.query.items() if k.lower().lstrip("$") != "skiptoken"]
        params.append(("$skiptoken", _encode_skiptoken(offset + top)))
        query = "&".join(f"{quote(k, safe='$')}={quote(v, safe=_SAFE)}" for k, v in params)
        body["@odata.nextLink"] = f"{ctx.graph_base}{request.path}?{query}"
    body["value"] = chunk
    return body


_SAFE = "$,()':@/"


def ok(body: Any, status: int = 200) -> GraphResponse:
    return GraphResponse(status, body)


def no_content() -> GraphResponse:
    return GraphResponse(204)

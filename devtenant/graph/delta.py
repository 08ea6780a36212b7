"""Graph `/users/delta` (change tracking with next/delta links, "@removed", manager@delta) and `/domains`."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from devtenant.context import Context
from devtenant.graph.core import (
    Endpoint,
    GraphError,
    GraphRequest,
    GraphResponse,
    Handler,
    Router,
    bind_context,
    context_url,
    not_found,
    ok,
    parse_select,
)
from devtenant.graph.views import USER_DEFAULTS, USER_PROPERTIES, USER_TYPE, user_view
from devtenant.states.directory import DomainRecord

DELTA_ROLES = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
DOMAIN_ROLES = ("Domain.Read.All", "Domain.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
# users/delta has no documented default page size; Graph's usual 100, and odata.maxpagesize up to 999.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 999
# `manager` is a navigation property: on delta it is tracked through $select, answered as manager@delta.
DELTA_SELECTABLE = (*USER_PROPERTIES, "manager")
DOMAIN_PROPERTIES = ("authenticationType", "availabilityStatus", "id", "isAdminManaged", "isDefault", "isInitial",
                     "isRoot", "isVerified", "passwordNotificationWindowInDays", "passwordValidityPeriodInDays",
                     "supportedServices", "state")
_MAXPAGESIZE = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)
_EXPIRED = ("syncStateNotFound",
            "The sync state generation is not found. The delta token is expired and data must be synchronized again.")


# ------------------------------------------------------------------ state tokens
def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(ctx: Context, token: str, kind: str) -> dict[str, Any]:
    """A skip ("s") or delta ("d") token of this emulator; expired ones answer like Graph's identity resources."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(payload, dict) or payload.get("k") != kind:
            raise ValueError(token)
        generation, since = int(payload["g"]), int(payload["s"])
    except (ValueError, KeyError, TypeError):
        raise GraphError(400, "Request_BadRequest", f"The {'skip' if kind == 's' else 'delta'} token is not valid.") \
            from None
    if generation != ctx.state.delta_generation:
        if ctx.state.delta_expiry_status(generation) == 410:
            # "Synchronization reset": 410 and a Location with an empty $deltatoken, i.e. the initial request.
            location = f"{ctx.graph_base}/users/delta?$deltatoken="
            if payload.get("sel"):
                location += "&$select=" + ",".join(payload["sel"])
            raise GraphError(410, "resyncRequired",
                             "The delta token is no longer valid, and the app must reset the sync state.",
                             headers={"Location": location})
        raise GraphError(400, *_EXPIRED)
    if since < 0 or since > ctx.state.user_change_seq:
        raise GraphError(400, *_EXPIRED)
    return payload


def _page_size(request: GraphRequest) -> tuple[int, bool]:
    """Prefer: odata.maxpagesize=N (clamped to 1..999), and whether the client asked for it."""
    match = _MAXPAGESIZE.search(request.headers.get("Prefer", ""))
    if not match:
        return DEFAULT_PAGE_SIZE, False
    return max(1, min(int(match.group(1)), MAX_PAGE_SIZE)), True


# ------------------------------------------------------------------ /users/delta
def _item(ctx: Context, user_id: str, select: list[str] | None, since: int) -> dict[str, Any]:
    state = ctx.state
    user = state.users.get(user_id)
    if user is None:
        # Soft-deleted users can be restored from deletedItems ("changed"); anything else is gone for good.
        return {"id": user_id, "@removed": {"reason": "changed" if user_id in state.deleted_users else "deleted"}}
    properties = [p for p in select if p != "manager"] if select is not None else list(USER_DEFAULTS)
    body = user_view(user, properties)
    body.setdefault("id", user["id"])  # id always comes back, selected or not
    if select is not None and "manager" in select:
        manager = user.get("manager")
        if manager:
            body["manager@delta"] = [{"@odata.type": f"#{USER_TYPE}", "id": manager}]
        elif since and (previous := state.previous_manager(user_id)):
            body["manager@delta"] = [{"@odata.type": f"#{USER_TYPE}", "id": previous,
                                      "@removed": {"reason": "deleted"}}]
    return body


async def users_delta(ctx: Context, request: GraphRequest) -> GraphResponse:
    state = ctx.state
    skip, delta = request.option("skiptoken"), request.option("deltatoken")
    if skip:
        # Later pages of a round: everything (round bounds, $select) comes from the token, not the query.
        token = _decode(ctx, skip, "s")
        since, upto, cursor, select = int(token["s"]), int(token["u"]), int(token["c"]), token.get("sel")
        first = False
    elif delta and delta.lower() != "latest":
        token = _decode(ctx, delta, "d")
        since, select = int(token["s"]), token.get("sel")
        upto, cursor, first = state.track_user_changes(), since, False
    else:
        # $expand, $top and $orderby are not supported on users/delta; like Graph, ignore them.
        select = parse_select(request, DELTA_SELECTABLE, USER_TYPE)
        upto = state.track_user_changes()
        if delta:  # $deltatoken=latest: "sync from now", an empty round
            return ok({"@odata.context": context_url(ctx, "users", select),
                       "@odata.deltaLink": _delta_link(ctx, upto, select), "value": []})
        since, cursor, first = 0, 0, True
    size, preferred = _page_size(request)
    tracked = frozenset(select) if select is not None else None
    chosen: list[tuple[str, int]] = []
    more = False
    for user_id, seq in state.user_changes_after(cursor):
        if seq > upto:
            break  # changed after this round began: the next round reports it
        if user_id in state.users and since and not state.user_changed_between(user_id, tracked, since, upto):
            continue  # only properties this round does not track changed
        if since == 0 and user_id not in state.users:
            continue  # the first round lists what exists
        if len(chosen) == size:
            more = True
            break
        chosen.append((user_id, seq))
    body: dict[str, Any] = {"@odata.context": context_url(ctx, "users", select if first else None)}
    if more:
        body["@odata.nextLink"] = (f"{ctx.graph_base}/users/delta?$skiptoken="
                                   + _encode({"k": "s", "g": state.delta_generation, "s": since, "u": upto,
                                              "c": chosen[-1][1], "sel": select}))
    else:
        body["@odata.deltaLink"] = _delta_link(ctx, upto, select)
    body["value"] = [_item(ctx, user_id, select, since) for user_id, _ in chosen]
    response = ok(body)
    if preferred:
        response.headers["Preference-Applied"] = f"odata.maxpagesize={size}"
    return response


def _delta_link(ctx: Context, upto: int, select: list[str] | None) -> str:
    token = _encode({"k": "d", "g": ctx.state.delta_generation, "s": upto, "sel": select})
    return f"{ctx.graph_base}/users/delta?$deltatoken={token}"


# ------------------------------------------------------------------ /domains
def _domain_view(ctx: Context, record: DomainRecord) -> dict[str, Any]:
    return {
        "authenticationType": "Managed",
        "availabilityStatus": None,
        "id": record["id"],
        "isAdminManaged": True,
        "isDefault": record["id"].lower() == ctx.state.domain.lower(),
        "isInitial": record["id"].lower() == ctx.state.initial_domain.lower(),
        "isRoot": True,
        "isVerified": record["isVerified"],
        "passwordNotificationWindowInDays": 14,
        "passwordValidityPeriodInDays": 2147483647,
        "supportedServices": list(record["supportedServices"]),
        "state": None,
    }


async def list_domains(ctx: Context, request: GraphRequest) -> GraphResponse:
    select = parse_select(request, DOMAIN_PROPERTIES, "microsoft.graph.domain")
    views = [_domain_view(ctx, d) for d in ctx.state.domain_records()]
    if select is not None:
        views = [{k: v[k] for k in select} for v in views]
    return ok({"@odata.context": context_url(ctx, "domains", select), "value": views})


async def get_domain(ctx: Context, request: GraphRequest, domain: str) -> GraphResponse:
    record = next((d for d in ctx.state.domain_records() if d["id"].lower() == domain.lower()), None)
    if record is None:
        raise not_found(domain)
    return ok({"@odata.context": context_url(ctx, "domains", entity=True), **_domain_view(ctx, record)})


def register(router: Router, ctx: Context) -> None:
    """Register before `/users/{user}`, which would otherwise take "delta" for a user key."""
    def bind(fn: Endpoint) -> Handler:
        return bind_context(ctx, fn)

    # The SDK asks for `/users/delta()`; Graph also answers the bare and the fully qualified names.
    for path in ("/users/delta", "/users/delta()", "/users/microsoft.graph.delta", "/users/microsoft.graph.delta()"):
        router.add("GET", path, bind(users_delta), DELTA_ROLES)
    router.add("GET", "/domains", bind(list_domains), DOMAIN_ROLES)
    router.add("GET", "/domains/{domain}", bind(get_domain), DOMAIN_ROLES)

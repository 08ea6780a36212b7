"""Graph `/groups`: list, get, members, owners, and the member writes Graph allows (security groups only)."""

from __future__ import annotations

from typing import Any

from devtenant.context import Context
from devtenant.graph.core import (
    Endpoint,
    GraphError,
    GraphRequest,
    GraphResponse,
    Handler,
    Router,
    bad_request,
    bind_context,
    context_url,
    no_content,
    not_found,
    ok,
    page,
    parse_select,
    parse_top,
)
from devtenant.graph.filters import apply_filter
from devtenant.graph.licensing import group_license_added, group_license_removed
from devtenant.graph.search import apply_search
from devtenant.graph.views import (
    GROUP_FILTER,
    GROUP_PROPERTIES,
    GROUP_TYPE,
    USER_FILTER,
    USER_PROPERTIES,
    USER_TYPE,
    group_view,
    user_view,
)

READ_ROLES = ("Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All",
              "Directory.Read.All", "Directory.ReadWrite.All")
WRITE_ROLES = ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")


def get_group(ctx: Context, key: str) -> dict[str, Any]:
    group = ctx.state.groups.get(key.lower())
    if group is None:
        raise not_found(key)
    return group


async def list_groups(ctx: Context, request: GraphRequest) -> GraphResponse:
    select = parse_select(request, GROUP_PROPERTIES, GROUP_TYPE)
    top = parse_top(request)
    count = (request.option("count") or "").lower() == "true"
    if count and not request.advanced_query:
        raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")
    if request.option("search") is not None and not request.advanced_query:
        raise GraphError(400, "Request_UnsupportedQuery",
                         "Request with $search query parameter only works through MSGraph with a special request "
                         "header: 'ConsistencyLevel: eventual'")
    groups = apply_filter(request.option("filter"), list(ctx.state.groups.values()), GROUP_FILTER,
                          advanced=request.advanced_query)
    groups = apply_search(request.option("search"), groups, ("displayName", "description", "mail", "mailNickname"),
                          "Group")
    orderby = request.option("orderby")
    if orderby:
        prop, _, direction = orderby.strip().partition(" ")
        if prop.lower() != "displayname":
            raise GraphError(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
        groups = sorted(groups, key=lambda g: g["displayName"].lower(), reverse=direction.lower() == "desc")
    body: dict[str, Any] = {"@odata.context": context_url(ctx, "groups", select)}
    if count:
        body["@odata.count"] = len(groups)
    body = page(ctx, request, groups, top, body)
    body["value"] = [group_view(g, select) for g in body["value"]]
    return ok(body)


async def get_group_handler(ctx: Context, request: GraphRequest, group: str) -> GraphResponse:
    record = get_group(ctx, group)
    select = parse_select(request, GROUP_PROPERTIES, GROUP_TYPE)
    return ok({"@odata.context": context_url(ctx, "groups", select, entity=True), **group_view(record, select)})


async def list_members(ctx: Context, request: GraphRequest, group: str) -> GraphResponse:
    record = get_group(ctx, group)
    select = parse_select(request, USER_PROPERTIES, USER_TYPE)
    members = [ctx.state.users[m] for m in ctx.state.group_members[record["id"]] if m in ctx.state.users]
    if request.option("filter") is not None and not request.advanced_query:
        # Filtering members is an advanced query in Graph.
        raise GraphError(400, "Request_UnsupportedQuery",
                         "The specified filter to the reference property query is currently not supported.")
    members = apply_filter(request.option("filter"), members, USER_FILTER, advanced=True)
    context = context_url(ctx, "directoryObjects", select)
    body: dict[str, Any] = {"@odata.context": context}
    if (request.option("count") or "").lower() == "true" and request.advanced_query:
        body["@odata.count"] = len(members)
    body = page(ctx, request, members, parse_top(request), body)
    body["value"] = [user_view(u, select, typed=True) for u in body["value"]]
    return ok(body)


async def list_owners(ctx: Context, request: GraphRequest, group: str) -> GraphResponse:
    # Distribution lists and mail-enabled security groups keep their owners in Exchange's ManagedBy;
    # Graph returns an empty owners list for them (and this tenant's security groups have no owners).
    get_group(ctx, group)
    return ok({"@odata.context": context_url(ctx, "directoryObjects"), "value": []})


def _ref_target(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("@odata.id"), str):
        raise bad_request("Invalid request body: '@odata.id' is required.", code="BadRequest")
    return body["@odata.id"].rstrip("/").rsplit("/", 1)[-1].strip("'()")


def _ensure_writable(group: dict[str, Any]) -> None:
    if group["mailEnabled"] and not group["groupTypes"]:
        raise bad_request("Cannot Update a mail-enabled security groups and or distribution list.")


async def add_member(ctx: Context, request: GraphRequest, group: str) -> GraphResponse:
    record = get_group(ctx, group)
    target = _ref_target(request.body)
    user = ctx.state.users.get(target.lower())
    if user is None:
        raise not_found(target)
    _ensure_writable(record)
    members = ctx.state.group_members[record["id"]]
    if user["id"] in members:
        raise bad_request("One or more added object references already exist for the following modified "
                          "properties: 'members'.")
    members.append(user["id"])
    for license in record.get("assignedLicenses", []):
        group_license_added(ctx.state, user, license["skuId"], record["id"])
    return no_content()


async def remove_member(ctx: Context, request: GraphRequest, group: str, member: str) -> GraphResponse:
    record = get_group(ctx, group)
    _ensure_writable(record)
    members = ctx.state.group_members[record["id"]]
    if member.lower() not in members:
        raise not_found(member)
    members.remove(member.lower())
    user = ctx.state.users.get(member.lower())
    if user is not None:
        for license in record.get("assignedLicenses", []):
            group_license_removed(ctx.state, user, license["skuId"], record["id"])
    return no_content()


def register(router: Router, ctx: Context) -> None:
    def bind(fn: Endpoint) -> Handler:
        return bind_context(ctx, fn)

    router.add("GET", "/groups", bind(list_groups), READ_ROLES)
    router.add("GET", "/groups/{group}", bind(get_group_handler), READ_ROLES)
    router.add("GET", "/groups/{group}/members", bind(list_members), READ_ROLES)
    router.add("GET", "/groups/{group}/transitiveMembers", bind(list_members), READ_ROLES)
    router.add("GET", "/groups/{group}/owners", bind(list_owners), READ_ROLES)
    router.add("POST", "/groups/{group}/members/$ref", bind(add_member), WRITE_ROLES)
    router.add("DELETE", "/groups/{group}/members/{member}/$ref", bind(remove_member), WRITE_ROLES)

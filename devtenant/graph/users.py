"""Graph `/users`: list with $filter/$select/paging, get, update, manager, group membership queries."""

from __future__ import annotations

from typing import Any

from devtenant.context import Context
from devtenant.countries import iso_country_codes
from devtenant.graph import delta
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

USER_SEARCHABLE = ("displayName", "givenName", "surname", "mail", "userPrincipalName", "mailNickname", "jobTitle",
                   "department")
READ_ROLES = ("User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All",
              "User.ReadBasic.All")
WRITE_ROLES = ("User.ReadWrite.All", "Directory.ReadWrite.All")
# Graph serves signInActivity only to apps that also hold AuditLog.Read.All (M365-APIS.md §1.3).
SIGN_IN_ROLE = "AuditLog.Read.All"
MEMBERSHIP_ROLES = ("GroupMember.Read.All", "Group.Read.All", "Directory.Read.All", "Directory.ReadWrite.All",
                    "User.Read.All", "User.ReadWrite.All")

_WRITABLE: dict[str, type | tuple[type, ...]] = {
    "accountEnabled": bool, "usageLocation": (str, type(None)), "department": (str, type(None)),
    "jobTitle": (str, type(None)), "displayName": str, "givenName": (str, type(None)), "surname": (str, type(None)),
    "officeLocation": (str, type(None)), "preferredLanguage": (str, type(None)), "mobilePhone": (str, type(None)),
    "businessPhones": list, "city": (str, type(None)), "country": (str, type(None)),
    "companyName": (str, type(None)), "employeeId": (str, type(None)),
}
_READ_ONLY = ("id", "assignedLicenses", "licenseAssignmentStates", "createdDateTime", "proxyAddresses",
              "signInActivity", "onPremisesSyncEnabled", "mail", "userPrincipalName", "mailNickname", "userType")


def _check_sign_in_access(request: GraphRequest, select: list[str] | None) -> None:
    if select and "signInActivity" in select and SIGN_IN_ROLE not in request.claims.get("roles", []):
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def get_user(ctx: Context, key: str) -> dict[str, Any]:
    user = ctx.state.find_user(key)
    if user is None:
        raise not_found(key)
    return user


def _expand_manager(ctx: Context, request: GraphRequest, user: dict[str, Any], body: dict[str, Any]) -> None:
    expand = request.option("expand")
    if not expand:
        return
    name, _, rest = expand.partition("(")
    if name.strip().lower() != "manager":
        raise GraphError(400, "BadRequest", f"Could not find a property named '{name.strip()}' on type "
                                            f"'{USER_TYPE}'.")
    select = None
    if rest.lower().startswith("$select="):
        select = [s.strip() for s in rest[len("$select="):].rstrip(")").split(",") if s.strip()]
    manager = ctx.state.users.get(user.get("manager") or "")
    if manager is not None:
        body["manager"] = user_view(manager, select, typed=True)


def _sorted(request: GraphRequest, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    orderby = request.option("orderby")
    if not orderby:
        return users
    prop, _, direction = orderby.strip().partition(" ")
    if prop.lower() not in ("displayname", "userprincipalname") and not request.advanced_query:
        raise GraphError(400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
    key = next((p for p in USER_PROPERTIES if p.lower() == prop.lower()), None)
    if key is None:
        raise GraphError(400, "BadRequest", f"Could not find a property named '{prop}' on type '{USER_TYPE}'.")
    return sorted(users, key=lambda u: str(u.get(key) or "").lower(), reverse=direction.lower() == "desc")


async def list_users(ctx: Context, request: GraphRequest) -> GraphResponse:
    select = parse_select(request, USER_PROPERTIES, USER_TYPE)
    _check_sign_in_access(request, select)
    top = parse_top(request)
    count = (request.option("count") or "").lower() == "true"
    if count and not request.advanced_query:
        raise GraphError(400, "Request_BadRequest", "$count is not currently supported.")
    if request.option("search") is not None and not request.advanced_query:
        raise GraphError(400, "Request_UnsupportedQuery",
                         "Request with $search query parameter only works through MSGraph with a special request "
                         "header: 'ConsistencyLevel: eventual'")
    users = apply_filter(request.option("filter"), list(ctx.state.users.values()), USER_FILTER,
                         advanced=request.advanced_query)
    users = apply_search(request.option("search"), users, USER_SEARCHABLE, "User")
    users = _sorted(request, users)
    body: dict[str, Any] = {"@odata.context": context_url(ctx, "users", select)}
    if count:
        body["@odata.count"] = len(users)
    paged = page(ctx, request, users, top, body)
    views = []
    for user in paged["value"]:
        view = user_view(user, select)
        _expand_manager(ctx, request, user, view)
        views.append(view)
    paged["value"] = views
    # Graph puts @odata.nextLink before value; keep that order for readers of raw JSON.
    return ok({k: paged[k] for k in ("@odata.context", "@odata.count", "@odata.nextLink", "value") if k in paged})


async def get_user_handler(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    select = parse_select(request, USER_PROPERTIES, USER_TYPE)
    _check_sign_in_access(request, select)
    body = {"@odata.context": context_url(ctx, "users", select, entity=True), **user_view(record, select)}
    _expand_manager(ctx, request, record, body)
    return ok(body)


def validate_patch(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise bad_request("Invalid request body: expected a JSON object with the properties to update.",
                          code="BadRequest")
    changes: dict[str, Any] = {}
    for key, value in body.items():
        if key.startswith("@odata."):
            continue
        name = next((p for p in USER_PROPERTIES if p.lower() == key.lower()), None)
        if name is None:
            raise bad_request(f"The property '{key}' does not exist on type '{USER_TYPE}'. Make sure to only use "
                              "property names that are defined by the type or mark the type as open type.",
                              code="BadRequest")
        if name in _READ_ONLY or name not in _WRITABLE:
            raise bad_request(f"Property '{name}' is read-only and cannot be set.")
        if not isinstance(value, _WRITABLE[name]) or (name != "accountEnabled" and isinstance(value, bool)):
            raise bad_request(f"Invalid value specified for property '{name}' of resource 'User'.")
        if name == "usageLocation" and isinstance(value, str):  # None clears it: nothing to check
            if value.upper() not in iso_country_codes():
                raise bad_request("Invalid value specified for property 'usageLocation' of resource 'User'.")
            value = value.upper()
        changes[name] = value
    return changes


async def update_user(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    changes = validate_patch(request.body)
    if "usageLocation" in changes and changes["usageLocation"] is None and record["assignedLicenses"]:
        # A licensed user must keep a usage location.
        raise bad_request("Invalid value specified for property 'usageLocation' of resource 'User'.")
    record.update(changes)
    ctx.state.record_user_change(record["id"])
    return no_content()


async def get_manager(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    manager = ctx.state.users.get(record.get("manager") or "")
    if manager is None:
        raise not_found("manager")
    select = parse_select(request, USER_PROPERTIES, USER_TYPE)
    return ok({"@odata.context": context_url(ctx, "directoryObjects", select, entity=True),
               **user_view(manager, select, typed=True)})


async def direct_reports(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    select = parse_select(request, USER_PROPERTIES, USER_TYPE)
    reports = [u for u in ctx.state.users.values() if u.get("manager") == record["id"]]
    body = page(ctx, request, reports, parse_top(request), {"@odata.context": context_url(ctx, "directoryObjects")})
    body["value"] = [user_view(u, select, typed=True) for u in body["value"]]
    return ok(body)


async def member_of(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    select = parse_select(request, GROUP_PROPERTIES, GROUP_TYPE)
    groups = apply_filter(request.option("filter"), ctx.state.member_of(record["id"]), GROUP_FILTER,
                          advanced=request.advanced_query)
    body = page(ctx, request, groups, parse_top(request), {"@odata.context": context_url(ctx, "directoryObjects")})
    body["value"] = [group_view(g, select, typed=True) for g in body["value"]]
    return ok(body)


def _group_ids(body: Any, name: str = "groupIds") -> list[str]:
    if not isinstance(body, dict) or not isinstance(body.get(name), list):
        raise bad_request(f"One or more parameters of the operation 'checkMemberGroups' are missing from the request "
                          f"payload. The missing parameters are: {name}.", code="BadRequest")
    ids = body[name]
    if len(ids) > 20:
        raise bad_request("The number of groupIds must be less than or equal to 20.")
    return [str(i).lower() for i in ids]


async def check_member_groups(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    wanted = _group_ids(request.body)
    mine = {g["id"] for g in ctx.state.member_of(record["id"])}
    return ok({"@odata.context": f"{ctx.graph_base}/$metadata#Collection(Edm.String)",
               "value": [g for g in wanted if g in mine]})


async def get_member_groups(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = get_user(ctx, user)
    body = request.body if isinstance(request.body, dict) else {}
    security_only = bool(body.get("securityEnabledOnly"))
    groups = [g for g in ctx.state.member_of(record["id"]) if g["securityEnabled"] or not security_only]
    return ok({"@odata.context": f"{ctx.graph_base}/$metadata#Collection(Edm.String)",
               "value": [g["id"] for g in groups]})


def register(router: Router, ctx: Context) -> None:
    def bind(fn: Endpoint) -> Handler:
        return bind_context(ctx, fn)

    delta.register(router, ctx)  # first: `/users/delta` must win over `/users/{user}`
    router.add("GET", "/users", bind(list_users), READ_ROLES)
    router.add("GET", "/users/{user}", bind(get_user_handler), READ_ROLES)
    router.add("PATCH", "/users/{user}", bind(update_user), WRITE_ROLES)
    router.add("GET", "/users/{user}/manager", bind(get_manager), READ_ROLES)
    router.add("GET", "/users/{user}/directReports", bind(direct_reports), READ_ROLES)
    router.add("GET", "/users/{user}/memberOf", bind(member_of), MEMBERSHIP_ROLES)
    router.add("GET", "/users/{user}/transitiveMemberOf", bind(member_of), MEMBERSHIP_ROLES)
    router.add("POST", "/users/{user}/checkMemberGroups", bind(check_member_groups), MEMBERSHIP_ROLES)
    router.add("POST", "/users/{user}/getMemberGroups", bind(get_member_groups), MEMBERSHIP_ROLES)

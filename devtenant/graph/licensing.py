"""Graph licensing: assignLicense (with Entra's real errors), licenseDetails, subscribedSkus, group licensing."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from devtenant.context import Context
from devtenant.graph.core import (
    Endpoint,
    GraphRequest,
    GraphResponse,
    Handler,
    Router,
    bad_request,
    bind_context,
    context_url,
    not_found,
    ok,
    parse_select,
)
from devtenant.graph.views import USER_PROPERTIES, user_view
from devtenant.state import TenantState
from devtenant.states.stamps import iso

ASSIGN_ROLES = ("LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All")
READ_ROLES = ("LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All", "User.Read.All",
              "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
SKU_ROLES = ("LicenseAssignment.Read.All", "LicenseAssignment.ReadWrite.All", "Organization.Read.All",
             "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _now() -> str:
    return iso(datetime.now(UTC))


def _guid(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _GUID.match(value):
        raise bad_request(f"Invalid value specified for property '{what}' of resource 'AssignedLicense'.",
                          code="BadRequest")
    return value.lower()


def _parse_body(body: Any) -> tuple[list[tuple[str, list[str]]], list[str]]:
    if not isinstance(body, dict):
        body = {}
    missing = [p for p in ("addLicenses", "removeLicenses") if p not in body]
    if missing:
        raise bad_request("One or more parameters of the operation 'assignLicense' are missing from the request "
                          f"payload. The missing parameters are: {', '.join(missing)}.", code="BadRequest")
    add_raw, remove_raw = body["addLicenses"] or [], body["removeLicenses"] or []
    if not isinstance(add_raw, list) or not isinstance(remove_raw, list):
        raise bad_request("addLicenses and removeLicenses must be collections.", code="BadRequest")
    add: list[tuple[str, list[str]]] = []
    for item in add_raw:
        if not isinstance(item, dict) or "skuId" not in item:
            raise bad_request("Invalid value specified for property 'skuId' of resource 'AssignedLicense'.",
                              code="BadRequest")
        plans = item.get("disabledPlans") or []
        if not isinstance(plans, list):
            raise bad_request("Invalid value specified for property 'disabledPlans' of resource 'AssignedLicense'.",
                              code="BadRequest")
        add.append((_guid(item["skuId"], "skuId"), [_guid(p, "disabledPlans") for p in plans]))
    remove = [_guid(sku, "removeLicenses") for sku in remove_raw]
    return add, remove


def assign_license(state: TenantState, user: dict[str, Any], add: list[tuple[str, list[str]]],
                   remove: list[str]) -> None:
    """Apply an assignLicense call to the user, raising Graph's error for anything Entra would refuse."""
    for sku_id in [s for s, _ in add] + remove:
        if sku_id not in state.skus:
            raise bad_request(f"License {sku_id} does not correspond to a valid company License.")
    states = user["licenseAssignmentStates"]
    for sku_id in remove:
        holding = [s for s in states if s["skuId"] == sku_id]
        if not holding:
            raise bad_request("User does not have a corresponding license.")
        if all(s["assignedByGroup"] is not None for s in holding):
            raise bad_request("User license is inherited from a group membership and it cannot be removed "
                              "directly from the user.")
    if add and not user.get("usageLocation"):
        raise bad_request("License assignment cannot be done for user with invalid usage location.")
    for sku_id, plans in add:
        known_plans = {p["servicePlanId"] for p in state.skus[sku_id]["servicePlans"]}
        unknown = [p for p in plans if p not in known_plans]
        if unknown:
            raise bad_request(f"Service plan {unknown[0]} does not correspond to a valid service plan in license "
                              f"{sku_id}.")
        already = any(a["skuId"] == sku_id for a in user["assignedLicenses"])
        if not already and state.free_units(sku_id) <= 0:
            raise bad_request(f"Subscription with SKU {sku_id} does not have any available licenses.")
    now = _now()
    user["licenseAssignmentStates"] = [s for s in states
                                       if not (s["skuId"] in remove and s["assignedByGroup"] is None)]
    for sku_id, plans in add:
        direct = next((s for s in user["licenseAssignmentStates"]
                       if s["skuId"] == sku_id and s["assignedByGroup"] is None), None)
        if direct is None:
            user["licenseAssignmentStates"].append({"skuId": sku_id, "assignedByGroup": None, "disabledPlans": plans,
                                                    "state": "Active", "error": "None",
                                                    "lastUpdatedDateTime": now})
        elif direct["disabledPlans"] != plans:
            direct.update(disabledPlans=plans, lastUpdatedDateTime=now)
    state.sync_assigned_licenses(user)


def group_license_added(state: TenantState, user: dict[str, Any], sku_id: str, group_id: str) -> None:
    """A user joined a licensing group: the license is processed, or fails with CountViolation if seats ran out."""
    has_it = any(a["skuId"] == sku_id for a in user["assignedLicenses"])
    ok_to_assign = has_it or (bool(user.get("usageLocation")) and state.free_units(sku_id) > 0)
    error = "None" if ok_to_assign else ("CountViolation" if user.get("usageLocation") else "Other")
    user["licenseAssignmentStates"].append({
        "skuId": sku_id, "assignedByGroup": group_id, "disabledPlans": [],
        "state": "Active" if ok_to_assign else "Error", "error": error, "lastUpdatedDateTime": _now()})
    state.sync_assigned_licenses(user)


def group_license_removed(state: TenantState, user: dict[str, Any], sku_id: str, group_id: str) -> None:
    user["licenseAssignmentStates"] = [s for s in user["licenseAssignmentStates"]
                                       if not (s["skuId"] == sku_id and s["assignedByGroup"] == group_id)]
    state.sync_assigned_licenses(user)


async def assign_license_handler(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = ctx.state.find_user(user)
    if record is None:
        raise not_found(user)
    add, remove = _parse_body(request.body)
    assign_license(ctx.state, record, add, remove)
    return ok({"@odata.context": f"{ctx.graph_base}/$metadata#users/$entity",
               **user_view(record, [p for p in USER_PROPERTIES if p not in ("signInActivity",)])})


def _license_detail(state: TenantState, user_id: str, assigned: dict[str, Any]) -> dict[str, Any]:
    sku = state.skus[assigned["skuId"]]
    disabled = set(assigned["disabledPlans"])
    return {
        # Real ids are opaque base64 strings; a stable uuid5 is just as opaque.
        "id": str(uuid.uuid5(uuid.UUID(user_id), assigned["skuId"])),
        "skuId": sku["skuId"],
        "skuPartNumber": sku["skuPartNumber"],
        "servicePlans": [{"servicePlanId": p["servicePlanId"], "servicePlanName": p["servicePlanName"],
                          "provisioningStatus": "Disabled" if p["servicePlanId"] in disabled else "Success",
                          "appliesTo": "User"} for p in sku["servicePlans"]],
    }


async def license_details(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
    record = ctx.state.find_user(user)
    if record is None:
        raise not_found(user)
    items = [_license_detail(ctx.state, record["id"], a) for a in record["assignedLicenses"]
             if a["skuId"] in ctx.state.skus]
    select = parse_select(request, ("id", "skuId", "skuPartNumber", "servicePlans"),
                          "microsoft.graph.licenseDetails")
    if select:
        items = [{k: item[k] for k in select} for item in items]
    return ok({"@odata.context": f"{ctx.graph_base}/$metadata#users('{record['id']}')/licenseDetails",
               "value": items})


_SKU_PROPERTIES = ("accountName", "accountId", "appliesTo", "capabilityStatus", "consumedUnits", "id",
                   "prepaidUnits", "servicePlans", "skuId", "skuPartNumber", "subscriptionIds")


async def subscribed_skus(ctx: Context, request: GraphRequest) -> GraphResponse:
    if request.option("filter") is not None:
        raise bad_request("Query option 'Filter' is not allowed. To allow it, set the 'AllowedQueryOptions' "
                          "property on EnableQueryAttribute or QueryValidationSettings.", code="BadRequest")
    select = parse_select(request, _SKU_PROPERTIES, "microsoft.graph.subscribedSku")
    skus = ctx.state.subscribed_skus()
    if select:
        skus = [{k: s[k] for k in select} for s in skus]
    return ok({"@odata.context": context_url(ctx, "subscribedSkus", select), "value": skus})


async def subscribed_sku(ctx: Context, request: GraphRequest, sku: str) -> GraphResponse:
    for item in ctx.state.subscribed_skus():
        if item["id"].lower() == sku.lower():
            return ok({"@odata.context": context_url(ctx, "subscribedSkus", entity=True), **item})
    raise not_found(sku)


_SUBSCRIPTION_PROPERTIES = ("id", "commerceSubscriptionId", "createdDateTime", "isTrial", "nextLifecycleDateTime",
                            "ownerId", "ownerTenantId", "ownerType", "serviceStatus", "skuId", "skuPartNumber",
                            "status", "totalLicenses")


async def subscriptions(ctx: Context, request: GraphRequest) -> GraphResponse:
    """`GET /directory/subscriptions` (companySubscription, v1.0): the tenant's subscriptions and their end dates."""
    select = parse_select(request, _SUBSCRIPTION_PROPERTIES, "microsoft.graph.companySubscription")
    items = ctx.state.subscriptions()
    if select:
        items = [{k: item[k] for k in select} for item in items]
    return ok({"@odata.context": context_url(ctx, "directory/subscriptions", select), "value": items})


async def subscription(ctx: Context, request: GraphRequest, subscription_id: str) -> GraphResponse:
    for item in ctx.state.subscriptions():
        if subscription_id.lower() in (item["id"], item["commerceSubscriptionId"]):
            return ok({"@odata.context": context_url(ctx, "directory/subscriptions", entity=True), **item})
    raise not_found(subscription_id)


def register(router: Router, ctx: Context) -> None:
    def bind(fn: Endpoint) -> Handler:
        return bind_context(ctx, fn)

    router.add("POST", "/users/{user}/assignLicense", bind(assign_license_handler), ASSIGN_ROLES)
    router.add("GET", "/users/{user}/licenseDetails", bind(license_details), READ_ROLES)
    router.add("GET", "/subscribedSkus", bind(subscribed_skus), SKU_ROLES)
    router.add("GET", "/subscribedSkus/{sku}", bind(subscribed_sku), SKU_ROLES)
    router.add("GET", "/directory/subscriptions", bind(subscriptions), SKU_ROLES)
    router.add("GET", "/directory/subscriptions/{subscription_id}", bind(subscription), SKU_ROLES)

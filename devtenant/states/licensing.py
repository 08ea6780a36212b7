"""Licensing: the tenant's SKUs (seats, service plans, subscription dates) and who holds which license, and how."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypedDict

from devtenant.seed import SeedSku
from devtenant.states.directory import Directory, UserRecord
from devtenant.states.stamps import SEED_EPOCH, iso, stable_number

# Subscriptions renew (nextLifecycleDateTime) this many days after the reset; Business Standard is the one
# ending soon (the "subscription about to end" alert), the others are months away.
_SUBSCRIPTION_DAYS = {"O365_BUSINESS_PREMIUM": 20}


class PrepaidUnits(TypedDict):
    enabled: int
    suspended: int
    warning: int
    lockedOut: int


class SkuRecord(TypedDict):
    """A SKU the tenant bought: Graph's subscribedSku fields that do not change, plus the subscription's dates."""

    skuId: str
    skuPartNumber: str
    productName: str
    prepaidUnits: PrepaidUnits
    servicePlans: list[dict[str, str]]  # {"servicePlanId", "servicePlanName"}, as the seed lists them
    subscriptionIds: list[str]
    capabilityStatus: str
    appliesTo: str
    createdDateTime: str
    nextLifecycleDateTime: str


class Licensing:
    """The SKUs and their seats; each user's licenses live on the user record (as Graph shows them)."""

    def __init__(self, directory: Directory, *, tenant_id: str) -> None:
        self._directory = directory
        self.tenant_id = tenant_id
        self.skus: dict[str, SkuRecord] = {}

    def add_sku(self, sku: SeedSku, reference_time: datetime) -> None:
        """A seeded SKU; its subscription renews a stable number of days after `reference_time`."""
        self.skus[sku.sku_id] = {
            "skuId": sku.sku_id,
            "skuPartNumber": sku.sku_part_number,
            "productName": sku.product_name,
            "prepaidUnits": {"enabled": sku.prepaid_enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
            "servicePlans": [dict(p) for p in sku.service_plans],
            "subscriptionIds": [str(uuid.uuid5(uuid.UUID(self.tenant_id), f"subscription:{sku.sku_id}"))],
            "capabilityStatus": "Enabled",
            "appliesTo": "User",
            "createdDateTime": iso(SEED_EPOCH + timedelta(days=stable_number(sku.sku_id) % 200)),
            "nextLifecycleDateTime": iso(reference_time + timedelta(
                days=_SUBSCRIPTION_DAYS.get(sku.sku_part_number, 90 + stable_number(sku.sku_id) % 240))),
        }

    def add_license_state(self, user_id: str, sku_id: str, group_id: str | None) -> None:
        """A seeded, active license: direct (group_id None) or inherited from a licensing group."""
        user = self._directory.users[user_id]
        user["licenseAssignmentStates"].append({
            "skuId": sku_id,
            "assignedByGroup": group_id,
            "disabledPlans": [],
            "state": "Active",
            "error": "None",
            "lastUpdatedDateTime": user["createdDateTime"],
        })
        self.sync_assigned_licenses(user)

    @staticmethod
    def sync_assigned_licenses(user: UserRecord) -> None:
        """Recompute `assignedLicenses` from `licenseAssignmentStates` (one entry per SKU, as Graph shows)."""
        seen: dict[str, dict[str, Any]] = {}
        for state in user["licenseAssignmentStates"]:
            if state["state"] != "Active":
                continue
            entry = seen.setdefault(state["skuId"], {"disabledPlans": list(state["disabledPlans"]),
                                                      "skuId": state["skuId"]})
            if state["assignedByGroup"] is None:  # a direct assignment's disabled plans win
                entry["disabledPlans"] = list(state["disabledPlans"])
        user["assignedLicenses"] = list(seen.values())

    def consumed_units(self, sku_id: str) -> int:
        return sum(1 for u in self._directory.users.values()
                   if any(a["skuId"] == sku_id for a in u["assignedLicenses"]))

    def subscribed_skus(self) -> list[dict[str, Any]]:
        """`subscribedSku` resources with consumedUnits computed from the current assignments."""
        result = []
        for sku in self.skus.values():
            result.append({
                "accountName": self._directory.organization_name,
                "accountId": self.tenant_id,
                "appliesTo": sku["appliesTo"],
                "capabilityStatus": sku["capabilityStatus"],
                "consumedUnits": self.consumed_units(sku["skuId"]),
                "id": f"{self.tenant_id}_{sku['skuId']}",
                "prepaidUnits": dict(sku["prepaidUnits"]),
                "servicePlans": [{"servicePlanId": p["servicePlanId"], "servicePlanName": p["servicePlanName"],
                                  "provisioningStatus": "Success", "appliesTo": "User"}
                                 for p in sku["servicePlans"]],
                "skuId": sku["skuId"],
                "skuPartNumber": sku["skuPartNumber"],
                "subscriptionIds": list(sku["subscriptionIds"]),
            })
        return result

    def subscriptions(self) -> list[dict[str, Any]]:
        """`companySubscription` resources (`/directory/subscriptions`): one per SKU, as this tenant buys them."""
        result = []
        for sku in self.skus.values():
            result.append({
                "id": sku["subscriptionIds"][0],
                "commerceSubscriptionId": str(uuid.uuid5(uuid.UUID(sku["subscriptionIds"][0]), "commerce")),
                "createdDateTime": sku["createdDateTime"],
                "isTrial": False,
                "nextLifecycleDateTime": sku["nextLifecycleDateTime"],
                "ownerId": self.tenant_id,
                "ownerTenantId": self.tenant_id,
                "ownerType": "Company",
                "serviceStatus": [{"servicePlanId": p["servicePlanId"], "servicePlanName": p["servicePlanName"],
                                   "provisioningStatus": "Success", "appliesTo": "User"}
                                  for p in sku["servicePlans"]],
                "skuId": sku["skuId"],
                "skuPartNumber": sku["skuPartNumber"],
                "status": sku["capabilityStatus"],
                "totalLicenses": sku["prepaidUnits"]["enabled"],
            })
        return result

    def sku(self, part_number_or_id: str) -> SkuRecord:
        key = part_number_or_id.lower()
        for sku in self.skus.values():
            if key in (sku["skuId"], sku["skuPartNumber"].lower()):
                return sku
        raise KeyError(part_number_or_id)

    def set_prepaid_units(self, part_number_or_id: str, enabled: int) -> None:
        self.sku(part_number_or_id)["prepaidUnits"]["enabled"] = enabled

    def free_units(self, part_number_or_id: str) -> int:
        sku = self.sku(part_number_or_id)
        return sku["prepaidUnits"]["enabled"] - self.consumed_units(sku["skuId"])

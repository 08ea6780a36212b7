"""The Licenses and BulkLicenses ports in memory: SKUs and seats, assignment paths, assignLicense's refusals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from m365.errors import InvalidRequest, M365Error
from m365.memory.errors import (
    graph_bad_request,
    graph_not_found,
    group_assigned,
    no_free_seats,
    usage_location_missing,
)
from m365.memory.records import LicenseState, UserRecord
from m365.memory.state import TenantState
from m365.ports import AssignOutcome, LicenseHolder, Sku, Subscription, UserLicense


class MemoryLicenses:
    """BulkLicenses over a TenantState, answering as GraphLicenses does against Graph."""

    def __init__(self, state: TenantState) -> None:
        self._state = state

    async def list_skus(self) -> list[Sku]:
        return [Sku(sku_id=sku.sku_id, sku_part_number=sku.sku_part_number, enabled_units=sku.enabled_units,
                    consumed_units=self._state.consumed_units(sku.sku_id))
                for sku in self._state.skus.values()]

    async def user_licenses(self, user_id: str) -> list[UserLicense]:
        return self._licenses(self._user(user_id))

    async def assign(self, user_id: str, add_sku_ids: Sequence[str], remove_sku_ids: Sequence[str] = ()) -> None:
        if not add_sku_ids and not remove_sku_ids:
            return
        add, remove = [_guid(s) for s in add_sku_ids], [_guid(s) for s in remove_sku_ids]
        self._assign(self._user(user_id), add, remove)

    async def license_holders(self) -> list[LicenseHolder]:
        holders = []
        for user in self._state.users.values():
            licenses = self._licenses(user)
            if licenses:
                holders.append(LicenseHolder(
                    id=user.id, display_name=user.display_name, user_principal_name=user.user_principal_name,
                    account_enabled=user.account_enabled, licenses=tuple(licenses),
                    last_successful_sign_in=user.last_successful_sign_in))
        return holders

    async def subscriptions(self) -> list[Subscription]:
        return [Subscription(id=sku.subscription_id, sku_id=sku.sku_id, sku_part_number=sku.sku_part_number,
                             status=sku.subscription_status, total_licenses=sku.enabled_units,
                             next_lifecycle=sku.next_lifecycle, is_trial=sku.is_trial)
                for sku in self._state.skus.values()]

    async def assign_many(self, items: Sequence[tuple[str, Sequence[str], Sequence[str]]]) -> list[AssignOutcome]:
        outcomes = []
        for user_id, add, remove in items:
            try:
                add_ids, remove_ids = [_guid(s) for s in add], [_guid(s) for s in remove]
            except InvalidRequest as exc:  # a malformed SKU id fails its own item, never sent (status 0)
                outcomes.append(AssignOutcome(user_id, 0, exc))
                continue
            try:
                self._assign(self._user(user_id), add_ids, remove_ids)
            except M365Error as exc:
                outcomes.append(AssignOutcome(user_id, exc.status or 0, exc))
                continue
            outcomes.append(AssignOutcome(user_id, 200))
        return outcomes

    async def holders(self, sku_id: str) -> set[str]:
        key = sku_id.strip().lower()
        return {user.id for user in self._state.users.values() if key in self._state.held_sku_ids(user)}

    # ------------------------------------------------------------------ helpers
    def _user(self, user_id: str) -> UserRecord:
        user = self._state.find_user(user_id)
        if user is None:
            raise graph_not_found(user_id)
        return user

    def _licenses(self, user: UserRecord) -> list[UserLicense]:
        """One entry per assignment path (a SKU held directly and through a group appears twice); error states,
        which are not held, are left out."""
        names = {sku.sku_id: sku.sku_part_number for sku in self._state.skus.values()}
        licenses = [UserLicense(sku_id=s.sku_id, sku_part_number=names.get(s.sku_id, ""), assigned_by_group=s.group_id)
                    for s in user.licenses if s.active]
        return sorted(licenses, key=lambda lic: (lic.sku_part_number, lic.assigned_by_group or ""))

    def _assign(self, user: UserRecord, add: list[str], remove: list[str]) -> None:
        """assignLicense: every check first (in Entra's order), then the whole change, so it is all or nothing."""
        state = self._state
        for sku_id in add + remove:
            if sku_id not in state.skus:
                raise graph_bad_request(f"License {sku_id} does not correspond to a valid company License.")
        for sku_id in remove:
            paths = [s for s in user.licenses if s.sku_id == sku_id]
            if not paths:
                raise graph_bad_request("User does not have a corresponding license.")
            if all(s.group_id is not None for s in paths):
                raise group_assigned()
        if add and not user.usage_location:
            raise usage_location_missing()
        held = state.held_sku_ids(user)
        for sku_id in add:
            if sku_id not in held and state.free_units(sku_id) <= 0:
                raise no_free_seats(sku_id)
        user.licenses = [s for s in user.licenses if not (s.sku_id in remove and s.group_id is None)]
        for sku_id in add:
            if not any(s.sku_id == sku_id and s.group_id is None for s in user.licenses):
                user.licenses.append(LicenseState(sku_id))


def _guid(sku_id: str) -> str:
    try:
        return str(uuid.UUID(str(sku_id)))
    except ValueError as exc:
        raise InvalidRequest(f"not a SKU id (GUID): {sku_id!r}", code="InvalidSkuId") from exc

"""The DistributionLists port on Exchange Online cmdlets (through ExchangeClient)."""

from __future__ import annotations

import logging
from typing import Any

from m365.errors import ExchangeCmdletError, NotFound
from m365.exchange import ExchangeClient
from m365.ports import DistributionList, ListMember, MemberChange

logger = logging.getLogger(__name__)

LIST_FIELDS = (
    "ExternalDirectoryObjectId",
    "Guid",
    "Identity",
    "Name",
    "DisplayName",
    "PrimarySmtpAddress",
    "Alias",
    "ManagedBy",
    "MemberJoinRestriction",
    "MemberDepartRestriction",
    "IsDirSynced",
    "Description",
)
MEMBER_FIELDS = (
    "ExternalDirectoryObjectId",
    "PrimarySmtpAddress",
    "DisplayName",
    "RecipientType",
    "RecipientTypeDetails",
)
_ALREADY_MEMBER = "MemberAlreadyExistsException"
_NOT_A_MEMBER = "MemberNotFoundException"


class ExchangeDistributionLists:
    """DistributionLists through Get/Add/Remove-DistributionGroup(Member) cmdlets."""

    def __init__(self, client: ExchangeClient) -> None:
        self._client = client

    async def get_list(self, identity: str) -> DistributionList | None:
        if not identity.strip():
            return None
        try:
            result = await self._client.invoke(
                "Get-DistributionGroup", {"Identity": identity}, select=LIST_FIELDS
            )
        except NotFound:
            return None
        if not result.values:
            return None
        owners = await self._owner_addresses(result.values[:1])
        return _to_list(result.values[0], owners)

    async def find_lists(self, query: str, limit: int = 25) -> list[DistributionList]:
        if limit <= 0:
            return []
        parameters: dict[str, object] = {"ResultSize": limit}
        if query.strip():
            # Anr (ambiguous name resolution) matches name, alias, display name and SMTP address prefixes,
            # and Exchange quotes it itself: nothing user-typed ends up inside a -Filter expression.
            parameters["Anr"] = query.strip()
        result = await self._client.invoke("Get-DistributionGroup", parameters, select=LIST_FIELDS)
        rows = result.values[:limit]
        owners = await self._owner_addresses(rows)
        return [_to_list(row, owners) for row in rows]

    async def members(self, identity: str) -> list[ListMember]:
        result = await self._client.invoke(
            "Get-DistributionGroupMember",
            {"Identity": identity, "ResultSize": "Unlimited"},
            select=MEMBER_FIELDS,
        )
        return [_to_member(row) for row in result.values]

    async def add_member(self, identity: str, member: str) -> MemberChange:
        try:
            await self._client.invoke(
                "Add-DistributionGroupMember",
                # The app is never in ManagedBy, so without the bypass Exchange refuses every change.
                {"Identity": identity, "Member": member, "BypassSecurityGroupManagerCheck": True},
            )
        except ExchangeCmdletError as exc:
            if _exception_name(exc) == _ALREADY_MEMBER:
                return MemberChange.ALREADY_PRESENT
            raise
        logger.info("added %s to distribution list %s", member, identity)
        return MemberChange.ADDED

    async def remove_member(self, identity: str, member: str) -> MemberChange:
        try:
            await self._client.invoke(
                "Remove-DistributionGroupMember",
                {
                    "Identity": identity,
                    "Member": member,
                    "BypassSecurityGroupManagerCheck": True,
                    "Confirm": False,
                },
            )
        except ExchangeCmdletError as exc:
            if _exception_name(exc) == _NOT_A_MEMBER:
                return MemberChange.NOT_PRESENT
            # "Couldn't find object" does not say whether the list or the member is missing. A member
            # that does not exist is certainly not in the list (the removal is done); a missing list
            # is the caller's problem, so look once before deciding.
            if isinstance(exc, NotFound) and await self.get_list(identity) is not None:
                return MemberChange.NOT_PRESENT
            raise
        logger.info("removed %s from distribution list %s", member, identity)
        return MemberChange.REMOVED

    async def _owner_addresses(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        """ManagedBy values → primary SMTP addresses, resolving each distinct non-address value once.

        Real Exchange fills ManagedBy with recipient names/identities, not addresses (the emulator gives
        addresses), so anything without an '@' is looked up with Get-Recipient.
        """
        resolved: dict[str, str] = {}
        for row in rows:
            for value in _as_list(row.get("ManagedBy")):
                if value in resolved:
                    continue
                if "@" in value:
                    resolved[value] = value
                    continue
                resolved[value] = await self._resolve_recipient(value)
        return resolved

    async def _resolve_recipient(self, identity: str) -> str:
        try:
            result = await self._client.invoke(
                "Get-Recipient", {"Identity": identity}, select=("PrimarySmtpAddress",)
            )
        except NotFound:
            # A deleted owner still sits in ManagedBy; keep the name so "owner gone" stays visible.
            logger.warning("list owner %r is not a recipient any more", identity)
            return identity
        address = str(result.values[0].get("PrimarySmtpAddress") or "") if result.values else ""
        return address or identity


def _to_list(row: dict[str, Any], owners: dict[str, str]) -> DistributionList:
    description = row.get("Description")
    return DistributionList(
        identity=str(row.get("ExternalDirectoryObjectId") or row.get("Guid") or row.get("Identity") or ""),
        name=str(row.get("Name") or ""),
        display_name=str(row.get("DisplayName") or row.get("Name") or ""),
        primary_smtp_address=str(row.get("PrimarySmtpAddress") or ""),
        alias=str(row.get("Alias") or ""),
        managed_by=tuple(owners.get(v, v) for v in _as_list(row.get("ManagedBy"))),
        member_join_restriction=str(row.get("MemberJoinRestriction") or "Closed"),
        member_depart_restriction=str(row.get("MemberDepartRestriction") or "Closed"),
        is_dir_synced=_as_bool(row.get("IsDirSynced")),
        # Description is a multi-valued property in Exchange (one string per line).
        description="\n".join(_as_list(description)),
    )


def _to_member(row: dict[str, Any]) -> ListMember:
    external_id = row.get("ExternalDirectoryObjectId")
    return ListMember(
        primary_smtp_address=str(row.get("PrimarySmtpAddress") or ""),
        display_name=str(row.get("DisplayName") or ""),
        external_directory_object_id=str(external_id) if external_id else None,
        recipient_type=str(row.get("RecipientTypeDetails") or row.get("RecipientType") or "UserMailbox"),
    )


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _exception_name(exc: ExchangeCmdletError) -> str:
    return exc.exception_type.rsplit(".", 1)[-1]

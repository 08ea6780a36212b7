"""The DistributionLists port on Exchange Online cmdlets (through ExchangeClient)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from m365.errors import ExchangeCmdletError, InvalidRequest, M365Error, NotFound
from m365.exchange import ExchangeClient, ExchangeResult
from m365.exchange_names import MATCH_FIELDS, exact_name_filter, exact_rows, is_object_id
from m365.exchange_values import as_bool, as_list, exception_name, opath_time, parse_time
from m365.ports import DistributionList, ListChanges, ListMember, MemberChange, NewDistributionList

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
    "RequireSenderAuthenticationEnabled",
    "WhenChangedUTC",
)
_LOOKUP_FIELDS = tuple(dict.fromkeys((*LIST_FIELDS, *MATCH_FIELDS)))
MEMBER_FIELDS = (
    "ExternalDirectoryObjectId",
    "PrimarySmtpAddress",
    "DisplayName",
    "RecipientType",
    "RecipientTypeDetails",
)
GENERIC_HASHTABLE = "#Exchange.GenericHashTable"
_ALREADY_MEMBER = "MemberAlreadyExistsException"
_NOT_A_MEMBER = "MemberNotFoundException"


class ExchangeDistributionLists:
    """DistributionLists through the *-DistributionGroup and *-DistributionGroupMember cmdlets.

    Every change sends -BypassSecurityGroupManagerCheck: an app-only caller is never in ManagedBy, so without it
    Exchange refuses every change to a list.
    """

    def __init__(self, client: ExchangeClient) -> None:
        self._client = client

    # ------------------------------------------------------------------ reads
    async def get_list(self, identity: str) -> DistributionList | None:
        """The one list called exactly ``identity``; None when no list or several lists are (see lists_named)."""
        found = await self.lists_named(identity)
        return found[0] if len(found) == 1 else None

    async def lists_named(self, name: str) -> list[DistributionList]:
        """Every list whose object id, Guid, primary or proxy address, alias, Name or display name is exactly
        ``name`` (any case). Never a pattern: "*" or "Sales*" names only a list literally called that."""
        key = name.strip()
        if not key:
            return []
        # An object id cannot hold a wildcard and names one object: -Identity is exact for it. Anything else goes
        # into -Filter as a quoted literal (-Identity would expand "*").
        parameters: dict[str, object] = (
            {"Identity": key} if is_object_id(key) else {"Filter": exact_name_filter(key), "ResultSize": "Unlimited"}
        )
        try:
            result = await self._client.invoke("Get-DistributionGroup", parameters, select=_LOOKUP_FIELDS)
        except NotFound:
            return []
        rows = exact_rows(result.values, key)
        owners = await self._owner_addresses(rows)
        return [_to_list(row, owners) for row in rows]

    async def find_lists(self, query: str, limit: int = 25) -> list[DistributionList]:
        if limit <= 0:
            return []
        parameters: dict[str, object] = {"ResultSize": limit}
        if query.strip():
            # Anr (ambiguous name resolution) matches name, alias, display name and SMTP address prefixes,
            # and Exchange quotes it itself: nothing user-typed ends up inside a -Filter expression. These are
            # suggestions to show, never a selection (lists_named selects).
            parameters["Anr"] = query.strip()
        result = await self._client.invoke("Get-DistributionGroup", parameters, select=LIST_FIELDS)
        rows = result.values[:limit]
        owners = await self._owner_addresses(rows)
        return [_to_list(row, owners) for row in rows]

    async def all_lists(self, changed_since: datetime | None = None) -> list[DistributionList]:
        parameters: dict[str, object] = {"ResultSize": "Unlimited"}
        if changed_since is not None:
            # -ge on whole seconds, not -gt: WhenChangedUTC has second precision, so a list changed in the same
            # second as the cursor is read again rather than missed (reading a list twice is harmless).
            parameters["Filter"] = f"WhenChangedUTC -ge '{opath_time(changed_since)}'"
        result = await self._client.invoke("Get-DistributionGroup", parameters, select=LIST_FIELDS)
        owners = await self._owner_addresses(result.values)
        return [_to_list(row, owners) for row in result.values]

    async def list_ids(self) -> set[str]:
        result = await self._client.invoke(
            "Get-DistributionGroup", {"ResultSize": "Unlimited"}, select=("ExternalDirectoryObjectId",)
        )
        return {str(row["ExternalDirectoryObjectId"]) for row in result.values if row.get("ExternalDirectoryObjectId")}

    async def members(self, identity: str) -> list[ListMember]:
        result = await self._client.invoke(
            "Get-DistributionGroupMember",
            {"Identity": identity, "ResultSize": "Unlimited"},
            select=MEMBER_FIELDS,
        )
        return [_to_member(row) for row in result.values]

    # ------------------------------------------------------------------ lists
    async def create_list(self, new: NewDistributionList) -> DistributionList:
        if not new.owners:
            # Exchange would make the caller the owner, and an app has no mailbox to be one.
            raise InvalidRequest("a distribution list needs at least one owner", code="OwnerRequired")
        parameters: dict[str, object] = {
            "Name": new.name,
            "Alias": new.alias,
            "DisplayName": new.display_name,
            "PrimarySmtpAddress": new.primary_smtp_address,
            "ManagedBy": list(new.owners),
            "Type": "Distribution",
            "MemberJoinRestriction": new.member_join_restriction,
            "MemberDepartRestriction": new.member_depart_restriction,
            "RequireSenderAuthenticationEnabled": not new.accepts_external_senders,
        }
        if new.members:
            parameters["Members"] = list(new.members)
        if new.description:
            parameters["Description"] = [new.description]
        # AddressInUse comes from the client (exchange_error) when the address is taken.
        result = await self._client.invoke("New-DistributionGroup", parameters, select=LIST_FIELDS)
        logger.info("created distribution list %s", new.primary_smtp_address)
        created = await self.get_list(new.primary_smtp_address)
        if created is not None:
            return created
        # Not readable yet (directory replication): what New-DistributionGroup itself returned.
        if not result.values:
            raise InvalidRequest(f"New-DistributionGroup returned nothing for {new.primary_smtp_address}")
        return _to_list(result.values[0], await self._owner_addresses(result.values[:1]))

    async def update_list(self, identity: str, changes: ListChanges) -> None:
        if changes.is_empty:
            return
        parameters: dict[str, object] = {"Identity": identity, "BypassSecurityGroupManagerCheck": True}
        if changes.display_name is not None:
            parameters["DisplayName"] = changes.display_name
        if changes.description is not None:
            parameters["Description"] = [changes.description] if changes.description else None
        if changes.member_join_restriction is not None:
            parameters["MemberJoinRestriction"] = changes.member_join_restriction
        if changes.member_depart_restriction is not None:
            parameters["MemberDepartRestriction"] = changes.member_depart_restriction
        if changes.accepts_external_senders is not None:
            parameters["RequireSenderAuthenticationEnabled"] = not changes.accepts_external_senders
        if changes.add_owners or changes.remove_owners:
            # A hashtable changes only the owners named; a plain list would overwrite everyone else's change.
            owners: dict[str, object] = {"@odata.type": GENERIC_HASHTABLE}
            if changes.add_owners:
                owners["Add"] = list(changes.add_owners)
            if changes.remove_owners:
                owners["Remove"] = list(changes.remove_owners)
            parameters["ManagedBy"] = owners
        # DirSynced and NotFound come typed from the client.
        await self._client.invoke("Set-DistributionGroup", parameters)
        logger.info("changed distribution list %s", identity)

    async def delete_list(self, identity: str) -> bool:
        try:
            await self._client.invoke(
                "Remove-DistributionGroup",
                {"Identity": identity, "BypassSecurityGroupManagerCheck": True, "Confirm": False},
            )
        except NotFound:
            return False
        logger.info("deleted distribution list %s", identity)
        return True

    # ------------------------------------------------------------------ members
    async def add_member(self, identity: str, member: str) -> MemberChange:
        try:
            await self._client.invoke("Add-DistributionGroupMember", _add_parameters(identity, member))
        except ExchangeCmdletError as exc:
            if exception_name(exc) == _ALREADY_MEMBER:
                return MemberChange.ALREADY_PRESENT
            raise
        logger.info("added %s to distribution list %s", member, identity)
        return MemberChange.ADDED

    async def remove_member(self, identity: str, member: str) -> MemberChange:
        try:
            await self._client.invoke("Remove-DistributionGroupMember", _remove_parameters(identity, member))
        except ExchangeCmdletError as exc:
            if exception_name(exc) == _NOT_A_MEMBER:
                return MemberChange.NOT_PRESENT
            # "Couldn't find object" does not say whether the list or the member is missing. A member
            # that does not exist is certainly not in the list (the removal is done); a missing list
            # is the caller's problem, so look once before deciding.
            if isinstance(exc, NotFound) and await self._exists(identity):
                return MemberChange.NOT_PRESENT
            raise
        logger.info("removed %s from distribution list %s", member, identity)
        return MemberChange.REMOVED

    async def replace_members(self, identity: str, members: Sequence[str]) -> None:
        await self._client.invoke(
            "Update-DistributionGroupMember",
            {
                "Identity": identity,
                # $null empties the list; an empty JSON array is not documented to.
                "Members": list(members) if members else None,
                "BypassSecurityGroupManagerCheck": True,
                "Confirm": False,
            },
        )
        logger.info("replaced the members of distribution list %s (%d now)", identity, len(members))

    async def add_members(self, identity: str, members: Sequence[str]) -> list[MemberChange | M365Error]:
        # Exchange adds one recipient per Add-DistributionGroupMember; $batch sends ten per HTTP request.
        results = await self._client.invoke_batch(
            [("Add-DistributionGroupMember", _add_parameters(identity, m)) for m in members]
        )
        outcomes: list[MemberChange | M365Error] = []
        for member, result in zip(members, results, strict=True):
            if isinstance(result, ExchangeResult):
                outcomes.append(MemberChange.ADDED)
            elif isinstance(result, ExchangeCmdletError) and exception_name(result) == _ALREADY_MEMBER:
                outcomes.append(MemberChange.ALREADY_PRESENT)
            else:
                logger.info("could not add %s to distribution list %s: %s", member, identity, result)
                outcomes.append(result)
        return outcomes

    async def remove_members(self, identity: str, members: Sequence[str]) -> list[MemberChange | M365Error]:
        results = await self._client.invoke_batch(
            [("Remove-DistributionGroupMember", _remove_parameters(identity, m)) for m in members]
        )
        outcomes: list[MemberChange | M365Error] = []
        list_exists: bool | None = None  # looked up once, only if some member was "not found"
        for result in results:
            if isinstance(result, ExchangeResult):
                outcomes.append(MemberChange.REMOVED)
            elif isinstance(result, ExchangeCmdletError) and exception_name(result) == _NOT_A_MEMBER:
                outcomes.append(MemberChange.NOT_PRESENT)
            elif isinstance(result, NotFound):
                if list_exists is None:
                    list_exists = await self._exists(identity)
                outcomes.append(MemberChange.NOT_PRESENT if list_exists else result)
            else:
                outcomes.append(result)
        return outcomes

    # ------------------------------------------------------------------ helpers
    async def _exists(self, identity: str) -> bool:
        try:
            result = await self._client.invoke(
                "Get-DistributionGroup", {"Identity": identity}, select=("ExternalDirectoryObjectId",)
            )
        except NotFound:
            return False
        return bool(result.values)

    async def _owner_addresses(self, rows: list[dict[str, Any]]) -> dict[str, str]:
        """ManagedBy values → primary SMTP addresses, resolving each distinct non-address value once.

        Real Exchange fills ManagedBy with recipient names/identities, not addresses (the emulator gives
        addresses), so anything without an '@' is looked up with Get-Recipient: one call for one name, a
        $batch for more (ten names per request when a full sync reads every list).
        """
        resolved: dict[str, str] = {}
        names: list[str] = []
        for row in rows:
            for value in as_list(row.get("ManagedBy")):
                if value in resolved or value in names:
                    continue
                if "@" in value:
                    resolved[value] = value
                else:
                    names.append(value)
        if len(names) == 1:
            try:
                result: ExchangeResult | M365Error = await self._client.invoke(
                    "Get-Recipient", {"Identity": names[0]}, select=("PrimarySmtpAddress",)
                )
            except NotFound as exc:
                result = exc
            resolved[names[0]] = _resolved_address(names[0], result)
        elif names:
            results = await self._client.invoke_batch(
                [("Get-Recipient", {"Identity": name}) for name in names], select=("PrimarySmtpAddress",)
            )
            for name, result in zip(names, results, strict=True):
                resolved[name] = _resolved_address(name, result)
        return resolved


def _add_parameters(identity: str, member: str) -> dict[str, object]:
    return {"Identity": identity, "Member": member, "BypassSecurityGroupManagerCheck": True}


def _remove_parameters(identity: str, member: str) -> dict[str, object]:
    return {"Identity": identity, "Member": member, "BypassSecurityGroupManagerCheck": True, "Confirm": False}


def _resolved_address(name: str, result: ExchangeResult | M365Error) -> str:
    if isinstance(result, NotFound):
        # A deleted owner still sits in ManagedBy; keep the name so "owner gone" stays visible.
        logger.warning("list owner %r is not a recipient any more", name)
        return name
    if isinstance(result, M365Error):
        raise result  # a read that cannot name the owners fails loudly rather than showing wrong ones
    address = str(result.values[0].get("PrimarySmtpAddress") or "") if result.values else ""
    return address or name


def _to_list(row: dict[str, Any], owners: dict[str, str]) -> DistributionList:
    description = row.get("Description")
    return DistributionList(
        identity=str(row.get("ExternalDirectoryObjectId") or row.get("Guid") or row.get("Identity") or ""),
        name=str(row.get("Name") or ""),
        display_name=str(row.get("DisplayName") or row.get("Name") or ""),
        primary_smtp_address=str(row.get("PrimarySmtpAddress") or ""),
        alias=str(row.get("Alias") or ""),
        managed_by=tuple(owners.get(v, v) for v in as_list(row.get("ManagedBy"))),
        member_join_restriction=str(row.get("MemberJoinRestriction") or "Closed"),
        member_depart_restriction=str(row.get("MemberDepartRestriction") or "Closed"),
        is_dir_synced=as_bool(row.get("IsDirSynced")),
        # Description is a multi-valued property in Exchange (one string per line).
        description="\n".join(as_list(description)),
        # Exchange's default is True (only authenticated senders); a missing value means the default.
        accepts_external_senders=not as_bool(row.get("RequireSenderAuthenticationEnabled", True)),
        changed_at=parse_time(row.get("WhenChangedUTC")),
    )


def _to_member(row: dict[str, Any]) -> ListMember:
    external_id = row.get("ExternalDirectoryObjectId")
    return ListMember(
        primary_smtp_address=str(row.get("PrimarySmtpAddress") or ""),
        display_name=str(row.get("DisplayName") or ""),
        external_directory_object_id=str(external_id) if external_id else None,
        recipient_type=str(row.get("RecipientTypeDetails") or row.get("RecipientType") or "UserMailbox"),
    )

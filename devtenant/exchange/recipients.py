"""Exchange's view of the directory: identity resolution and the recipient objects cmdlets return."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from devtenant.exchange.errors import ambiguous, argument_not_found, object_not_found
from devtenant.state import EXO_ORG_UNIT, TenantState


def exo_guid(directory_id: str) -> str:
    """Exchange objects have their own Guid, distinct from the Entra object id (ExternalDirectoryObjectId)."""
    return str(uuid.uuid5(uuid.UUID(directory_id), "exchange"))


def _exo_time(iso_value: str) -> str:
    # Exchange serialises DateTime as local-looking ISO strings without a zone, e.g. 2023-05-04T10:11:12.
    return iso_value.rstrip("Z")


def user_recipient(user: dict[str, Any]) -> dict[str, Any]:
    """A user's mailbox as Get-DistributionGroupMember / Get-Recipient return it."""
    alias = user["mailNickname"]
    return {
        "Identity": alias,
        "Name": alias,
        "DisplayName": user["displayName"],
        "Alias": alias,
        "FirstName": user.get("givenName") or "",
        "LastName": user.get("surname") or "",
        "PrimarySmtpAddress": user["mail"],
        "WindowsLiveID": user["userPrincipalName"],
        "EmailAddresses": list(user.get("proxyAddresses") or []),
        "ExternalDirectoryObjectId": user["id"],
        "Guid": exo_guid(user["id"]),
        "RecipientType": "UserMailbox",
        "RecipientTypeDetails": "UserMailbox",
        "Department": user.get("department") or "",
        "Title": user.get("jobTitle") or "",
        "City": user.get("city") or "",
        "CountryOrRegion": user.get("country") or "",
        "HiddenFromAddressListsEnabled": False,
        "OrganizationalUnit": EXO_ORG_UNIT,
        "IsDirSynced": bool(user.get("onPremisesSyncEnabled")),
        "WhenCreated": _exo_time(user["createdDateTime"]),
    }


def group_object(state: TenantState, group: dict[str, Any]) -> dict[str, Any]:
    """A distribution group as Get-DistributionGroup returns it."""
    name = group["Name"]
    return {
        "Identity": name,
        "Id": name,
        "Name": name,
        "DisplayName": group["DisplayName"],
        "Alias": group["Alias"],
        "PrimarySmtpAddress": group["PrimarySmtpAddress"],
        "WindowsEmailAddress": group["PrimarySmtpAddress"],
        "EmailAddresses": list(group["EmailAddresses"]),
        "ManagedBy": list(group["ManagedBy"]),
        "MemberJoinRestriction": group["MemberJoinRestriction"],
        "MemberDepartRestriction": group["MemberDepartRestriction"],
        "GroupType": group["GroupType"],
        "IsDirSynced": group["IsDirSynced"],
        "ExternalDirectoryObjectId": group["ExternalDirectoryObjectId"],
        "Guid": group["Guid"],
        "RecipientType": group["RecipientType"],
        "RecipientTypeDetails": group["RecipientTypeDetails"],
        "RequireSenderAuthenticationEnabled": group["RequireSenderAuthenticationEnabled"],
        "HiddenFromAddressListsEnabled": group["HiddenFromAddressListsEnabled"],
        "OrganizationalUnit": EXO_ORG_UNIT,
        "DistinguishedName": f"CN={name},OU={state.initial_domain},OU=Microsoft Exchange Hosted Organizations,"
                             "DC=EURPR07A001,DC=prod,DC=outlook,DC=com",
        "WhenCreated": _exo_time(group["WhenCreated"]),
        "WhenChanged": _exo_time(group["WhenChanged"]),
        "WhenCreatedUTC": group["WhenCreated"],
        "WhenChangedUTC": group["WhenChanged"],
        "IsValid": True,
    }


def touch(group: dict[str, Any]) -> None:
    group["WhenChanged"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity_keys(values: list[Any]) -> set[str]:
    keys = set()
    for value in values:
        if isinstance(value, str) and value:
            lowered = value.lower()
            keys.add(lowered)
            if lowered.startswith("smtp:"):
                keys.add(lowered[5:])
    return keys


def _user_keys(user: dict[str, Any]) -> set[str]:
    return _identity_keys([user["id"], exo_guid(user["id"]), user["mailNickname"], user["userPrincipalName"],
                           user["mail"], user["displayName"], *(user.get("proxyAddresses") or [])])


def _group_keys(group: dict[str, Any]) -> set[str]:
    return _identity_keys([group["Guid"], group["ExternalDirectoryObjectId"], group["Name"], group["Alias"],
                           group["PrimarySmtpAddress"], group["DisplayName"], *group["EmailAddresses"]])


def find_groups(state: TenantState, identity: str) -> list[dict[str, Any]]:
    key = identity.strip().lower()
    return [g for g in state.exo_groups.values() if key in _group_keys(g)]


def resolve_group(state: TenantState, identity: Any) -> dict[str, Any]:
    """A distribution group by Guid, ExternalDirectoryObjectId, Name, Alias, address or display name."""
    text = str(identity)
    matches = find_groups(state, text)
    if not matches:
        raise object_not_found(text, state.exo_server())
    if len(matches) > 1:
        raise ambiguous(text)
    return matches[0]


def resolve_user(state: TenantState, identity: Any) -> dict[str, Any]:
    """A mailbox named by SMTP address, UPN, alias/Name, display name, ExternalDirectoryObjectId or Guid."""
    text = str(identity)
    key = text.strip().lower()
    matches = [u for u in state.users.values() if key in _user_keys(u)]
    if not matches:
        raise argument_not_found(text)
    if len(matches) > 1:
        raise ambiguous(text)
    return matches[0]


def user_smtp_to_id(state: TenantState, address: str) -> str | None:
    user = state.find_user(address)
    return user["id"] if user else None

"""Exchange's view of the directory: identity resolution, addresses in use, recipient objects and Get-Recipient."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from devtenant.exchange.cmdlets import BoundCall
from devtenant.exchange.errors import ambiguous, argument_not_found, object_not_found
from devtenant.exchange.opath import compile_filter
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.state import TenantState
from devtenant.states.exchange import EXO_ORG_UNIT

DEFAULT_RESULT_SIZE = 1000
RESULT_SIZE_WARNING = (
    "By default, only the first {n} items are returned. Use the ResultSize parameter to specify the number of items "
    "returned. To return all items, specify \"-ResultSize Unlimited\". Be aware that, depending on the actual "
    "number of items, returning all items can take a long time and consume a large amount of memory. Also, we "
    "don't recommend storing the results in a variable. Instead, pipe the results to another task or script to "
    "perform batch changes.")
_ANR_FIELDS = ("Name", "Alias", "DisplayName", "PrimarySmtpAddress", "FirstName", "LastName")


def exo_guid(directory_id: str) -> str:
    """Exchange objects have their own Guid, distinct from the Entra object id (ExternalDirectoryObjectId)."""
    return str(uuid.uuid5(uuid.UUID(directory_id), "exchange"))


def _exo_time(iso_value: str) -> str:
    # Exchange serialises DateTime as local-looking ISO strings without a zone, e.g. 2023-05-04T10:11:12.
    return iso_value.rstrip("Z")


def user_recipient(user: dict[str, Any]) -> dict[str, Any]:
    """A user's mailbox as Get-DistributionGroupMember / Get-Recipient return it."""
    alias = user["mailNickname"]
    name = user.get("exoName") or alias  # shared mailboxes keep the Name they were created with
    return {
        "Identity": name,
        "Name": name,
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
        # Shared mailboxes are users too (a disabled account); their record says what kind of mailbox they are.
        "RecipientTypeDetails": user.get("exoRecipientTypeDetails", "UserMailbox"),
        "Department": user.get("department") or "",
        "Title": user.get("jobTitle") or "",
        "City": user.get("city") or "",
        "CountryOrRegion": user.get("country") or "",
        "HiddenFromAddressListsEnabled": False,
        "OrganizationalUnit": EXO_ORG_UNIT,
        "IsDirSynced": bool(user.get("onPremisesSyncEnabled")),
        "WhenCreated": _exo_time(user["createdDateTime"]),
        "WhenChanged": _exo_time(user.get("exoWhenChanged") or user["createdDateTime"]),
        "WhenChangedUTC": user.get("exoWhenChanged") or user["createdDateTime"],
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
        # A multi-valued string in Exchange; seeded lists have none.
        "Description": list(group.get("Description") or []),
        "Notes": group.get("Notes") or "",
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


def group_properties(state: TenantState) -> set[str]:
    """The filterable properties of a distribution group (known even when the tenant has no group)."""
    text_properties = ("Name", "DisplayName", "Alias", "PrimarySmtpAddress", "MemberJoinRestriction",
                       "MemberDepartRestriction", "GroupType", "ExternalDirectoryObjectId", "Guid", "RecipientType",
                       "RecipientTypeDetails", "WhenCreated", "WhenChanged")
    placeholder: dict[str, Any] = dict.fromkeys(text_properties, "")
    placeholder.update(EmailAddresses=[], ManagedBy=[], IsDirSynced=False, RequireSenderAuthenticationEnabled=True,
                       HiddenFromAddressListsEnabled=False)
    return set(group_object(state, placeholder))


def touch(group: dict[str, Any]) -> None:
    group["WhenChanged"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# What an -Identity wildcard is matched against (Exchange resolves "Sales*" over names and addresses).
WILDCARD_FIELDS = ("Name", "Alias", "DisplayName", "PrimarySmtpAddress")


def identity_pattern(identity: str) -> re.Pattern[str] | None:
    """An -Identity with "*" as Exchange reads it: a wildcard for any run of characters ("*", "Sales*", "*Team*"),
    matched case-insensitively against whole values; None when it has no "*". Only "*" is a wildcard there ("?",
    "[" and "%" are literal characters of a name)."""
    text = identity.strip()
    if "*" not in text:
        return None
    return re.compile(".*".join(re.escape(part) for part in text.split("*")), re.IGNORECASE | re.DOTALL)


def matches_pattern(pattern: re.Pattern[str], values: list[Any]) -> bool:
    return any(pattern.fullmatch(str(value)) for value in values if value)


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
    return _identity_keys([user["id"], exo_guid(user["id"]), user["mailNickname"], user.get("exoName"),
                           user["userPrincipalName"], user["mail"], user["displayName"],
                           *(user.get("proxyAddresses") or [])])


def _group_keys(group: dict[str, Any]) -> set[str]:
    return _identity_keys([group["Guid"], group["ExternalDirectoryObjectId"], group["Name"], group["Alias"],
                           group["PrimarySmtpAddress"], group["DisplayName"], *group["EmailAddresses"]])


def find_groups(state: TenantState, identity: str) -> list[dict[str, Any]]:
    """Every group an -Identity names: all that match a "*" wildcard, else all with exactly that key."""
    pattern = identity_pattern(identity)
    if pattern is not None:
        return [g for g in state.exo_groups.values() if matches_pattern(pattern, [g[k] for k in WILDCARD_FIELDS])]
    key = identity.strip().lower()
    return [g for g in state.exo_groups.values() if key in _group_keys(g)]


def resolve_group(state: TenantState, identity: Any) -> dict[str, Any]:
    """The one distribution group an -Identity names (Guid, ExternalDirectoryObjectId, Name, Alias, address, display
    name, or a "*" wildcard over them), as a Set-/Remove-/member cmdlet needs it: several are ambiguous."""
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
    pattern = identity_pattern(text)
    # Users without a mailbox (no mail) are not recipients: Exchange does not find them as members or owners.
    matches = [u for u in state.users.values() if u.get("mail") and (
        matches_pattern(pattern, [u.get("exoName") or u["mailNickname"], u["mailNickname"], u["displayName"],
                                  u["mail"]]) if pattern else key in _user_keys(u))]
    if not matches:
        raise argument_not_found(text)
    if len(matches) > 1:
        raise ambiguous(text)
    return matches[0]


def user_smtp_to_id(state: TenantState, address: str) -> str | None:
    user = state.find_user(address)
    return user["id"] if user else None


def limit_results(call: BoundCall, objects: list[dict[str, Any]]) -> CmdletResult:
    """-ResultSize (default 1000, with Exchange's warnings when more exist) for any Get-* cmdlet's output."""
    size = call.get("ResultSize", DEFAULT_RESULT_SIZE) if call.has("ResultSize") else DEFAULT_RESULT_SIZE
    warnings = []
    if size is not None and len(objects) > size:
        objects = objects[:size]
        if not call.has("ResultSize"):
            warnings.append(RESULT_SIZE_WARNING.format(n=size))
        else:
            warnings.append("There are more results available than are currently displayed. To view them, increase "
                            "the value for the ResultSize parameter.")
    return CmdletResult(objects, warnings, pageable=True)


def address_holder(state: TenantState, address: str, *, except_id: str | None = None) -> str | None:
    """The Name of the recipient that already uses ``address`` (primary or proxy, any kind), or None when free.

    Mailboxes (user and shared: both are users in state.users), distribution groups and mail-enabled Graph
    groups share one address space, as they do in Exchange. ``except_id`` skips the object being changed.
    """
    key = address.strip().lower()
    for user in state.users.values():
        if user["id"] != except_id and user.get("mail") and key in _identity_keys(
                [user["mail"], *(user.get("proxyAddresses") or [])]):
            return str(user.get("exoName") or user["mailNickname"])
    for group_id, group in state.exo_groups.items():
        if group_id != except_id and key in _identity_keys([group["PrimarySmtpAddress"], *group["EmailAddresses"]]):
            return str(group["Name"])
    for group_id, group in state.groups.items():
        if group_id != except_id and key in _identity_keys([group.get("mail"), *(group.get("proxyAddresses") or [])]):
            return str(group["displayName"])
    return None


def _recipients(state: TenantState) -> list[dict[str, Any]]:
    """Every recipient Get-Recipient knows: mailboxes (disabled accounts included; users without mail are not
    recipients), then distribution groups."""
    users = [user_recipient(u) for u in state.users.values() if u.get("mail")]
    return users + [group_object(state, g) for g in state.exo_groups.values()]


def _filterable(state: TenantState) -> set[str]:
    """Properties a Get-Recipient -Filter may name: those of a mailbox and of a group."""
    user = next((u for u in state.users.values() if u.get("mail")), None)
    group = next(iter(state.exo_groups.values()), None)
    names = set(user_recipient(user)) if user else set()
    return names | (set(group_object(state, group)) if group else set()) or {"Name"}


def _as_set(value: Any) -> set[str]:
    return {str(v).lower() for v in (value if isinstance(value, list) else [value])}


async def get_recipient(state: TenantState, call: BoundCall) -> CmdletResult:
    if call.has("Identity"):
        # A Get- cmdlet returns every object its -Identity names ("*" is a wildcard); only cmdlets that change one
        # object call several matches ambiguous.
        text = str(call.get("Identity"))
        key = text.strip().lower()
        pattern = identity_pattern(text)
        if pattern is not None:
            objects = [o for o in _recipients(state) if matches_pattern(pattern, [o[k] for k in WILDCARD_FIELDS])]
        else:
            users = [user_recipient(u) for u in state.users.values() if u.get("mail") and key in _user_keys(u)]
            groups = [group_object(state, g) for g in state.exo_groups.values() if key in _group_keys(g)]
            objects = users + groups
            if not objects:
                raise object_not_found(text, state.exo_server())
    else:
        objects = _recipients(state)
    if call.has("Anr"):
        prefix = str(call.get("Anr")).strip().lower()
        objects = [o for o in objects if any(str(o.get(k) or "").lower().startswith(prefix) for k in _ANR_FIELDS)]
    if call.has("RecipientType"):
        wanted = _as_set(call.get("RecipientType"))
        objects = [o for o in objects if o["RecipientType"].lower() in wanted]
    if call.has("RecipientTypeDetails"):
        wanted = _as_set(call.get("RecipientTypeDetails"))
        objects = [o for o in objects if o["RecipientTypeDetails"].lower() in wanted]
    if call.has("Filter"):
        predicate = compile_filter(str(call.get("Filter")), _filterable(state))
        objects = [o for o in objects if predicate(o)]
    return limit_results(call, objects)


def register(registry: CmdletRegistry) -> None:
    registry.register("Get-Recipient", get_recipient)

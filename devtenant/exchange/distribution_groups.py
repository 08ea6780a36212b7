"""Distribution group cmdlets: Get/New/Set/Remove-DistributionGroup and the four *-DistributionGroupMember."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from devtenant.exchange.cmdlets import BoundCall
from devtenant.exchange.errors import (
    ARGUMENT,
    DIR_SYNCED,
    GROUP_MANAGER,
    MEMBER_EXISTS,
    MEMBER_NOT_FOUND,
    NAME_IN_USE,
    NOT_IMPLEMENTED,
    OWNER_REQUIRED,
    CmdletError,
    address_in_use,
    domain_not_accepted,
    invalid_address,
    invalid_alias,
    object_not_found,
    too_long,
)
from devtenant.exchange.opath import compile_filter
from devtenant.exchange.recipients import (
    DEFAULT_RESULT_SIZE,
    RESULT_SIZE_WARNING,
    address_holder,
    find_groups,
    group_object,
    group_properties,
    identity_pattern,
    limit_results,
    resolve_group,
    resolve_user,
    touch,
    user_recipient,
)
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.state import TenantState

__all__ = ["DEFAULT_RESULT_SIZE", "RESULT_SIZE_WARNING", "register"]

NAME_LIMIT = 64  # Name and Alias: "can't exceed 64 characters"
_ATOM = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+"
_ALIAS = re.compile(rf"^{_ATOM}(\.{_ATOM})*$")
_NOT_ALIAS_CHAR = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")
_SMTP = re.compile(r"^[^@\s\"<>(),;:\[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# Set-DistributionGroup parameters the emulator applies; any other catalog parameter is refused as not emulated
# rather than silently ignored, so a test never passes on a change that did not happen.
_SETTABLE = frozenset({
    "Identity", "BypassSecurityGroupManagerCheck", "Confirm", "WhatIf", "Name", "DisplayName", "Alias",
    "Description", "ManagedBy", "MemberJoinRestriction", "MemberDepartRestriction",
    "RequireSenderAuthenticationEnabled", "PrimarySmtpAddress", "HiddenFromAddressListsEnabled",
})
_SWITCHES = frozenset({"Identity", "BypassSecurityGroupManagerCheck", "Confirm", "WhatIf"})
_limit = limit_results


async def get_distribution_group(state: TenantState, call: BoundCall) -> CmdletResult:
    groups = list(state.exo_groups.values())
    if call.has("Identity"):
        # Every group the -Identity names: a "*" wildcard, or the same name on several groups, gives them all (a Get-
        # cmdlet is never ambiguous; resolve_group is, for the cmdlets that change one group).
        identity = str(call.get("Identity"))
        groups = find_groups(state, identity)
        if not groups and identity_pattern(identity) is None:
            raise object_not_found(identity, state.exo_server())
    if call.has("Anr"):
        prefix = str(call.get("Anr")).lower()
        groups = [g for g in groups if any(str(g[k]).lower().startswith(prefix)
                                           for k in ("Name", "Alias", "DisplayName", "PrimarySmtpAddress"))]
    if call.has("ManagedBy"):
        owner = resolve_user(state, call.get("ManagedBy"))
        groups = [g for g in groups if owner["mail"].lower() in [m.lower() for m in g["ManagedBy"]]]
    if call.has("RecipientTypeDetails"):
        wanted = call.get("RecipientTypeDetails")
        wanted = {w.lower() for w in (wanted if isinstance(wanted, list) else [wanted])}
        groups = [g for g in groups if g["RecipientTypeDetails"].lower() in wanted]
    objects = [group_object(state, g) for g in groups]
    if call.has("Filter"):
        predicate = compile_filter(str(call.get("Filter")), group_properties(state))
        objects = [o for o in objects if predicate(o)]
    return _limit(call, objects)


async def get_distribution_group_member(state: TenantState, call: BoundCall) -> CmdletResult:
    group = resolve_group(state, call.get("Identity"))
    members = [user_recipient(state.users[m]) for m in state.group_members[group["ExternalDirectoryObjectId"]]
               if m in state.users]
    return _limit(call, members)


def _check_writable(call: BoundCall, group: dict[str, Any], parameter: str) -> None:
    if group["IsDirSynced"]:
        raise CmdletError(DIR_SYNCED, f"The action '{call.cmdlet}', '{parameter}', can't be performed on the object "
                                      f"'{group['Name']}' because the object is being synchronized from your "
                                      "on-premises organization. This action should be performed on the object in "
                                      "your on-premises organization.")
    if not call.switch("BypassSecurityGroupManagerCheck"):
        # An app-only caller is never in ManagedBy, so Exchange always asks for the bypass switch.
        raise CmdletError(GROUP_MANAGER, "You don't have sufficient permissions. This operation can only be "
                                         "performed by a manager of the group.")


def _member_argument(call: BoundCall) -> str:
    if not call.has("Member") or call.get("Member") in (None, ""):
        raise CmdletError(ARGUMENT, "Value cannot be null.\r\nParameter name: Member")
    return str(call.get("Member"))


async def add_distribution_group_member(state: TenantState, call: BoundCall) -> CmdletResult:
    group = resolve_group(state, call.get("Identity"))
    member_arg = _member_argument(call)
    user = resolve_user(state, member_arg)
    _check_writable(call, group, "Members")
    members = state.group_members[group["ExternalDirectoryObjectId"]]
    if user["id"] in members:
        raise CmdletError(MEMBER_EXISTS, f"The recipient {member_arg} is already a member of the group "
                                         f"{group['Name']}.")
    if not call.switch("WhatIf"):
        members.append(user["id"])
        touch(group)
    return CmdletResult()


async def remove_distribution_group_member(state: TenantState, call: BoundCall) -> CmdletResult:
    group = resolve_group(state, call.get("Identity"))
    member_arg = _member_argument(call)
    user = resolve_user(state, member_arg)
    _check_writable(call, group, "Members")
    members = state.group_members[group["ExternalDirectoryObjectId"]]
    if user["id"] not in members:
        raise CmdletError(MEMBER_NOT_FOUND, f"The recipient {member_arg} isn't a member of the group "
                                            f"{group['Name']}.")
    if not call.switch("WhatIf"):
        members.remove(user["id"])
        touch(group)
    return CmdletResult()


async def update_distribution_group_member(state: TenantState, call: BoundCall) -> CmdletResult:
    group = resolve_group(state, call.get("Identity"))
    wanted = call.get("Members") or []
    users = [resolve_user(state, m) for m in (wanted if isinstance(wanted, list) else [wanted])]
    _check_writable(call, group, "Members")
    if not call.switch("WhatIf"):
        state.group_members[group["ExternalDirectoryObjectId"]] = list(dict.fromkeys(u["id"] for u in users))
        touch(group)
    return CmdletResult()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _strings(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]


def check_name(state: TenantState, name: str, *, except_id: str | None = None) -> None:
    if not name.strip():
        raise CmdletError(ARGUMENT, "The Name parameter can't be empty.")
    if len(name) > NAME_LIMIT:
        raise too_long("Name", NAME_LIMIT)
    key = name.strip().lower()
    taken = any(g["Name"].lower() == key for i, g in state.exo_groups.items() if i != except_id) or any(
        str(u.get("exoName") or u.get("mailNickname") or "").lower() == key for u in state.users.values()
        if u.get("mail"))
    if taken:
        raise CmdletError(NAME_IN_USE, f'The name "{name}" is already being used. Please try another name.')


def check_alias(alias: str) -> None:
    if len(alias) > NAME_LIMIT:
        raise too_long("Alias", NAME_LIMIT)
    if not _ALIAS.match(alias):
        raise invalid_alias(alias)


def alias_from_name(name: str) -> str:
    """Exchange derives a missing alias from the name by dropping the characters an alias can't hold."""
    alias = re.sub(r"\.{2,}", ".", _NOT_ALIAS_CHAR.sub("", name)).strip(".")[:NAME_LIMIT].strip(".")
    return alias or "group"


def check_address(state: TenantState, address: str, *, except_id: str | None = None) -> str:
    """A free address in an accepted domain, or the documented error."""
    address = address.strip()
    if not _SMTP.match(address) or not _ALIAS.match(address.rsplit("@", 1)[0]):
        raise invalid_address(address)
    if address.rsplit("@", 1)[1].lower() not in {d.lower() for d in state.accepted_domains}:
        raise domain_not_accepted(address)
    holder = address_holder(state, address, except_id=except_id)
    if holder is not None:
        raise address_in_use(address, holder)
    return address


def new_recipient_names(state: TenantState, call: BoundCall, name: str) -> tuple[str, str, str]:
    """A new recipient's alias, display name and primary address (New-DistributionGroup, New-Mailbox): each
    defaulted as Exchange does from the name and checked, or the documented error."""
    alias = str(call.get("Alias") or alias_from_name(name))
    check_alias(alias)
    display_name = str(call.get("DisplayName") or name)
    if len(display_name) > 256:
        raise too_long("DisplayName", 256)
    primary = check_address(state, str(call.get("PrimarySmtpAddress") or f"{alias}@{state.domain}"))
    return alias, display_name, primary


def secondary_address(state: TenantState, alias: str) -> str:
    """The tenant-domain proxy address; like the email address policy, numbered when the plain one is taken."""
    candidate, n = f"{alias}@{state.initial_domain}", 1
    while address_holder(state, candidate) is not None:
        n += 1
        candidate = f"{alias}{n}@{state.initial_domain}"
    return candidate


def _owners(state: TenantState, values: list[str]) -> list[str]:
    """ManagedBy values → owners' primary addresses; owners must be mailboxes (or mail users)."""
    return list(dict.fromkeys(resolve_user(state, v)["mail"] for v in values))


async def new_distribution_group(state: TenantState, call: BoundCall) -> CmdletResult:
    name = str(call.get("Name") or "")
    check_name(state, name)
    alias, display_name, primary = new_recipient_names(state, call, name)
    managed_by = _strings(call.get("ManagedBy"))
    if not managed_by:
        # An app-only caller has no mailbox, so Exchange can't make it the owner the docs describe as the default.
        raise CmdletError(OWNER_REQUIRED, "A group must have at least one owner. The caller isn't a mailbox, so "
                                          "specify the owners with the ManagedBy parameter.")
    owners = _owners(state, managed_by)
    member_ids = [resolve_user(state, m)["id"] for m in _strings(call.get("Members"))]
    if call.switch("CopyOwnerToMember"):
        member_ids += [resolve_user(state, o)["id"] for o in owners]
    if call.switch("WhatIf"):
        return CmdletResult()
    security = str(call.get("Type") or "Distribution").lower() == "security"
    group_id = str(uuid.uuid4())
    now = _now()
    description = _strings(call.get("Description"))
    addresses = [f"SMTP:{primary}"]
    if primary.lower() != f"{alias}@{state.initial_domain}".lower():
        addresses.append(f"smtp:{secondary_address(state, alias)}")
    state.groups[group_id] = {
        "id": group_id, "createdDateTime": now, "deletedDateTime": None,
        "description": "\n".join(description) or None, "displayName": display_name, "groupTypes": [],
        "mail": primary, "mailEnabled": True, "mailNickname": alias, "onPremisesSyncEnabled": None,
        "proxyAddresses": list(addresses), "securityEnabled": security,
        "securityIdentifier": f"S-1-12-1-{uuid.UUID(group_id).int % 10**10}-{uuid.UUID(group_id).int % 10**9}",
        "visibility": None, "assignedLicenses": [],
    }
    state.group_members[group_id] = list(dict.fromkeys(member_ids))
    kind = "MailUniversalSecurityGroup" if security else "MailUniversalDistributionGroup"
    state.exo_groups[group_id] = {
        "Name": name, "DisplayName": display_name, "Alias": alias, "PrimarySmtpAddress": primary,
        "EmailAddresses": addresses, "ManagedBy": owners,
        "MemberJoinRestriction": call.get("MemberJoinRestriction") or "Closed",
        "MemberDepartRestriction": call.get("MemberDepartRestriction") or "Open",
        "IsDirSynced": False, "ExternalDirectoryObjectId": group_id,
        "Guid": str(uuid.uuid5(uuid.UUID(group_id), "exchange")), "RecipientType": kind,
        "RecipientTypeDetails": kind, "GroupType": "Universal, SecurityEnabled" if security else "Universal",
        "RequireSenderAuthenticationEnabled": call.get("RequireSenderAuthenticationEnabled", True),
        "HiddenFromAddressListsEnabled": False, "Notes": str(call.get("Notes") or ""), "Description": description,
        "WhenCreated": now, "WhenChanged": now,
    }
    return CmdletResult([group_object(state, state.exo_groups[group_id])])


def _changed_owners(state: TenantState, current: list[str], value: Any) -> list[str]:
    """-ManagedBy as a list (overwrite) or a GenericHashTable {add, remove}; never leaves the group ownerless."""
    if isinstance(value, dict):
        owners = list(current)
        for item in _strings(value.get("remove")):
            try:
                address = resolve_user(state, item)["mail"]
            except CmdletError:
                address = item  # an owner whose mailbox is gone is still named in ManagedBy
            owners = [o for o in owners if o.lower() != address.lower()]
        for address in _owners(state, _strings(value.get("add"))):
            if address.lower() not in [o.lower() for o in owners]:
                owners.append(address)
    else:
        owners = _owners(state, _strings(value))
    if not owners:
        raise CmdletError(OWNER_REQUIRED, "You can't remove the last owner of the group. A group must have at least "
                                          "one owner.")
    return owners


async def set_distribution_group(state: TenantState, call: BoundCall) -> CmdletResult:
    group = resolve_group(state, call.get("Identity"))
    given = [name for name in call.params if name not in _SWITCHES]
    _check_writable(call, group, given[0] if given else "Identity")
    unsupported = [name for name in call.params if name not in _SETTABLE]
    if unsupported:
        raise CmdletError(NOT_IMPLEMENTED, f"devtenant does not emulate the parameter '{unsupported[0]}' of "
                                           "Set-DistributionGroup yet.")
    group_id = group["ExternalDirectoryObjectId"]
    changes: dict[str, Any] = {}
    if call.has("Name"):
        check_name(state, str(call.get("Name")), except_id=group_id)
        changes["Name"] = str(call.get("Name"))
    if call.has("Alias"):
        check_alias(str(call.get("Alias")))
        changes["Alias"] = str(call.get("Alias"))
    if call.has("DisplayName"):
        if not str(call.get("DisplayName") or "").strip():
            raise CmdletError(ARGUMENT, "The DisplayName parameter can't be empty.")
        if len(str(call.get("DisplayName"))) > 256:
            raise too_long("DisplayName", 256)
        changes["DisplayName"] = str(call.get("DisplayName"))
    if call.has("Description"):
        changes["Description"] = _strings(call.get("Description"))
    if call.has("ManagedBy"):
        changes["ManagedBy"] = _changed_owners(state, group["ManagedBy"], call.get("ManagedBy"))
    for key in ("MemberJoinRestriction", "MemberDepartRestriction", "RequireSenderAuthenticationEnabled",
                "HiddenFromAddressListsEnabled"):
        if call.has(key):
            changes[key] = call.get(key)
    if call.has("PrimarySmtpAddress"):
        address = str(call.get("PrimarySmtpAddress"))
        if address.lower() != group["PrimarySmtpAddress"].lower():
            address = check_address(state, address, except_id=group_id)
            # The old primary address stays as a secondary one, as Exchange keeps it for replies to old mail.
            others = [a for a in group["EmailAddresses"]
                      if not a.lower().startswith("smtp:") or a[5:].lower() != address.lower()]
            changes["EmailAddresses"] = [f"SMTP:{address}", *(f"smtp:{a[5:]}" if a.startswith("SMTP:") else a
                                                               for a in others)]
            changes["PrimarySmtpAddress"] = address
    if call.switch("WhatIf") or not changes:
        return CmdletResult()
    group.update(changes)
    graph = state.groups.get(group_id)
    if graph is not None:  # one directory behind both APIs
        graph.update(displayName=group["DisplayName"], mail=group["PrimarySmtpAddress"],
                     mailNickname=group["Alias"], proxyAddresses=list(group["EmailAddresses"]),
                     description="\n".join(group.get("Description") or []) or None)
    touch(group)
    return CmdletResult()


async def remove_distribution_group(state: TenantState, call: BoundCall) -> CmdletResult:
    group = resolve_group(state, call.get("Identity"))
    _check_writable(call, group, "Identity")
    if not call.switch("WhatIf"):
        group_id = group["ExternalDirectoryObjectId"]
        state.exo_groups.pop(group_id, None)
        state.groups.pop(group_id, None)
        state.group_members.pop(group_id, None)
    return CmdletResult()

def register(registry: CmdletRegistry) -> None:
    registry.register("Get-DistributionGroup", get_distribution_group)
    registry.register("New-DistributionGroup", new_distribution_group)
    registry.register("Set-DistributionGroup", set_distribution_group)
    registry.register("Remove-DistributionGroup", remove_distribution_group)
    registry.register("Get-DistributionGroupMember", get_distribution_group_member)
    registry.register("Add-DistributionGroupMember", add_distribution_group_member)
    registry.register("Remove-DistributionGroupMember", remove_distribution_group_member)
    registry.register("Update-DistributionGroupMember", update_distribution_group_member)

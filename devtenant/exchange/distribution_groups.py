"""Distribution group cmdlets: Get-DistributionGroup, Get/Add/Remove/Update-DistributionGroupMember."""

from __future__ import annotations

import fnmatch
from typing import Any

from devtenant.exchange.cmdlets import BoundCall
from devtenant.exchange.errors import (
    ARGUMENT,
    DIR_SYNCED,
    GROUP_MANAGER,
    MEMBER_EXISTS,
    MEMBER_NOT_FOUND,
    CmdletError,
)
from devtenant.exchange.opath import compile_filter
from devtenant.exchange.recipients import group_object, resolve_group, resolve_user, touch, user_recipient
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.state import TenantState

DEFAULT_RESULT_SIZE = 1000
RESULT_SIZE_WARNING = (
    "By default, only the first {n} items are returned. Use the ResultSize parameter to specify the number of items "
    "returned. To return all items, specify \"-ResultSize Unlimited\". Be aware that, depending on the actual "
    "number of items, returning all items can take a long time and consume a large amount of memory. Also, we "
    "don't recommend storing the results in a variable. Instead, pipe the results to another task or script to "
    "perform batch changes.")


def _limit(call: BoundCall, objects: list[dict[str, Any]]) -> CmdletResult:
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


async def get_distribution_group(state: TenantState, call: BoundCall) -> CmdletResult:
    groups = list(state.exo_groups.values())
    if call.has("Identity"):
        identity = str(call.get("Identity"))
        if "*" in identity:
            pattern = identity.lower()
            groups = [g for g in groups if any(fnmatch.fnmatchcase(str(g[k]).lower(), pattern)
                                               for k in ("Name", "Alias", "DisplayName", "PrimarySmtpAddress"))]
        else:
            groups = [resolve_group(state, identity)]
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
        predicate = compile_filter(str(call.get("Filter")), set(objects[0]) if objects else {"Name"})
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


def register(registry: CmdletRegistry) -> None:
    registry.register("Get-DistributionGroup", get_distribution_group)
    registry.register("Get-DistributionGroupMember", get_distribution_group_member)
    registry.register("Add-DistributionGroupMember", add_distribution_group_member)
    registry.register("Remove-DistributionGroupMember", remove_distribution_group_member)
    registry.register("Update-DistributionGroupMember", update_distribution_group_member)

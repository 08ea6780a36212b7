"""Shared mailbox cmdlets: Get-Mailbox, Get-EXOMailbox, New-Mailbox -Shared, Set-Mailbox, Remove-Mailbox.

A mailbox is a user in state.users with a mail address; a shared mailbox is one whose record says
``"exoRecipientTypeDetails": "SharedMailbox"`` (a disabled Entra user, as in Exchange Online). Exchange-only
properties live on the user record under ``exo*`` keys: exoName, exoWhenChanged, exoGrantSendOnBehalfTo (user ids).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from devtenant.exchange.cmdlets import BoundCall
from devtenant.exchange.distribution_groups import check_name, new_recipient_names, secondary_address
from devtenant.exchange.errors import (
    ARGUMENT,
    NAME_IN_USE,
    NOT_IMPLEMENTED,
    CmdletError,
    ambiguous,
    dir_synced,
    object_not_found,
    too_long,
)
from devtenant.exchange.opath import compile_filter
from devtenant.exchange.recipients import (
    exo_guid,
    identity_pattern,
    limit_results,
    matches_pattern,
    resolve_user,
    user_recipient,
)
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.state import TenantState

SHARED = "SharedMailbox"
_ANR_FIELDS = ("Name", "Alias", "DisplayName", "PrimarySmtpAddress", "FirstName", "LastName")
# Get-EXOMailbox's "Minimum" property set: what it returns without -Properties/-PropertySets.
_EXO_MINIMUM = ("ExternalDirectoryObjectId", "UserPrincipalName", "Alias", "DisplayName", "EmailAddresses",
                "PrimarySmtpAddress", "RecipientType", "RecipientTypeDetails", "Identity", "Id", "Name",
                "DistinguishedName", "Guid")
_EXO_DELIVERY = ("GrantSendOnBehalfTo",)


# ------------------------------------------------------------------ shared helpers (permissions.py uses them too)
def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def touch_mailbox(user: dict[str, Any]) -> None:
    """Every change moves WhenChanged: the desk's incremental sync filters on WhenChangedUTC."""
    user["exoWhenChanged"] = now_iso()


def mailbox_name(user: dict[str, Any]) -> str:
    return str(user.get("exoName") or user["mailNickname"])


def is_dir_synced(user: dict[str, Any]) -> bool:
    return bool(user.get("onPremisesSyncEnabled"))


def only_parameters(call: BoundCall, supported: Iterable[str]) -> None:
    """Refuse catalog parameters the emulator does not apply, so no test passes on a change that did not happen."""
    allowed = set(supported)
    for name in call.params:
        if name not in allowed:
            raise CmdletError(NOT_IMPLEMENTED, f"devtenant does not emulate the parameter '{name}' of "
                                               f"'{call.cmdlet}' yet.")


def _mailboxes(state: TenantState) -> list[dict[str, Any]]:
    return [u for u in state.users.values() if u.get("mail")]


def _keys(user: dict[str, Any]) -> set[str]:
    values = [user["id"], exo_guid(user["id"]), user["mailNickname"], user["userPrincipalName"], user["mail"],
              user["displayName"], mailbox_name(user), *(user.get("proxyAddresses") or [])]
    keys = set()
    for value in values:
        if isinstance(value, str) and value:
            lowered = value.lower()
            keys.add(lowered[5:] if lowered.startswith("smtp:") else lowered)
    return keys


def _matches(pattern: re.Pattern[str], user: dict[str, Any]) -> bool:
    return matches_pattern(pattern, [mailbox_name(user), user["mailNickname"], user["displayName"], user["mail"]])


def resolve_mailbox(state: TenantState, identity: Any) -> dict[str, Any]:
    """The mailbox an -Identity names (object id, Guid, Name, alias, UPN, any address, display name)."""
    text = str(identity)
    key = text.strip().lower()
    if key.startswith("smtp:"):
        key = key[5:]
    pattern = identity_pattern(text)
    matches = [u for u in _mailboxes(state) if (_matches(pattern, u) if pattern else key in _keys(u))]
    if not matches:
        raise object_not_found(text, state.exo_server())
    if len(matches) > 1:
        raise ambiguous(text)
    return matches[0]


def check_writable(call: BoundCall, mailbox: dict[str, Any], parameter: str) -> None:
    if is_dir_synced(mailbox):
        raise dir_synced(call.cmdlet, parameter, mailbox_name(mailbox))


def mailbox_object(state: TenantState, user: dict[str, Any]) -> dict[str, Any]:
    """A mailbox as Get-Mailbox returns it (the recipient fields plus the mailbox's own)."""
    obj = user_recipient(user)
    name = mailbox_name(user)
    changed = str(user.get("exoWhenChanged") or user["createdDateTime"])
    delegates = [state.users[i] for i in user.get("exoGrantSendOnBehalfTo") or [] if i in state.users]
    obj.update({
        "Identity": name,
        "Id": name,
        "Name": name,
        "UserPrincipalName": user["userPrincipalName"],
        "WindowsEmailAddress": user["mail"],
        "DistinguishedName": f"CN={name},OU={state.initial_domain},OU=Microsoft Exchange Hosted Organizations,"
                             "DC=EURPR07A001,DC=prod,DC=outlook,DC=com",
        # Exchange lists Send on Behalf holders by their recipient Name, not by address.
        "GrantSendOnBehalfTo": [mailbox_name(d) for d in delegates],
        "AccountDisabled": not user.get("accountEnabled", True),
        "IsMailboxEnabled": True,
        "IsShared": user.get("exoRecipientTypeDetails") == SHARED,
        "WhenChanged": changed.rstrip("Z"),
        "WhenChangedUTC": changed,
        "WhenCreatedUTC": user["createdDateTime"],
        "IsValid": True,
    })
    return obj


def _strings(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]


def _select_mailboxes(state: TenantState, call: BoundCall, identity: Any) -> list[dict[str, Any]]:
    users = _mailboxes(state)
    if identity is not None:
        # Every mailbox the -Identity names: a "*" wildcard, or the same name on several, gives them all (a Get-
        # cmdlet is never ambiguous; resolve_mailbox is, for the cmdlets that change one mailbox).
        text = str(identity)
        key = text.strip().lower()
        key = key[5:] if key.startswith("smtp:") else key
        pattern = identity_pattern(text)
        users = [u for u in users if (_matches(pattern, u) if pattern else key in _keys(u))]
        if not users and pattern is None:
            raise object_not_found(text, state.exo_server())
    objects = [mailbox_object(state, u) for u in users]
    if call.has("Anr"):
        prefix = str(call.get("Anr")).strip().lower()
        objects = [o for o in objects if any(str(o.get(k) or "").lower().startswith(prefix) for k in _ANR_FIELDS)]
    if call.has("RecipientTypeDetails"):
        wanted = {w.lower() for w in _strings(call.get("RecipientTypeDetails"))}
        objects = [o for o in objects if o["RecipientTypeDetails"].lower() in wanted]
    if call.has("Filter"):
        sample = objects[0] if objects else mailbox_object(state, _mailboxes(state)[0])
        predicate = compile_filter(str(call.get("Filter")), set(sample))
        objects = [o for o in objects if predicate(o)]
    return objects


# ------------------------------------------------------------------ cmdlets
async def get_mailbox(state: TenantState, call: BoundCall) -> CmdletResult:
    # IncludeGrantSendOnBehalfToWithDisplayNames is accepted; GrantSendOnBehalfTo keeps holding Names.
    only_parameters(call, ("Identity", "Anr", "Filter", "RecipientTypeDetails", "ResultSize",
                           "IncludeGrantSendOnBehalfToWithDisplayNames"))
    return limit_results(call, _select_mailboxes(state, call, call.get("Identity")))


async def get_exo_mailbox(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "ExternalDirectoryObjectId", "PrimarySmtpAddress", "UserPrincipalName", "Anr",
                           "Filter", "RecipientTypeDetails", "ResultSize", "Properties", "PropertySets"))
    identity = next((call.get(p) for p in ("Identity", "ExternalDirectoryObjectId", "PrimarySmtpAddress",
                                           "UserPrincipalName") if call.has(p)), None)
    objects = _select_mailboxes(state, call, identity)
    sets = {s.lower() for s in _strings(call.get("PropertySets"))}
    if "all" in sets:
        return limit_results(call, objects)
    wanted = list(_EXO_MINIMUM) + (list(_EXO_DELIVERY) if "delivery" in sets else []) + _strings(
        call.get("Properties"))
    return limit_results(call, [{k: o[k] for k in wanted if k in o} for o in objects])


async def new_mailbox(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Name", "Shared", "Alias", "DisplayName", "PrimarySmtpAddress", "Confirm", "Force",
                           "WhatIf"))
    if not call.switch("Shared"):
        raise CmdletError(NOT_IMPLEMENTED, "devtenant emulates New-Mailbox -Shared only.")
    name = str(call.get("Name") or "")
    check_name(state, name)
    # Shared mailboxes carry a Name of their own (exoName); it must be unique among recipients too.
    if any(mailbox_name(u).lower() == name.strip().lower() for u in _mailboxes(state)):
        raise CmdletError(NAME_IN_USE, f'The name "{name}" is already being used. Please try another name.')
    alias, display_name, primary = new_recipient_names(state, call, name)
    if call.switch("WhatIf"):
        return CmdletResult()
    secondary = secondary_address(state, alias)
    record = state.add_shared_mailbox(name, display_name, alias, primary)
    record["proxyAddresses"] = [f"SMTP:{primary}", f"smtp:{secondary}"]
    state.record_user_change(record["id"])  # a new (disabled) user for Graph's /users/delta
    return CmdletResult([mailbox_object(state, record)])


async def remove_mailbox(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "Confirm", "Force", "WhatIf"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    check_writable(call, mailbox, "Identity")
    if call.switch("WhatIf"):
        return CmdletResult()
    user_id = mailbox["id"]
    # The mailbox's Entra user is soft-deleted (Graph delta reports it removed, group memberships go with it).
    state.delete_user(user_id)
    state.mailbox_permissions.pop(user_id, None)
    state.recipient_permissions.pop(user_id, None)
    # ... and it drops out of the delegations it held on other mailboxes.
    for user in state.users.values():
        if user_id in (user.get("exoGrantSendOnBehalfTo") or []):
            user["exoGrantSendOnBehalfTo"].remove(user_id)
    for full_access in state.mailbox_permissions.values():
        full_access[:] = [a for a in full_access if a["User"] != user_id]
    for send_as in state.recipient_permissions.values():
        send_as[:] = [a for a in send_as if a["Trustee"] != user_id]
    return CmdletResult()


def _send_on_behalf(state: TenantState, current: list[str], value: Any) -> list[str]:
    """-GrantSendOnBehalfTo: a list overwrites; a GenericHashTable {add, remove} changes incrementally."""
    if isinstance(value, dict):
        unknown = set(value) - {"add", "remove"}
        if unknown:
            raise CmdletError(ARGUMENT, f"The hashtable key '{sorted(unknown)[0]}' isn't valid for a multivalued "
                                        "property. Use Add or Remove.")
        result = list(current)
        for user in (resolve_user(state, v) for v in _strings(value.get("add"))):
            if user["id"] not in result:
                result.append(user["id"])
        for user in (resolve_user(state, v) for v in _strings(value.get("remove"))):
            if user["id"] in result:
                result.remove(user["id"])
        return result
    return list(dict.fromkeys(resolve_user(state, v)["id"] for v in _strings(value)))


async def set_mailbox(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "GrantSendOnBehalfTo", "DisplayName", "Confirm", "Force", "WhatIf"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    changes: dict[str, Any] = {}
    if call.has("GrantSendOnBehalfTo"):
        check_writable(call, mailbox, "GrantSendOnBehalfTo")
        current = list(mailbox.get("exoGrantSendOnBehalfTo") or [])
        wanted = _send_on_behalf(state, current, call.get("GrantSendOnBehalfTo"))
        if wanted != current:
            changes["exoGrantSendOnBehalfTo"] = wanted
    if call.has("DisplayName"):
        check_writable(call, mailbox, "DisplayName")
        display_name = str(call.get("DisplayName") or "")
        if len(display_name) > 256:
            raise too_long("DisplayName", 256)
        if display_name and display_name != mailbox["displayName"]:
            changes["displayName"] = display_name
    if not changes:
        # Exchange's own answer to a Set-* that changes nothing (e.g. adding someone who is already listed).
        return CmdletResult(warnings=[f"The command completed successfully but no settings of "
                                      f"'{mailbox_name(mailbox)}' have been modified."])
    if not call.switch("WhatIf"):
        mailbox.update(changes)
        touch_mailbox(mailbox)
        state.record_user_change(mailbox["id"])  # a no-op for Graph unless a tracked property (displayName) moved
    return CmdletResult()


def register(registry: CmdletRegistry) -> None:
    registry.register("Get-Mailbox", get_mailbox)
    registry.register("Get-EXOMailbox", get_exo_mailbox)
    registry.register("New-Mailbox", new_mailbox)
    registry.register("Set-Mailbox", set_mailbox)
    registry.register("Remove-Mailbox", remove_mailbox)

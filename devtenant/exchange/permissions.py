"""Mailbox delegation cmdlets: Full Access (Get/Add/Remove-MailboxPermission) and Send As (*-RecipientPermission).

Explicit entries live in state.mailbox_permissions / state.recipient_permissions (by mailbox user id, holders by
user id). Reads add what Exchange always shows besides them: the NT AUTHORITY\\SELF entry and, for Full Access,
the entries inherited from the organization. Adding an entry that is already there is a WARNING, not an error
(M365-APIS §2.4); removing a Full Access entry that is not there is the documented error, removing an absent
Send As entry a WARNING with the same text (the emulator's choice: the docs only describe the Full Access case).
"""

from __future__ import annotations

from typing import Any

from devtenant.exchange.cmdlets import BoundCall
from devtenant.exchange.errors import (
    ARGUMENT,
    NOT_IMPLEMENTED,
    CmdletError,
    ace_already_present_text,
    ace_not_found,
    ace_not_found_text,
)
from devtenant.exchange.mailboxes import (
    check_writable,
    mailbox_name,
    only_parameters,
    resolve_mailbox,
    touch_mailbox,
)
from devtenant.exchange.recipients import limit_results, resolve_user
from devtenant.exchange.registry import CmdletRegistry, CmdletResult
from devtenant.state import TenantState
from devtenant.states.exchange import FullAccessGrant

SELF = "NT AUTHORITY\\SELF"
FULL_ACCESS = "FullAccess"
SEND_AS = "SendAs"
_INHERITANCE = ("None", "All", "Descendents", "SelfAndChildren", "Children")
# What every Exchange Online mailbox inherits from the organization: (account, rights, deny).
_INHERITED = (
    ("EURPR07A001\\Administrator", ["FullAccess"], True),
    ("EURPR07A001\\Domain Admins", ["FullAccess"], True),
    ("EURPR07A001\\Enterprise Admins", ["FullAccess"], True),
    ("EURPR07A001\\Organization Management", ["FullAccess"], True),
    ("NT AUTHORITY\\SYSTEM", ["FullAccess"], False),
    ("NT AUTHORITY\\NETWORK SERVICE", ["ReadPermission"], False),
    ("EURPR07A001\\Exchange Servers", ["FullAccess", "ReadPermission"], False),
    ("EURPR07A001\\Exchange Trusted Subsystem", ["FullAccess"], False),
    ("EURPR07A001\\Managed Availability Servers", ["ReadPermission"], False),
)


def _rights(call: BoundCall) -> list[str]:
    value = call.get("AccessRights")
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v]


def _account(user: dict[str, Any]) -> str:
    """How Exchange Online names a cloud user in an ACL: by user principal name."""
    return str(user["userPrincipalName"])


def _mailbox_ace(name: str, user: str, rights: list[str], *, inherited: bool = False, deny: bool = False,
                 inheritance: str = "All") -> dict[str, Any]:
    return {"Identity": name, "User": user, "AccessRights": list(rights), "IsInherited": inherited, "Deny": deny,
            "InheritanceType": inheritance, "IsValid": True}


def _full_access_rights(call: BoundCall) -> None:
    rights = _rights(call)
    if [r.lower() for r in rights] != ["fullaccess"]:
        raise CmdletError(NOT_IMPLEMENTED, "devtenant emulates only -AccessRights FullAccess on mailbox "
                                           f"permissions, not {', '.join(rights)}.")


def _inheritance(call: BoundCall) -> str:
    given = str(call.get("InheritanceType") or "All")
    canonical = {v.lower(): v for v in _INHERITANCE}.get(given.lower())
    if canonical is None:
        raise CmdletError(ARGUMENT, f"Cannot bind parameter 'InheritanceType'. Cannot convert value \"{given}\" to "
                                    "type \"System.DirectoryServices.ActiveDirectorySecurityInheritance\". Error: "
                                    "\"Unable to match the identifier name to a valid enumerator name. Specify one "
                                    f"of the following enumerator names and try again: {', '.join(_INHERITANCE)}\"")
    return canonical


async def get_mailbox_permission(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "User", "ResultSize", "IncludeUserWithDisplayName"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    name = mailbox_name(mailbox)
    entries = [_mailbox_ace(name, SELF, ["FullAccess", "ReadPermission"], inheritance="All")]
    for ace in state.mailbox_permissions.get(mailbox["id"], []):
        holder = state.users.get(ace["User"])
        if holder is not None:
            entry = _mailbox_ace(name, _account(holder), ace["AccessRights"], inheritance=ace["InheritanceType"])
            if call.switch("IncludeUserWithDisplayName"):
                entry["UserDisplayName"] = holder["displayName"]
            entries.append(entry)
    entries += [_mailbox_ace(name, account, rights, inherited=True, deny=deny)
                for account, rights, deny in _INHERITED]
    if call.has("User"):
        wanted = _account(resolve_user(state, call.get("User"))).lower()
        entries = [e for e in entries if e["User"].lower() == wanted]
    return limit_results(call, entries)


async def add_mailbox_permission(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "User", "AccessRights", "InheritanceType", "AutoMapping", "Confirm", "WhatIf"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    user = resolve_user(state, call.get("User"))
    _full_access_rights(call)
    inheritance = _inheritance(call)
    check_writable(call, mailbox, "User")
    name = mailbox_name(mailbox)
    aces = state.mailbox_permissions.setdefault(mailbox["id"], [])
    existing = next((a for a in aces if a["User"] == user["id"]), None)
    if existing is not None:
        # Idempotent with a warning; AutoMapping of an existing grant changes only by removing and re-adding it.
        return CmdletResult([_mailbox_ace(name, _account(user), existing["AccessRights"],
                                          inheritance=existing["InheritanceType"])],
                            warnings=[ace_already_present_text(name, _account(user))])
    ace: FullAccessGrant = {"User": user["id"], "AccessRights": [FULL_ACCESS], "InheritanceType": inheritance,
           "AutoMapping": call.get("AutoMapping", True)}
    if not call.switch("WhatIf"):
        aces.append(ace)
        touch_mailbox(mailbox)
    return CmdletResult([_mailbox_ace(name, _account(user), [FULL_ACCESS], inheritance=inheritance)])


async def remove_mailbox_permission(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "User", "AccessRights", "InheritanceType", "Confirm", "WhatIf"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    user = resolve_user(state, call.get("User"))
    _full_access_rights(call)
    check_writable(call, mailbox, "User")
    aces = state.mailbox_permissions.setdefault(mailbox["id"], [])
    existing = next((a for a in aces if a["User"] == user["id"]), None)
    if existing is None:
        raise ace_not_found(mailbox_name(mailbox), _account(user))
    if not call.switch("WhatIf"):
        aces.remove(existing)
        touch_mailbox(mailbox)
    return CmdletResult()


def _send_as_entry(name: str, trustee: str) -> dict[str, Any]:
    return {"Identity": name, "Trustee": trustee, "AccessControlType": "Allow", "AccessRights": [SEND_AS],
            "IsInherited": False, "InheritanceType": "None"}


def _send_as_rights(call: BoundCall) -> None:
    rights = _rights(call)
    if [r.lower() for r in rights] != ["sendas"]:
        raise CmdletError(ARGUMENT, "The value of AccessRights must be SendAs.")


async def get_recipient_permission(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "Trustee", "AccessRights", "ResultSize"))
    if call.has("Identity"):
        mailboxes = [resolve_mailbox(state, call.get("Identity"))]
    else:
        mailboxes = [u for u in state.users.values() if u.get("mail")]
    entries = []
    for mailbox in mailboxes:
        name = mailbox_name(mailbox)
        entries.append(_send_as_entry(name, SELF))
        for ace in state.recipient_permissions.get(mailbox["id"], []):
            trustee = state.users.get(ace["Trustee"])
            if trustee is not None:
                entries.append(_send_as_entry(name, _account(trustee)))
    if call.has("Trustee"):
        wanted = _account(resolve_user(state, call.get("Trustee"))).lower()
        entries = [e for e in entries if e["Trustee"].lower() == wanted]
    return limit_results(call, entries)


async def add_recipient_permission(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "Trustee", "AccessRights", "Confirm", "WhatIf"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    trustee = resolve_user(state, call.get("Trustee"))
    _send_as_rights(call)
    check_writable(call, mailbox, "Trustee")
    name = mailbox_name(mailbox)
    aces = state.recipient_permissions.setdefault(mailbox["id"], [])
    entry = _send_as_entry(name, _account(trustee))
    if any(a["Trustee"] == trustee["id"] for a in aces):
        return CmdletResult([entry], warnings=[ace_already_present_text(name, _account(trustee))])
    if not call.switch("WhatIf"):
        aces.append({"Trustee": trustee["id"], "AccessRights": [SEND_AS]})
        touch_mailbox(mailbox)
    return CmdletResult([entry])


async def remove_recipient_permission(state: TenantState, call: BoundCall) -> CmdletResult:
    only_parameters(call, ("Identity", "Trustee", "AccessRights", "Confirm", "WhatIf"))
    mailbox = resolve_mailbox(state, call.get("Identity"))
    trustee = resolve_user(state, call.get("Trustee"))
    _send_as_rights(call)
    check_writable(call, mailbox, "Trustee")
    aces = state.recipient_permissions.setdefault(mailbox["id"], [])
    existing = next((a for a in aces if a["Trustee"] == trustee["id"]), None)
    if existing is None:
        return CmdletResult(warnings=[ace_not_found_text(mailbox_name(mailbox), _account(trustee))])
    if not call.switch("WhatIf"):
        aces.remove(existing)
        touch_mailbox(mailbox)
    return CmdletResult()


def register(registry: CmdletRegistry) -> None:
    registry.register("Get-MailboxPermission", get_mailbox_permission)
    registry.register("Add-MailboxPermission", add_mailbox_permission)
    registry.register("Remove-MailboxPermission", remove_mailbox_permission)
    registry.register("Get-RecipientPermission", get_recipient_permission)
    registry.register("Add-RecipientPermission", add_recipient_permission)
    registry.register("Remove-RecipientPermission", remove_recipient_permission)

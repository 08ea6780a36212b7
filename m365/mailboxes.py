"""The Mailboxes port on Exchange Online cmdlets (through ExchangeClient): shared mailboxes and their delegations."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from m365.errors import ExchangeCmdletError, M365Error, NotFound
from m365.exchange import ExchangeClient, ExchangeResult
from m365.exchange_names import MATCH_FIELDS, exact_name_filter, exact_rows, is_object_id
from m365.exchange_values import as_bool, as_list, opath_time, parse_time
from m365.ports import Access, MailboxDelegate, MemberChange, NewSharedMailbox, SharedMailbox

logger = logging.getLogger(__name__)

SHARED = "SharedMailbox"
MAILBOX_FIELDS = (
    "ExternalDirectoryObjectId",
    "Guid",
    "Identity",
    "Name",
    "DisplayName",
    "Alias",
    "PrimarySmtpAddress",
    "RecipientTypeDetails",
    "IsDirSynced",
    "WhenChangedUTC",
)
_LOOKUP_FIELDS = tuple(dict.fromkeys((*MAILBOX_FIELDS, *MATCH_FIELDS)))
_RESOLVE_FIELDS = ("PrimarySmtpAddress", "DisplayName", "ExternalDirectoryObjectId")
_SELF = "nt authority\\self"
# Exchange's texts for "nothing to do" (M365-APIS §2.4): warnings on adds, an error (Full Access) or a warning
# (Send As) on removals, and the generic warning of a Set-* that changed nothing (Send on Behalf).
_ALREADY_PRESENT = "access control entry is already present"
_ACE_ABSENT = "because the ace doesn't exist on the object"
_NOTHING_MODIFIED = "have been modified"


class ExchangeMailboxes:
    """Mailboxes through Get/New/Set/Remove-Mailbox and the Mailbox/RecipientPermission cmdlets."""

    def __init__(self, client: ExchangeClient) -> None:
        self._client = client

    # ------------------------------------------------------------------ reads
    async def get_mailbox(self, identity: str) -> SharedMailbox | None:
        """The one shared mailbox called exactly ``identity``; None when none or several are (see mailboxes_named)."""
        found = await self.mailboxes_named(identity)
        return found[0] if len(found) == 1 else None

    async def mailboxes_named(self, name: str) -> list[SharedMailbox]:
        """Every shared mailbox whose object id, Guid, primary or proxy address, alias, Name or display name is
        exactly ``name`` (any case). Never a pattern: "*" names only a mailbox literally called that."""
        key = name.strip()
        if not key:
            return []
        # An object id names one object and holds no wildcard: -Identity is exact for it. Anything else goes into
        # -Filter as a quoted literal, because -Identity would expand "*".
        parameters: dict[str, object] = (
            {"Identity": key} if is_object_id(key) else {"Filter": exact_name_filter(key), "ResultSize": "Unlimited"}
        )
        try:
            result = await self._client.invoke("Get-Mailbox", parameters, select=_LOOKUP_FIELDS)
        except NotFound:
            return []
        return [_to_mailbox(row) for row in exact_rows(result.values, key) if _is_shared(row)]

    async def find_mailboxes(self, query: str, limit: int = 25) -> list[SharedMailbox]:
        if limit <= 0:
            return []
        parameters: dict[str, object] = {"RecipientTypeDetails": [SHARED], "ResultSize": limit}
        if query.strip():
            # Anr matches name, alias, display name and address prefixes; Exchange quotes it, no -Filter needed.
            # These are suggestions to show, never a selection (mailboxes_named selects).
            parameters["Anr"] = query.strip()
        result = await self._client.invoke("Get-Mailbox", parameters, select=MAILBOX_FIELDS)
        return [_to_mailbox(row) for row in result.values[:limit] if _is_shared(row)]

    async def all_shared_mailboxes(self, changed_since: datetime | None = None) -> list[SharedMailbox]:
        parameters: dict[str, object] = {"RecipientTypeDetails": [SHARED], "ResultSize": "Unlimited"}
        if changed_since is not None:
            # -ge on whole seconds, not -gt: WhenChangedUTC has second precision, so a mailbox changed in the same
            # second as the cursor would otherwise be missed (reading it twice is harmless).
            parameters["Filter"] = f"WhenChangedUTC -ge '{opath_time(changed_since)}'"
        result = await self._client.invoke("Get-Mailbox", parameters, select=MAILBOX_FIELDS)
        return [_to_mailbox(row) for row in result.values if _is_shared(row)]

    async def mailbox_ids(self) -> set[str]:
        result = await self._client.invoke(
            "Get-Mailbox",
            {"RecipientTypeDetails": [SHARED], "ResultSize": "Unlimited"},
            select=("ExternalDirectoryObjectId", "Guid"),
        )
        return {_identity(row) for row in result.values if _identity(row)}

    async def delegates(self, identity: str) -> list[MailboxDelegate]:
        full_access, send_as, mailbox = await asyncio.gather(
            self._client.invoke(
                "Get-MailboxPermission",
                {"Identity": identity, "ResultSize": "Unlimited"},
                select=("User", "AccessRights", "IsInherited", "Deny"),
            ),
            self._client.invoke(
                "Get-RecipientPermission",
                {"Identity": identity, "AccessRights": ["SendAs"], "ResultSize": "Unlimited"},
                select=("Trustee", "AccessRights", "AccessControlType", "IsInherited"),
            ),
            self._client.invoke("Get-Mailbox", {"Identity": identity}, select=("GrantSendOnBehalfTo",)),
        )
        holders: list[tuple[Access, str]] = []
        holders += [(Access.FULL_ACCESS, str(row["User"])) for row in full_access.values if _explicit_full_access(row)]
        holders += [(Access.SEND_AS, str(row["Trustee"])) for row in send_as.values if _explicit_send_as(row)]
        for row in mailbox.values[:1]:
            holders += [(Access.SEND_ON_BEHALF, name) for name in as_list(row.get("GrantSendOnBehalfTo"))]
        # Exchange names holders by UPN (permissions) or by recipient Name (Send on Behalf): resolve each once.
        resolved = await self._resolve({name for _, name in holders})
        delegates = []
        for access, name in dict.fromkeys(holders):
            address, display_name, object_id = resolved.get(name, (name, name, None))
            delegates.append(MailboxDelegate(
                access=access, primary_smtp_address=address, display_name=display_name,
                external_directory_object_id=object_id,
                # Get-MailboxPermission does not report AutoMapping (it lives on the holder's account).
                auto_mapping=None,
            ))
        return delegates

    # ------------------------------------------------------------------ changes
    async def create_shared(self, new: NewSharedMailbox) -> SharedMailbox:
        # AddressInUse (the documented proxy-address error) comes typed from the client.
        result = await self._client.invoke("New-Mailbox", {
            "Shared": True,
            "Name": new.name,
            "Alias": new.alias,
            "DisplayName": new.display_name,
            "PrimarySmtpAddress": new.primary_smtp_address,
            "Confirm": False,
        })
        logger.info("created shared mailbox %s", new.primary_smtp_address)
        rows = [row for row in result.values if row.get("PrimarySmtpAddress")]
        if rows:
            return _to_mailbox(rows[0])
        created = await self.get_mailbox(new.primary_smtp_address)
        if created is None:
            raise M365Error(f"New-Mailbox reported success but {new.primary_smtp_address} cannot be read back")
        return created

    async def delete_mailbox(self, identity: str) -> bool:
        # Look first: Remove-Mailbox takes any mailbox, and this port must never delete a person's own mailbox.
        mailbox = await self.get_mailbox(identity)
        if mailbox is None:
            return False
        try:
            await self._client.invoke("Remove-Mailbox", {"Identity": mailbox.identity, "Confirm": False})
        except NotFound:
            return False  # removed by someone else in between
        logger.info("removed shared mailbox %s", mailbox.primary_smtp_address)
        return True

    async def grant(self, identity: str, access: Access, user: str, *, auto_mapping: bool = True) -> MemberChange:
        if access is Access.FULL_ACCESS:
            result = await self._client.invoke("Add-MailboxPermission", {
                "Identity": identity, "User": user, "AccessRights": ["FullAccess"], "InheritanceType": "All",
                "AutoMapping": auto_mapping, "Confirm": False,
            })
            present = _warned(result, _ALREADY_PRESENT)
        elif access is Access.SEND_AS:
            result = await self._client.invoke("Add-RecipientPermission", {
                "Identity": identity, "Trustee": user, "AccessRights": ["SendAs"], "Confirm": False,
            })
            present = _warned(result, _ALREADY_PRESENT)
        else:
            result = await self._client.invoke("Set-Mailbox", {
                "Identity": identity, "GrantSendOnBehalfTo": _hashtable("Add", user), "Confirm": False,
            })
            present = _warned(result, _NOTHING_MODIFIED)
        if present:
            return MemberChange.ALREADY_PRESENT
        logger.info("granted %s on %s to %s", access, identity, user)
        return MemberChange.ADDED

    async def revoke(self, identity: str, access: Access, user: str) -> MemberChange:
        try:
            if access is Access.FULL_ACCESS:
                result = await self._client.invoke("Remove-MailboxPermission", {
                    "Identity": identity, "User": user, "AccessRights": ["FullAccess"], "InheritanceType": "All",
                    "Confirm": False,
                })
                absent = _warned(result, _ACE_ABSENT)
            elif access is Access.SEND_AS:
                result = await self._client.invoke("Remove-RecipientPermission", {
                    "Identity": identity, "Trustee": user, "AccessRights": ["SendAs"], "Confirm": False,
                })
                absent = _warned(result, _ACE_ABSENT)
            else:
                result = await self._client.invoke("Set-Mailbox", {
                    "Identity": identity, "GrantSendOnBehalfTo": _hashtable("Remove", user), "Confirm": False,
                })
                absent = _warned(result, _NOTHING_MODIFIED)
        except ExchangeCmdletError as exc:
            if _ACE_ABSENT in exc.message.lower():
                return MemberChange.NOT_PRESENT
            # "Couldn't find object" names neither the mailbox nor the person: a person who does not exist holds
            # nothing (the removal is done), a missing mailbox is the caller's problem. Look once to tell.
            if isinstance(exc, NotFound) and await self._exists(identity):
                return MemberChange.NOT_PRESENT
            raise
        if absent:
            return MemberChange.NOT_PRESENT
        logger.info("revoked %s on %s from %s", access, identity, user)
        return MemberChange.REMOVED

    # ------------------------------------------------------------------ helpers
    async def _exists(self, identity: str) -> bool:
        try:
            result = await self._client.invoke("Get-Mailbox", {"Identity": identity}, select=("Guid",))
        except NotFound:
            return False
        return bool(result.values)

    async def _resolve(self, names: set[str]) -> dict[str, tuple[str, str, str | None]]:
        """Holder names → (primary SMTP address, display name, object id) through Get-Recipient; one $batch for
        many. A holder that is no recipient any more (deleted) keeps its name, so it still shows."""
        ordered = sorted(names)
        if not ordered:
            return {}
        outcomes: list[ExchangeResult | M365Error]
        if len(ordered) == 1:
            try:
                outcomes = [await self._client.invoke("Get-Recipient", {"Identity": ordered[0]},
                                                      select=_RESOLVE_FIELDS)]
            except NotFound as exc:
                outcomes = [exc]
        else:
            outcomes = await self._client.invoke_batch(
                [("Get-Recipient", {"Identity": name}) for name in ordered], select=_RESOLVE_FIELDS
            )
        resolved: dict[str, tuple[str, str, str | None]] = {}
        for name, outcome in zip(ordered, outcomes, strict=True):
            if isinstance(outcome, NotFound):
                logger.warning("mailbox delegate %r is not a recipient any more", name)
                continue
            if isinstance(outcome, M365Error):
                raise outcome  # better no answer than delegates shown under the wrong names
            row = outcome.values[0] if outcome.values else {}
            object_id = row.get("ExternalDirectoryObjectId")
            resolved[name] = (str(row.get("PrimarySmtpAddress") or name), str(row.get("DisplayName") or name),
                              str(object_id) if object_id else None)
        return resolved


def _hashtable(operation: str, user: str) -> dict[str, object]:
    return {"@odata.type": "#Exchange.GenericHashTable", operation: [user]}


def _warned(result: ExchangeResult, text: str) -> bool:
    return any(text in warning.lower() for warning in result.warnings)


def _rights(value: Any) -> set[str]:
    # AccessRights arrive as a list, or as one "FullAccess, ReadPermission" string depending on serialisation.
    return {part.strip().lower() for item in as_list(value) for part in item.split(",") if part.strip()}


def _explicit_full_access(row: dict[str, Any]) -> bool:
    user = str(row.get("User") or "")
    return (
        "fullaccess" in _rights(row.get("AccessRights"))
        and not as_bool(row.get("IsInherited"))
        and not as_bool(row.get("Deny"))
        and user.lower() != _SELF
        # An ACE of a deleted account shows as a bare SID: nobody to show or to resolve.
        and not user.upper().startswith("S-1-")
        and bool(user)
    )


def _explicit_send_as(row: dict[str, Any]) -> bool:
    trustee = str(row.get("Trustee") or "")
    return (
        "sendas" in _rights(row.get("AccessRights"))
        and str(row.get("AccessControlType") or "Allow").lower() == "allow"
        and not as_bool(row.get("IsInherited"))
        and trustee.lower() != _SELF
        and not trustee.upper().startswith("S-1-")
        and bool(trustee)
    )


def _is_shared(row: dict[str, Any]) -> bool:
    return str(row.get("RecipientTypeDetails") or "").lower() == SHARED.lower()


def _identity(row: dict[str, Any]) -> str:
    return str(row.get("ExternalDirectoryObjectId") or row.get("Guid") or row.get("Identity") or "")


def _to_mailbox(row: dict[str, Any]) -> SharedMailbox:
    return SharedMailbox(
        identity=_identity(row),
        name=str(row.get("Name") or ""),
        display_name=str(row.get("DisplayName") or row.get("Name") or ""),
        alias=str(row.get("Alias") or ""),
        primary_smtp_address=str(row.get("PrimarySmtpAddress") or ""),
        is_dir_synced=as_bool(row.get("IsDirSynced")),
        changed_at=parse_time(row.get("WhenChangedUTC")),
    )

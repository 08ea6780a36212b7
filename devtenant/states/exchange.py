"""Exchange Online's own records: distribution groups' Exchange view, and explicit mailbox permissions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypedDict

from devtenant.seed import SeedList
from devtenant.states.directory import Directory, UserRecord
from devtenant.states.stamps import iso

# Exchange datacenter names: they show up in real error texts ("couldn't be found on '<server>'").
EXO_SERVER = "DB9PR07MB8123.EURPRD07.PROD.OUTLOOK.COM"
EXO_ORG_UNIT = "EURPR07A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com"

# A distribution group by Exchange's property names (Name, Alias, ManagedBy, MemberJoinRestriction, ...), keyed
# by the Graph group's id; Set-DistributionGroup writes the parameters it is given into it, so it stays a dict.
ExchangeGroupRecord = dict[str, Any]


class FullAccessGrant(TypedDict):
    """An explicit Full Access ACE on a mailbox (Add-MailboxPermission)."""

    User: str  # the holder's user id
    AccessRights: list[str]
    InheritanceType: str
    AutoMapping: Any  # as the caller sent it (Exchange binds it to a bool)


class SendAsGrant(TypedDict):
    """An explicit Send As ACE on a mailbox (Add-RecipientPermission)."""

    Trustee: str  # the trustee's user id
    AccessRights: list[str]


class ExchangeState:
    """What Exchange keeps beside the directory: mailboxes themselves are directory users with a mail address."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory
        self.exo_groups: dict[str, ExchangeGroupRecord] = {}  # Exchange view of the DLs, keyed by directory id
        # Explicit mailbox delegations keyed by the mailbox's user id (devtenant/exchange/permissions.py).
        self.mailbox_permissions: dict[str, list[FullAccessGrant]] = {}
        self.recipient_permissions: dict[str, list[SendAsGrant]] = {}

    def add_list(self, dl: SeedList, created: datetime) -> ExchangeGroupRecord:
        """The Exchange side of a seeded distribution list (its owners must already be users)."""
        users = self._directory.users
        self.exo_groups[dl.id] = record = {
            "Name": dl.name,
            "DisplayName": dl.display_name,
            "Alias": dl.alias,
            "PrimarySmtpAddress": dl.primary_smtp_address,
            "EmailAddresses": [f"SMTP:{dl.primary_smtp_address}", f"smtp:{dl.alias}@{self._directory.initial_domain}"],
            "ManagedBy": [users[o]["mail"] for o in dl.managed_by],
            "MemberJoinRestriction": dl.member_join_restriction,
            "MemberDepartRestriction": dl.member_depart_restriction,
            "IsDirSynced": dl.is_dir_synced,
            "ExternalDirectoryObjectId": dl.id,
            "Guid": str(uuid.uuid5(uuid.UUID(dl.id), "exchange")),
            "RecipientType": "MailUniversalDistributionGroup",
            "RecipientTypeDetails": "MailUniversalDistributionGroup",
            "GroupType": "Universal",
            "RequireSenderAuthenticationEnabled": True,
            "HiddenFromAddressListsEnabled": False,
            "Notes": dl.notes,
            "WhenCreated": iso(created),
            "WhenChanged": iso(created + timedelta(days=30)),
        }
        return record

    def drop_owner(self, user: UserRecord) -> None:
        """A deleted user no longer owns any list (ManagedBy names them by address, or by id)."""
        user_id = user["id"]
        mail = (user.get("mail") or "").lower()
        for exo in self.exo_groups.values():
            owners = exo.get("ManagedBy")
            if mail and isinstance(owners, list) and any(str(o).lower() in (mail, user_id) for o in owners):
                exo["ManagedBy"] = [o for o in owners if str(o).lower() not in (mail, user_id)]

    def exo_group(self, list_id: str) -> ExchangeGroupRecord:
        group = self._directory.find_group(list_id)
        if group is None or group["id"] not in self.exo_groups:
            raise KeyError(list_id)
        return self.exo_groups[group["id"]]

    @staticmethod
    def exo_server() -> str:
        return EXO_SERVER

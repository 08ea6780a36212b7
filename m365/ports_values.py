"""The values the m365 ports speak: users, SKUs and licenses, lists, mailboxes, recipients, delta pages, outcomes,
mailbox usage rows and message trace rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from m365.errors import M365Error


@dataclass(frozen=True, slots=True)
class DirectoryUser:
    id: str
    display_name: str
    user_principal_name: str
    mail: str | None = None
    given_name: str | None = None
    surname: str | None = None
    department: str | None = None
    job_title: str | None = None
    country: str | None = None
    usage_location: str | None = None
    account_enabled: bool = True
    preferred_language: str | None = None


@dataclass(frozen=True, slots=True)
class Sku:
    sku_id: str
    sku_part_number: str
    enabled_units: int
    consumed_units: int
    applies_to: str = "User"
    capability_status: str = "Enabled"

    @property
    def free_units(self) -> int:
        return max(self.enabled_units - self.consumed_units, 0)


@dataclass(frozen=True, slots=True)
class UserLicense:
    sku_id: str
    sku_part_number: str
    # None when assigned directly; otherwise the id of the group whose membership gives it.
    assigned_by_group: str | None = None
    disabled_plans: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LicenseHolder:
    """A user with at least one license, as the license report (F11) needs them: one read for the whole tenant."""

    id: str
    display_name: str
    user_principal_name: str
    account_enabled: bool
    licenses: tuple[UserLicense, ...]  # one entry per assignment path, as Licenses.user_licenses reports them
    # signInActivity.lastSuccessfulSignInDateTime; None = no successful sign-in recorded (Graph keeps it since
    # December 2023 and does not backfill it).
    last_successful_sign_in: datetime | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A commercial subscription (Graph companySubscription): what was bought and when it moves on if not renewed."""

    id: str
    sku_id: str
    sku_part_number: str
    status: str  # Enabled | Warning | Suspended | Deleted | LockedOut
    total_licenses: int
    next_lifecycle: datetime | None = None  # nextLifecycleDateTime: the end of the term unless renewed
    is_trial: bool = False


@dataclass(frozen=True, slots=True)
class DistributionList:
    identity: str  # ExternalDirectoryObjectId (the Entra object id) — stable across renames
    name: str
    display_name: str
    primary_smtp_address: str
    alias: str
    managed_by: tuple[str, ...] = ()  # owners, as their primary SMTP addresses
    member_join_restriction: str = "Closed"  # Open | Closed | ApprovalRequired
    member_depart_restriction: str = "Closed"
    is_dir_synced: bool = False
    description: str = ""
    # RequireSenderAuthenticationEnabled=False: people outside the organisation may send to the list.
    accepts_external_senders: bool = False
    changed_at: datetime | None = None  # WhenChangedUTC: what incremental sync compares


@dataclass(frozen=True, slots=True)
class NewDistributionList:
    """Everything New-DistributionGroup needs; addresses are primary SMTP addresses."""

    name: str
    alias: str
    primary_smtp_address: str
    display_name: str
    owners: tuple[str, ...]  # at least one: app-only callers must always pass -ManagedBy
    members: tuple[str, ...] = ()
    description: str = ""
    member_join_restriction: str = "Closed"  # Open | Closed | ApprovalRequired
    member_depart_restriction: str = "Closed"  # Open | Closed
    accepts_external_senders: bool = False


@dataclass(frozen=True, slots=True)
class ListChanges:
    """A modification of a list: None (or empty) leaves a property as it is."""

    display_name: str | None = None
    description: str | None = None
    add_owners: tuple[str, ...] = ()
    remove_owners: tuple[str, ...] = ()
    member_join_restriction: str | None = None
    member_depart_restriction: str | None = None
    accepts_external_senders: bool | None = None

    @property
    def is_empty(self) -> bool:
        return (
            self.display_name is None
            and self.description is None
            and not self.add_owners
            and not self.remove_owners
            and self.member_join_restriction is None
            and self.member_depart_restriction is None
            and self.accepts_external_senders is None
        )


@dataclass(frozen=True, slots=True)
class ListMember:
    primary_smtp_address: str
    display_name: str
    external_directory_object_id: str | None = None
    recipient_type: str = "UserMailbox"


@dataclass(frozen=True, slots=True)
class SharedMailbox:
    identity: str  # ExternalDirectoryObjectId (the Entra object id of the mailbox's disabled user)
    name: str
    display_name: str
    alias: str
    primary_smtp_address: str
    is_dir_synced: bool = False
    changed_at: datetime | None = None  # WhenChangedUTC


@dataclass(frozen=True, slots=True)
class NewSharedMailbox:
    """New-Mailbox -Shared; delegates are granted afterwards, one permission per step."""

    name: str
    alias: str
    primary_smtp_address: str
    display_name: str


class Access(enum.StrEnum):
    """The three delegations of a shared mailbox."""

    FULL_ACCESS = "full_access"  # Add-MailboxPermission -AccessRights FullAccess -InheritanceType All
    SEND_AS = "send_as"  # Add-RecipientPermission -AccessRights SendAs
    SEND_ON_BEHALF = "send_on_behalf"  # Set-Mailbox -GrantSendOnBehalfTo @{add=...}


@dataclass(frozen=True, slots=True)
class MailboxDelegate:
    access: Access
    primary_smtp_address: str
    display_name: str
    external_directory_object_id: str | None = None
    auto_mapping: bool | None = None  # FullAccess only; None when Exchange does not say


@dataclass(frozen=True, slots=True)
class Recipient:
    """Any mail-enabled object as Get-Recipient returns it: who holds an address, and what it is."""

    primary_smtp_address: str
    display_name: str
    recipient_type_details: str  # UserMailbox | SharedMailbox | MailUniversalDistributionGroup | MailUser | ...
    external_directory_object_id: str | None = None
    is_dir_synced: bool = False


@dataclass(frozen=True, slots=True)
class UserState:
    """A user as the directory sync (F7) keeps them: from Graph /users/delta."""

    id: str
    display_name: str
    user_principal_name: str
    mail: str | None
    account_enabled: bool
    department: str | None = None
    manager_id: str | None = None
    # The fields the source actually reported. Graph's delta gives an updated user "with at least the updated
    # properties", so a field it left out must keep its stored value, not become blank. None = all of them.
    present: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class UserDeltaPage:
    """One page of /users/delta: changed users, removed ids, and where to go next.

    Exactly one of next_link (more pages in this round) and delta_link (round finished; keep it for the next
    round) is set. Store whichever is set after each page and the sync resumes where it stopped.
    """

    users: tuple[UserState, ...]
    removed_ids: tuple[str, ...]
    next_link: str | None
    delta_link: str | None


class MemberChange(enum.StrEnum):
    ADDED = "added"
    ALREADY_PRESENT = "already_present"
    REMOVED = "removed"
    NOT_PRESENT = "not_present"


@dataclass(frozen=True, slots=True)
class AssignOutcome:
    """One item of a bulk license assignment: the user, its call's HTTP status, the typed error if any."""

    user_id: str
    status: int
    error: M365Error | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class MailboxUsage:
    """One row of Graph's mailbox usage report (getMailboxUsageDetail). When the tenant conceals names, the UPN and
    display name are hashes; ``recipient_type`` is "User"/"Shared" or "UserMailbox"/"SharedMailbox" by tenant."""

    user_principal_name: str
    display_name: str
    is_deleted: bool
    last_activity: date | None
    recipient_type: str


@dataclass(frozen=True, slots=True)
class TraceRow:
    """One message trace row (Get-MessageTraceV2): when Exchange received a message for which recipient."""

    received: datetime
    recipient_address: str
    sender_address: str
    status: str

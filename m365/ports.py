"""The ports the desk uses to read and change the tenant, and the dataclasses they speak."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

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


class Directory(Protocol):
    """People and groups in Entra ID (Graph)."""

    async def get_user(self, id_or_upn: str) -> DirectoryUser | None: ...

    async def find_users(self, query: str, limit: int = 10) -> list[DirectoryUser]:
        """Users whose display name, UPN or mail starts with ``query``."""
        ...

    async def group_member_ids(self, group_id: str) -> list[str]:
        """Object ids of the group's direct user members (all pages)."""
        ...

    async def is_member_of(self, user_id: str, group_id: str) -> bool: ...

    async def set_usage_location(self, user_id: str, country_code: str) -> None: ...

    async def get_group_name(self, group_id: str) -> str | None:
        """The group's display name (e.g. the licensing group a license comes from); None if there is none."""
        ...

    async def manager_id(self, user_id: str) -> str | None:
        """Object id of the user's manager (``/users/{id}/manager``); None when none is set or no such user."""
        ...

    async def remove_group_member(self, group_id: str, user_id: str) -> MemberChange:
        """Ends a direct membership (``DELETE /groups/{id}/members/{id}/$ref``; security groups only).

        REMOVED, or NOT_PRESENT when the user was not a direct member.
        """
        ...


class Licenses(Protocol):
    """Subscribed SKUs and per-user license assignment (Graph)."""

    async def list_skus(self) -> list[Sku]: ...

    async def user_licenses(self, user_id: str) -> list[UserLicense]: ...

    async def assign(
        self, user_id: str, add_sku_ids: Sequence[str], remove_sku_ids: Sequence[str] = ()
    ) -> None:
        """One ``assignLicense`` call: adds and removes in one atomic change."""
        ...

    async def license_holders(self) -> list[LicenseHolder]:
        """Every user holding at least one license, with account state and last successful sign-in."""
        ...

    async def subscriptions(self) -> list[Subscription]:
        """The tenant's subscriptions with their lifecycle dates (``/directory/subscriptions``)."""
        ...


class BulkLicenses(Licenses, Protocol):
    """Licenses that can also assign in bulk (Graph JSON batching)."""

    async def assign_many(
        self, items: Sequence[tuple[str, Sequence[str], Sequence[str]]]
    ) -> list[AssignOutcome]:
        """(user_id, add_sku_ids, remove_sku_ids) per item; one outcome per item, in order, never raising."""
        ...

    async def holders(self, sku_id: str) -> set[str]:
        """Ids of the users who hold the SKU (directly or through a group): one read instead of one per user."""
        ...


class DistributionLists(Protocol):
    """Distribution lists (Exchange Online, through InvokeCommand)."""

    async def get_list(self, identity: str) -> DistributionList | None:
        """The one list called exactly this (object id, name, alias or SMTP address); None if none or several are."""
        ...

    async def lists_named(self, name: str) -> list[DistributionList]:
        """Every list called exactly ``name`` (object id, Guid, address, alias, Name or display name; any case).
        Never a pattern: "*" is a character of a name here, not a wildcard."""
        ...

    async def find_lists(self, query: str, limit: int = 25) -> list[DistributionList]: ...

    async def members(self, identity: str) -> list[ListMember]: ...

    async def add_member(self, identity: str, member: str) -> MemberChange: ...

    async def remove_member(self, identity: str, member: str) -> MemberChange: ...

    async def all_lists(self, changed_since: datetime | None = None) -> list[DistributionList]:
        """Every distribution list (all pages), or only those changed after ``changed_since`` (WhenChangedUTC)."""
        ...

    async def list_ids(self) -> set[str]:
        """Identity of every list, cheaply (one property): how sync notices lists deleted outside the desk."""
        ...

    async def create_list(self, new: NewDistributionList) -> DistributionList:
        """New-DistributionGroup (always with -ManagedBy); raises AddressInUse when the address is taken."""
        ...

    async def update_list(self, identity: str, changes: ListChanges) -> None:
        """Set-DistributionGroup with -BypassSecurityGroupManagerCheck; owners through an add/remove hashtable."""
        ...

    async def delete_list(self, identity: str) -> bool:
        """Remove-DistributionGroup; False when there was no such list (already deleted)."""
        ...

    async def replace_members(self, identity: str, members: Sequence[str]) -> None:
        """Update-DistributionGroupMember: the list's members become exactly ``members``."""
        ...

    async def add_members(self, identity: str, members: Sequence[str]) -> list[MemberChange | M365Error]:
        """Many Add-DistributionGroupMember calls (batched where Exchange allows); one outcome per member, in order,
        never raising for a single member's failure."""
        ...

    async def remove_members(self, identity: str, members: Sequence[str]) -> list[MemberChange | M365Error]: ...


class Mailboxes(Protocol):
    """Shared mailboxes and their delegations (Exchange Online, through InvokeCommand)."""

    async def get_mailbox(self, identity: str) -> SharedMailbox | None:
        """The one shared mailbox called exactly this (object id, name, alias or address); None if none or several
        are (or it is not shared)."""
        ...

    async def mailboxes_named(self, name: str) -> list[SharedMailbox]:
        """Every shared mailbox called exactly ``name`` (as DistributionLists.lists_named)."""
        ...

    async def find_mailboxes(self, query: str, limit: int = 25) -> list[SharedMailbox]: ...

    async def all_shared_mailboxes(self, changed_since: datetime | None = None) -> list[SharedMailbox]: ...

    async def mailbox_ids(self) -> set[str]: ...

    async def delegates(self, identity: str) -> list[MailboxDelegate]:
        """Explicit Full Access (not inherited, not NT AUTHORITY\\SELF), Send As and Send on Behalf holders."""
        ...

    async def create_shared(self, new: NewSharedMailbox) -> SharedMailbox:
        """New-Mailbox -Shared; raises AddressInUse when the address is taken."""
        ...

    async def delete_mailbox(self, identity: str) -> bool:
        """Remove-Mailbox; False when there was no such mailbox."""
        ...

    async def grant(self, identity: str, access: Access, user: str, *, auto_mapping: bool = True) -> MemberChange:
        """ADDED, or ALREADY_PRESENT when the person already holds it (ACE present / already listed)."""
        ...

    async def revoke(self, identity: str, access: Access, user: str) -> MemberChange:
        """REMOVED, or NOT_PRESENT when the person did not hold it (ACE absent / not listed)."""
        ...


class Recipients(Protocol):
    """Who an address belongs to (Exchange Get-Recipient)."""

    async def get_recipient(self, identity: str) -> Recipient | None:
        """The recipient holding exactly this address (primary or proxy), name or object id; None when free (or, for
        a name, when several recipients have it)."""
        ...

    async def get_recipients(self, identities: Sequence[str]) -> list[Recipient | None]:
        """get_recipient for many at once (batched); one answer per identity, in order."""
        ...


class DirectorySync(Protocol):
    """Reads for the directory sync (F7) and address validation: users incrementally (Graph delta queries), and
    the tenant's mail domains."""

    async def accepted_domains(self) -> list[str]:
        """The tenant's verified e-mail domains, lower case (Graph /domains with supportedServices Email)."""
        ...

    async def users_delta(self, link: str | None = None) -> UserDeltaPage:
        """The first page of a full round when ``link`` is None, else the page ``link`` (a stored next/delta link)
        points at."""
        ...


@dataclass(slots=True)
class Tenant:
    """The ports bundled, as the composition root hands them to handlers and the executor."""

    directory: Directory
    licenses: Licenses
    distribution_lists: DistributionLists
    mailboxes: Mailboxes | None = None
    recipients: Recipients | None = None
    directory_sync: DirectorySync | None = None

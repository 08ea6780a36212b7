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


@dataclass(frozen=True, slots=True)
class ListMember:
    primary_smtp_address: str
    display_name: str
    external_directory_object_id: str | None = None
    recipient_type: str = "UserMailbox"


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
        """By object id, name, alias or primary SMTP address; None if there is no such list."""
        ...

    async def find_lists(self, query: str, limit: int = 25) -> list[DistributionList]: ...

    async def members(self, identity: str) -> list[ListMember]: ...

    async def add_member(self, identity: str, member: str) -> MemberChange: ...

    async def remove_member(self, identity: str, member: str) -> MemberChange: ...


@dataclass(slots=True)
class Tenant:
    """The ports bundled, as the composition root hands them to handlers and the executor."""

    directory: Directory
    licenses: Licenses
    distribution_lists: DistributionLists

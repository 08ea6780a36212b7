"""The ports the desk uses to read and change the tenant (protocols), message trace limits, and the Tenant that bundles
them.

The values they speak live in m365.ports_values and are re-exported here, where most callers import them from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from m365.errors import M365Error
from m365.ports_values import (
    Access,
    AssignOutcome,
    DirectoryUser,
    DistributionList,
    LicenseHolder,
    ListChanges,
    ListMember,
    MailboxDelegate,
    MailboxUsage,
    MemberChange,
    NewDistributionList,
    NewSharedMailbox,
    Recipient,
    SharedMailbox,
    Sku,
    Subscription,
    TraceRow,
    UserDeltaPage,
    UserLicense,
    UserState,
)

__all__ = [
    "Access",
    "AssignOutcome",
    "BulkLicenses",
    "AutomaticReplies",
    "Directory",
    "DirectorySync",
    "DirectoryUser",
    "DistributionList",
    "DistributionLists",
    "FoundMail",
    "LicenseHolder",
    "Licenses",
    "ListChanges",
    "ListMember",
    "Mail",
    "MailboxDelegate",
    "MailboxUsage",
    "Mailboxes",
    "MemberChange",
    "NewDistributionList",
    "NewSharedMailbox",
    "OutgoingMail",
    "Recipient",
    "Recipients",
    "SharedMailbox",
    "Sku",
    "Subscription",
    "Tenant",
    "TraceRow",
    "Usage",
    "UserDeltaPage",
    "UserLicense",
    "UserState",
]


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


# Message trace's documented limits (Get-MessageTraceV2): the adapters and the emulators enforce the same ones.
TRACE_HISTORY_DAYS = 90
TRACE_MAX_DAYS_PER_QUERY = 10
TRACE_MAX_RESULT_SIZE = 5000
TRACE_QUERIES_PER_WINDOW = 100
TRACE_WINDOW_SECONDS = 300


class Usage(Protocol):
    """Activity: Graph's mailbox usage report, its tenant's report settings, and Exchange message trace."""

    async def mailbox_usage(self, period_days: int) -> list[MailboxUsage]:
        """Every row of getMailboxUsageDetail(period='D<period_days>'); period_days is 7, 30, 90 or 180."""
        ...

    async def names_concealed(self) -> bool:
        """Whether reports show hashes instead of names (``/admin/reportSettings`` displayConcealedNames)."""
        ...

    async def message_trace(self, recipients: Sequence[str], start: datetime, end: datetime, *,
                            result_size: int = TRACE_MAX_RESULT_SIZE,
                            starting_recipient: str | None = None) -> list[TraceRow]:
        """One Get-MessageTraceV2 query: messages received for ``recipients`` in [start, end], newest first (then by
        recipient), at most ``result_size`` rows and no paging: continue with ``starting_recipient`` and ``end`` taken
        from the last row. InvalidRequest for more than 10 days or before the last 90; Throttled past 100 queries in
        a rolling 5 minutes."""
        ...


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One e-mail the desk sends: ``message_id`` is the RFC 5322 Message-ID the desk chooses ("<key@m365-desk>"),
    unique per notification: it is the idempotency key, found again in the sender's mailbox after a crash."""

    message_id: str
    sender: str  # the sender mailbox (UPN)
    to: tuple[str, ...]  # recipient SMTP addresses
    subject: str
    text: str  # plain-text body
    html: str  # HTML body
    language: str  # "en" | "pl" | "de" (written as Content-Language)


@dataclass(frozen=True, slots=True)
class FoundMail:
    """A message of the sender's mailbox found by its Message-ID."""

    id: str  # Graph message id
    is_draft: bool  # True: created, not sent yet; False: sent (it is in Sent Items)


@dataclass(frozen=True, slots=True)
class AutomaticReplies:
    """A mailbox's automatic replies (out of office) as Graph's automaticRepliesSetting states them."""

    status: str  # "disabled" | "alwaysEnabled" | "scheduled" (Graph's automaticRepliesStatus)
    start: datetime | None = None  # scheduled window, aware UTC
    end: datetime | None = None

    def on_at(self, at: datetime) -> bool:
        """Whether the replies are on at ``at``: always enabled, or scheduled with start <= at < end."""
        if self.status == "alwaysEnabled":
            return True
        if self.status != "scheduled":
            return False
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)


class Mail(Protocol):
    """E-mail from a sender mailbox (Graph, application permission Mail.Send restricted to that mailbox) and people's
    automatic replies (MailboxSettings.Read).

    Sending is made idempotent by the caller: ``find`` the Message-ID → sent already: done; a draft: ``send_draft``
    it; nothing: ``create_draft`` then ``send_draft``. Errors: an unknown sender or user → NotFound; a sender the
    app may not use (application access policy, RBAC for Applications) → PermissionDenied; 429 / 503 →
    TransientError (Throttled) with Retry-After. Writes are sent once per attempt.
    """

    async def find(self, sender: str, message_id: str) -> FoundMail | None:
        """The message with this Message-ID in any folder of the sender's mailbox (a sent one before a draft when
        there are several); None when there is none."""
        ...

    async def create_draft(self, mail: OutgoingMail) -> str:
        """A draft in the sender's mailbox from a MIME message (multipart/alternative: text and HTML; headers
        Message-ID, Content-Language, Subject, To, From); returns its Graph id."""
        ...

    async def send_draft(self, sender: str, draft_id: str) -> None:
        """Sends the draft (202); it moves to Sent Items under a new id (isDraft false). NotFound when there is no
        such message, which is the answer for a draft's id once it is sent; InvalidRequest for a sent message's id."""
        ...

    async def automatic_replies(self, user_id: str) -> AutomaticReplies:
        """The user's automaticRepliesSetting (``/users/{id}/mailboxSettings/automaticRepliesSetting``)."""
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
    usage: Usage | None = None
    mail: Mail | None = None

"""The live records of an in-memory tenant (users and shared mailboxes, groups, lists, SKUs, license paths), and
the identity matching Exchange does on them: every key a record is resolved by, case-folded."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from m365.memory.seed import stable_id

SHARED_MAILBOX = "SharedMailbox"
USER_MAILBOX = "UserMailbox"
DISTRIBUTION_LIST = "MailUniversalDistributionGroup"


def exchange_guid(object_id: str) -> str:
    """Exchange objects carry a Guid of their own, distinct from the Entra object id (as devtenant and Exchange do)."""
    try:
        return str(uuid.uuid5(uuid.UUID(object_id), "exchange"))
    except ValueError:
        return stable_id("exchange", object_id)


def whole_seconds(moment: datetime) -> datetime:
    """WhenChangedUTC as Exchange keeps it: UTC, whole seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


@dataclass(slots=True)
class LicenseState:
    """One assignment path of a SKU to a user: direct (group_id None) or through a group; an "Error" one (a group's
    CountViolation) exists but is not held."""

    sku_id: str
    group_id: str | None = None
    active: bool = True


@dataclass(slots=True)
class SharedMailboxRecord:
    name: str
    changed_at: datetime
    full_access: list[tuple[str, bool]] = field(default_factory=list)
    send_as: list[str] = field(default_factory=list)
    send_on_behalf: list[str] = field(default_factory=list)


@dataclass(slots=True)
class UserRecord:
    id: str
    display_name: str
    user_principal_name: str
    mail: str | None
    alias: str
    given_name: str | None = None
    surname: str | None = None
    department: str | None = None
    job_title: str | None = None
    country: str | None = None
    usage_location: str | None = None
    account_enabled: bool = True
    preferred_language: str | None = None
    manager_id: str | None = None
    licenses: list[LicenseState] = field(default_factory=list)
    last_successful_sign_in: datetime | None = None
    proxy_addresses: list[str] = field(default_factory=list)  # every address but the primary, lower-case free
    is_dir_synced: bool = False
    shared: SharedMailboxRecord | None = None  # set for a shared mailbox

    @property
    def recipient_name(self) -> str:
        """Exchange's Name: a shared mailbox keeps the one it was created with, a person's is the alias."""
        return self.shared.name if self.shared is not None else self.alias

    @property
    def recipient_type(self) -> str:
        return SHARED_MAILBOX if self.shared is not None else USER_MAILBOX

    def exchange_keys(self) -> set[str]:
        """Everything Exchange resolves a mailbox by, case-folded (ids, Guid, names, every address)."""
        return match_keys((self.id, exchange_guid(self.id), self.alias, self.recipient_name, self.user_principal_name,
                           self.mail, self.display_name, *self.proxy_addresses))

    def delta_fields(self) -> tuple[object, ...]:
        """What /users/delta tracks for the directory sync (UserState)."""
        return (self.display_name, self.user_principal_name, self.mail, self.account_enabled, self.department,
                self.manager_id)


@dataclass(slots=True)
class GroupRecord:
    id: str
    display_name: str
    member_ids: list[str]
    license_sku_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ListRecord:
    id: str
    name: str
    display_name: str
    alias: str
    primary_smtp_address: str
    proxy_addresses: list[str]
    owners: list[str]  # primary SMTP addresses, as Exchange's ManagedBy shows them here
    member_ids: list[str]
    member_join_restriction: str
    member_depart_restriction: str
    is_dir_synced: bool
    description: str
    accepts_external_senders: bool
    changed_at: datetime

    def exchange_keys(self) -> set[str]:
        return match_keys((self.id, exchange_guid(self.id), self.name, self.alias, self.primary_smtp_address,
                           self.display_name, *self.proxy_addresses))


@dataclass(slots=True)
class SkuRecord:
    sku_id: str
    sku_part_number: str
    enabled_units: int
    next_lifecycle: datetime | None
    subscription_id: str
    subscription_status: str
    is_trial: bool


def match_keys(values: Iterable[str | None]) -> set[str]:
    """The keys an -Identity may match ``values`` by: case-folded, with an "smtp:" proxy prefix taken off."""
    keys = set()
    for value in values:
        if value:
            text = value.strip().casefold()
            keys.add(text[5:] if text.startswith("smtp:") else text)
    return keys


def identity_key(identity: str) -> str:
    """An -Identity as typed, folded the way match_keys folds what it is compared with."""
    key = identity.strip().casefold()
    return key[5:] if key.startswith("smtp:") else key

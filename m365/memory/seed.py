"""What an in-memory tenant starts with: its seed (users, groups, SKUs, lists, shared mailboxes), and the stable ids
the seed gives whatever it leaves without one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

# Ids the seed leaves out are uuid5s of what the object is, so they stay the same from run to run.
_ID_NAMESPACE = uuid.UUID("0b5d3c1e-7f7a-4e0c-9d43-6d2c6f1f8a51")


def stable_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}:{key.lower()}"))


@dataclass(frozen=True, slots=True)
class UserSeed:
    """A person (an Entra user with a mailbox unless ``mail`` is ""). ``licenses``: SKU part numbers or ids held
    directly; an empty ``id`` becomes a stable id from the UPN."""

    user_principal_name: str
    display_name: str
    id: str = ""
    mail: str | None = None  # None: the UPN; "": no mailbox (not a recipient in Exchange)
    given_name: str | None = None
    surname: str | None = None
    department: str | None = None
    job_title: str | None = None
    country: str | None = None  # as Graph shows it ("Poland"), not the usage location's code
    usage_location: str | None = None
    account_enabled: bool = True
    preferred_language: str | None = None
    manager_id: str | None = None
    licenses: tuple[str, ...] = ()
    last_successful_sign_in: datetime | None = None
    proxy_addresses: tuple[str, ...] = ()  # besides the primary one and alias@<initial domain>, which are automatic
    is_dir_synced: bool = False

    @property
    def user_id(self) -> str:
        return self.id or stable_id("user", self.user_principal_name)


@dataclass(frozen=True, slots=True)
class GroupSeed:
    """A security group; ``licenses`` (part numbers or ids) makes it a group-based licensing group."""

    id: str
    display_name: str
    member_ids: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkuSeed:
    """A subscribed SKU and the one subscription that pays for it (``enabled_units`` seats)."""

    sku_id: str
    sku_part_number: str
    enabled_units: int
    next_lifecycle: datetime | None = None
    subscription_id: str = ""
    subscription_status: str = "Enabled"
    is_trial: bool = False


@dataclass(frozen=True, slots=True)
class ListSeed:
    """A distribution list; owners and members by user id or address."""

    alias: str
    display_name: str
    id: str = ""
    name: str = ""  # "" = the display name
    primary_smtp_address: str = ""  # "" = alias@<domain>
    owners: tuple[str, ...] = ()
    member_ids: tuple[str, ...] = ()
    member_join_restriction: str = "Closed"
    member_depart_restriction: str = "Open"
    is_dir_synced: bool = False
    description: str = ""
    accepts_external_senders: bool = False
    changed_at: datetime | None = None  # None = when the tenant is built

    @property
    def list_id(self) -> str:
        return self.id or stable_id("list", self.alias)


@dataclass(frozen=True, slots=True)
class MailboxSeed:
    """A shared mailbox (a disabled user with a mailbox) and its delegates by user id."""

    alias: str
    display_name: str
    id: str = ""
    name: str = ""  # "" = the display name
    primary_smtp_address: str = ""  # "" = alias@<domain>
    full_access: tuple[tuple[str, bool], ...] = ()  # (user id, AutoMapping)
    send_as: tuple[str, ...] = ()
    send_on_behalf: tuple[str, ...] = ()
    is_dir_synced: bool = False
    changed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TenantSeed:
    """Everything an in-memory tenant starts with."""

    domain: str = "contoso.com"
    initial_domain: str = ""  # "" = <first label of domain>.onmicrosoft.com
    users: tuple[UserSeed, ...] = ()
    groups: tuple[GroupSeed, ...] = ()
    skus: tuple[SkuSeed, ...] = ()
    lists: tuple[ListSeed, ...] = ()
    mailboxes: tuple[MailboxSeed, ...] = ()
    other_accepted_domains: tuple[str, ...] = ()

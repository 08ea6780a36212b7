"""The live, in-memory state of the emulated tenant: directory, licenses, Exchange lists, Teams chats, call log."""

from __future__ import annotations

import copy
import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from devtenant.seed import Seed, SeedList, SeedUser, stable_id
from devtenant.tokens import BOTFRAMEWORK_RESOURCE, EXCHANGE_ADMIN_ROLE_TEMPLATE, EXCHANGE_RESOURCE, GRAPH_RESOURCE

COUNTRY_NAMES = {"PL": "Poland", "DE": "Germany", "GB": "United Kingdom", "US": "United States"}
# Exchange datacenter names: they show up in real error texts ("couldn't be found on '<server>'").
EXO_SERVER = "DB9PR07MB8123.EURPRD07.PROD.OUTLOOK.COM"
EXO_ORG_UNIT = "EURPR07A001.prod.outlook.com/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com"
_EPOCH = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
# Seeded sign-ins are whole days (plus six hours) before the moment the state was (re)set, so "no sign-in for
# N days" has the same answer for every N whenever a test runs, as long as it runs within 18 hours of the reset.
_SIGN_IN_HOURS = 6
# Subscriptions renew (nextLifecycleDateTime) this many days after the reset; Business Standard is the one
# ending soon (the "subscription about to end" alert), the others are months away.
_SUBSCRIPTION_DAYS = {"O365_BUSINESS_PREMIUM": 20}

# GroupMember.ReadWrite.All: the desk removes people from licensing groups (group.leave requests).
DEFAULT_GRAPH_ROLES = (
    "User.ReadWrite.All", "LicenseAssignment.ReadWrite.All", "Group.Read.All", "GroupMember.ReadWrite.All",
    "Directory.Read.All", "Organization.Read.All", "Reports.Read.All", "AuditLog.Read.All",
)
DEFAULT_EXCHANGE_ROLES = ("Exchange.ManageAsApp",)


# The user properties whose changes Graph delta reports (Exchange-only exo* fields and sign-ins are not among them).
_TRACKED_USER_KEYS = (
    "accountEnabled", "assignedLicenses", "businessPhones", "city", "companyName", "country", "department",
    "displayName", "employeeId", "givenName", "jobTitle", "mail", "mailNickname", "mobilePhone", "officeLocation",
    "onPremisesSyncEnabled", "preferredLanguage", "proxyAddresses", "surname", "usageLocation", "userPrincipalName",
    "userType", "manager",
)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _h(key: str) -> int:
    """A stable small number from a string (for deterministic dates without a RNG)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")


@dataclass
class AppRegistration:
    """An app registration the token endpoint knows: its secret and the app roles granted per resource."""

    client_id: str
    client_secret: str
    display_name: str
    roles: dict[str, list[str]]
    wids: list[str] = field(default_factory=list)


class CallRecord(tuple):
    """(service, method, path, status) of one upstream request; `.cmdlet` names the Exchange cmdlet.

    Services: "token" (token endpoint POSTs), "graph" (HTTP requests, a `$batch` counts once),
    "graph.batch" (each request inside a `$batch`), "exchange" (InvokeCommand calls).
    """

    cmdlet: str | None
    query: str

    def __new__(cls, service: str, method: str, path: str, status: int, *, cmdlet: str | None = None,
                query: str = "") -> CallRecord:
        record = super().__new__(cls, (service, method, path, status))
        record.cmdlet = cmdlet
        record.query = query
        return record

    @property
    def service(self) -> str:
        return self[0]

    @property
    def method(self) -> str:
        return self[1]

    @property
    def path(self) -> str:
        return self[2]

    @property
    def status(self) -> int:
        return self[3]


@dataclass
class Conversation:
    """A Teams conversation as the Bot Connector knows it."""

    id: str
    conversation_type: str  # personal | groupChat | channel
    members: list[dict[str, Any]]
    user_id: str | None  # the person in a personal chat with the bot
    tenant_id: str
    activity_ids: list[str] = field(default_factory=list)


@dataclass
class ActivityRecord:
    """An activity the bot sent through the connector, with its later updates applied in place."""

    id: str
    conversation_id: str
    body: dict[str, Any]
    seq: int
    updates: int = 0
    deleted: bool = False
    reply_to_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_inbox_item(self) -> dict[str, Any]:
        item = copy.deepcopy(self.body)
        item["id"] = self.id
        item.setdefault("conversation", {})["id"] = self.conversation_id
        item["updates"] = self.updates
        item["deleted"] = self.deleted
        if self.reply_to_id:
            item["replyToId"] = self.reply_to_id
        return item


class TenantState:
    """Everything the emulator serves. Graph, Exchange and the connector read and change this one object."""

    def __init__(self, seed: Seed, *, tenant_id: str, client_id: str, client_secret: str,
                 bot_app_id: str, bot_name: str = "M365 Desk") -> None:
        self.seed = seed
        self.tenant_id = tenant_id
        self.domain = seed.domain
        self.initial_domain = f"{seed.organization_name.lower()}.onmicrosoft.com"
        self.organization_name = seed.organization_name
        self.bot_app_id = bot_app_id
        self.bot_name = bot_name
        self._client_id, self._client_secret = client_id, client_secret
        self.reset()

    def reset(self) -> None:
        """Back to the seed: directory, licenses, lists, chats, app permissions and call log (tokens stay valid)."""
        self.reference_time = datetime.now(UTC).replace(second=0, microsecond=0)  # "now" of the seeded dates
        self.apps: dict[str, AppRegistration] = {
            self._client_id: AppRegistration(
                client_id=self._client_id, client_secret=self._client_secret, display_name="M365 Desk",
                roles={GRAPH_RESOURCE: list(DEFAULT_GRAPH_ROLES), EXCHANGE_RESOURCE: list(DEFAULT_EXCHANGE_ROLES),
                       BOTFRAMEWORK_RESOURCE: []},
                wids=[EXCHANGE_ADMIN_ROLE_TEMPLATE]),
        }
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.group_members: dict[str, list[str]] = {}
        self.skus: dict[str, dict[str, Any]] = {}
        self.exo_groups: dict[str, dict[str, Any]] = {}  # Exchange view of the DLs, keyed by directory id
        # Domains the tenant receives mail for (Graph /domains, Exchange accepted domains).
        self.accepted_domains: list[str] = [self.domain, self.initial_domain]
        # Explicit mailbox delegations keyed by the mailbox's user id (devtenant/exchange/permissions.py): Full Access
        # ACEs {"User": user id, "AccessRights", "InheritanceType", "AutoMapping"} and Send As {"Trustee": user id}.
        self.mailbox_permissions: dict[str, list[dict[str, Any]]] = {}
        self.recipient_permissions: dict[str, list[dict[str, Any]]] = {}
        self.conversations: dict[str, Conversation] = {}
        self.activities: dict[str, ActivityRecord] = {}
        self.call_log: list[CallRecord] = []
        self._activity_seq = 0
        self._request_seq = 0
        self._reset_user_changes()
        self._load(self.seed)

    # ------------------------------------------------------------------ seeding
    def _load(self, seed: Seed) -> None:
        for sku in seed.skus:
            self.skus[sku.sku_id] = {
                "skuId": sku.sku_id,
                "skuPartNumber": sku.sku_part_number,
                "productName": sku.product_name,
                "prepaidUnits": {"enabled": sku.prepaid_enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": [dict(p) for p in sku.service_plans],
                "subscriptionIds": [str(uuid.uuid5(uuid.UUID(self.tenant_id), f"subscription:{sku.sku_id}"))],
                "capabilityStatus": "Enabled",
                "appliesTo": "User",
                "createdDateTime": iso(_EPOCH + timedelta(days=_h(sku.sku_id) % 200)),
                "nextLifecycleDateTime": iso(self.reference_time + timedelta(
                    days=_SUBSCRIPTION_DAYS.get(sku.sku_part_number, 90 + _h(sku.sku_id) % 240))),
            }
        for index, user in enumerate(seed.users):
            self.users[user.id] = self._user_record(index, user)
        for sku in seed.skus:
            for user_id in sku.direct_user_ids:
                self._add_license_state(user_id, sku.sku_id, None)
        for group in [seed.admins_group, *seed.license_groups]:
            self.groups[group.id] = {
                "id": group.id,
                "createdDateTime": iso(_EPOCH + timedelta(days=_h(group.id) % 300)),
                "deletedDateTime": None,
                "description": group.description,
                "displayName": group.display_name,
                "groupTypes": [],
                "mail": None,
                "mailEnabled": False,
                "mailNickname": group.mail_nickname,
                "onPremisesSyncEnabled": None,
                "proxyAddresses": [],
                "securityEnabled": True,
                "securityIdentifier": f"S-1-12-1-{_h(group.id)}-{_h(group.id + 'b')}",
                "visibility": None,
                "assignedLicenses": [{"skuId": s, "disabledPlans": []} for s in group.assigned_sku_ids],
            }
            self.group_members[group.id] = list(group.member_ids)
            for sku_id in group.assigned_sku_ids:
                for user_id in group.member_ids:
                    self._add_license_state(user_id, sku_id, group.id)
        for dl in seed.distribution_lists:
            self._load_list(dl)
        self._load_shared_mailboxes(seed)

    def _user_record(self, index: int, user: SeedUser) -> dict[str, Any]:
        created = _EPOCH + timedelta(days=index * 3 + _h(user.id) % 3, hours=_h(user.id) % 9)
        return {
            "id": user.id,
            "accountEnabled": user.account_enabled,
            "businessPhones": [],
            "city": user.office_location,
            "companyName": self.organization_name,
            "country": COUNTRY_NAMES.get(user.country, user.country),
            "createdDateTime": iso(created),
            "department": user.department,
            "displayName": user.display_name,
            "employeeId": f"E{10000 + index}",
            "givenName": user.given_name,
            "jobTitle": user.job_title,
            "mail": user.mail,
            "mailNickname": user.mail_nickname,
            "mobilePhone": None,
            "officeLocation": user.office_location,
            "onPremisesSyncEnabled": None,
            "preferredLanguage": user.preferred_language,
            "proxyAddresses": [f"SMTP:{user.mail}", f"smtp:{user.mail_nickname}@{self.initial_domain}"],
            "surname": user.surname,
            "usageLocation": user.usage_location,
            "userPrincipalName": user.user_principal_name,
            "userType": "Member",
            "assignedLicenses": [],
            "licenseAssignmentStates": [],
            "signInActivity": self._sign_in_activity(user),
            "manager": user.manager_id,  # id of the manager (a navigation property in Graph, not a field)
        }

    def _sign_in_activity(self, user: SeedUser) -> dict[str, Any] | None:
        """Deterministic per user: ~87 % signed in within 60 days, ~10 % last 91-400 days ago, ~3 % never (null).

        A third of the stale ones tried recently and failed: lastSignInDateTime (attempts, failures included) is
        recent while lastSuccessfulSignInDateTime stays old, as Graph reports it.
        """
        bucket = _h(user.id + "s") % 100
        if bucket < 3:
            return None
        stale = bucket < 13
        days = 91 + _h(user.id + "d") % 310 if stale else _h(user.id + "d") % 61
        success = self.reference_time - timedelta(days=days, hours=_SIGN_IN_HOURS)
        attempt = self.reference_time - timedelta(days=2, hours=_SIGN_IN_HOURS) if stale and bucket < 6 else success
        return {
            "lastSignInDateTime": iso(attempt),
            "lastSignInRequestId": str(uuid.uuid5(uuid.UUID(user.id), "signin")),
            "lastNonInteractiveSignInDateTime": iso(success + timedelta(hours=2)),
            "lastNonInteractiveSignInRequestId": str(uuid.uuid5(uuid.UUID(user.id), "signin-ni")),
            "lastSuccessfulSignInDateTime": iso(success),
            "lastSuccessfulSignInRequestId": str(uuid.uuid5(uuid.UUID(user.id), "signin-ok")),
        }

    def _load_list(self, dl: SeedList) -> None:
        created = _EPOCH + timedelta(days=_h(dl.id) % 900)
        self.groups[dl.id] = {
            "id": dl.id,
            "createdDateTime": iso(created),
            "deletedDateTime": None,
            "description": None,
            "displayName": dl.display_name,
            "groupTypes": [],
            "mail": dl.primary_smtp_address,
            "mailEnabled": True,
            "mailNickname": dl.alias,
            "onPremisesSyncEnabled": True if dl.is_dir_synced else None,
            "proxyAddresses": [f"SMTP:{dl.primary_smtp_address}", f"smtp:{dl.alias}@{self.initial_domain}"],
            "securityEnabled": False,
            "securityIdentifier": f"S-1-12-1-{_h(dl.id)}-{_h(dl.id + 'b')}",
            "visibility": None,
            "assignedLicenses": [],
        }
        self.group_members[dl.id] = list(dl.member_ids)
        self.exo_groups[dl.id] = {
            "Name": dl.name,
            "DisplayName": dl.display_name,
            "Alias": dl.alias,
            "PrimarySmtpAddress": dl.primary_smtp_address,
            "EmailAddresses": [f"SMTP:{dl.primary_smtp_address}", f"smtp:{dl.alias}@{self.initial_domain}"],
            "ManagedBy": [self.users[o]["mail"] for o in dl.managed_by],
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

    def _load_shared_mailboxes(self, seed: Seed) -> None:
        for mailbox in seed.shared_mailboxes:
            created = _EPOCH + timedelta(days=_h(mailbox.id) % 900)
            self.add_shared_mailbox(mailbox.name, mailbox.display_name, mailbox.alias, mailbox.primary_smtp_address,
                                    dir_synced=mailbox.is_dir_synced, created=created,
                                    changed=created + timedelta(days=30))
            self.mailbox_permissions[mailbox.id] = [
                {"User": user_id, "AccessRights": ["FullAccess"], "InheritanceType": "All", "AutoMapping": auto}
                for user_id, auto in mailbox.full_access]
            self.recipient_permissions[mailbox.id] = [{"Trustee": user_id, "AccessRights": ["SendAs"]}
                                                      for user_id in mailbox.send_as]
            self.users[mailbox.id]["exoGrantSendOnBehalfTo"] = list(mailbox.send_on_behalf)

    def add_shared_mailbox(self, name: str, display_name: str, alias: str, address: str, *, dir_synced: bool = False,
                           created: datetime | None = None, changed: datetime | None = None) -> dict[str, Any]:
        """A shared mailbox: like in Exchange Online, a disabled, unlicensed Entra user (Graph sees it too)."""
        person = SeedUser(id=stable_id("user", address), display_name=display_name, given_name="", surname="",
                          user_principal_name=address, mail=address, department="", job_title="", country="",
                          usage_location=None, preferred_language="", manager_id=None, account_enabled=False,
                          office_location="")
        record = self._user_record(len(self.users), person)
        when = created or datetime.now(UTC)
        record.update({
            "mailNickname": alias, "city": None, "country": None, "officeLocation": None, "preferredLanguage": None,
            "givenName": None, "surname": None, "department": None, "jobTitle": None, "employeeId": None,
            "proxyAddresses": [f"SMTP:{address}", f"smtp:{alias}@{self.initial_domain}"],
            "onPremisesSyncEnabled": True if dir_synced else None, "signInActivity": None,
            "createdDateTime": iso(when),
            "exoRecipientTypeDetails": "SharedMailbox", "exoName": name, "exoWhenChanged": iso(changed or when),
            "exoGrantSendOnBehalfTo": [],
        })
        self.users[person.id] = record
        return record

    def _add_license_state(self, user_id: str, sku_id: str, group_id: str | None) -> None:
        user = self.users[user_id]
        user["licenseAssignmentStates"].append({
            "skuId": sku_id,
            "assignedByGroup": group_id,
            "disabledPlans": [],
            "state": "Active",
            "error": "None",
            "lastUpdatedDateTime": user["createdDateTime"],
        })
        self.sync_assigned_licenses(user)

    def add_generated_users(self, count: int, *, prefix: str = "load", usage_location: str = "PL") -> list[str]:
        """`count` extra licensable people (e.g. 1,000 for a bulk benchmark), gone again on reset; returns ids."""
        if not 1 <= count <= 100_000:
            raise ValueError("count must be within 1..100000")
        label = "".join(c for c in prefix.lower() if c.isalnum()) or "load"
        start = sum(1 for u in self.users.values() if u["userPrincipalName"].startswith(f"{label}."))
        ids = []
        for n in range(start + 1, start + count + 1):
            upn = f"{label}.user{n:05d}@{self.domain}"
            person = SeedUser(id=stable_id("user", upn), display_name=f"{label.title()} User {n:05d}",
                              given_name=label.title(), surname=f"User {n:05d}", user_principal_name=upn, mail=upn,
                              department="Operations", job_title="Specialist", country=usage_location,
                              usage_location=usage_location, preferred_language="en-GB", manager_id=None,
                              account_enabled=True, office_location="")
            self.users[person.id] = self._user_record(len(self.users), person)
            ids.append(person.id)
        return ids

    def add_generated_lists(self, count: int, *, members_per_list: int, pool: list[str], prefix: str = "gen",
                            seed: int = 0) -> list[str]:
        """`count` distribution lists (Graph group + Exchange view, like seeded ones), owners and members drawn
        from the user ids in `pool` (deterministically from `seed`); gone again on reset; returns ids."""
        if not 1 <= count <= 50_000:
            raise ValueError("count must be within 1..50000")
        if not pool:
            raise ValueError("no users to draw owners and members from")
        label = "".join(c for c in prefix.lower() if c.isalnum()) or "gen"
        rng = random.Random(f"{label}:{seed}:{len(self.groups)}")
        start = sum(1 for g in self.groups.values() if (g.get("mailNickname") or "").startswith(f"{label}-list-"))
        members_per_list = max(0, min(members_per_list, len(pool)))
        ids = []
        for n in range(start + 1, start + count + 1):
            alias = f"{label}-list-{n:05d}"
            address = f"{alias}@{self.domain}"
            owners = rng.sample(pool, min(1 + n % 2, len(pool)))
            self._load_list(SeedList(
                id=stable_id("list", address), name=alias, display_name=f"{label.title()} List {n:05d}", alias=alias,
                primary_smtp_address=address, managed_by=owners, member_ids=rng.sample(pool, members_per_list),
                member_join_restriction="Open" if n % 3 == 0 else "Closed", member_depart_restriction="Open",
                is_dir_synced=False, notes=""))
            ids.append(stable_id("list", address))
        return ids

    # ------------------------------------------------------------------ user change tracking (Graph delta)
    def _reset_user_changes(self) -> None:
        # Soft-deleted users (Entra's 30-day recycle bin), keyed by id; delta reports them "@removed" "changed".
        self.deleted_users: dict[str, dict[str, Any]] = {}
        # Other domains of the tenant that do not take mail (unverified, or without the Email service).
        self.other_domains: dict[str, dict[str, Any]] = {}
        # A reset or an explicit expiry starts a new generation: older delta and skip tokens are then refused.
        self.delta_generation = getattr(self, "delta_generation", 0) + 1
        self._delta_expiry: dict[int, int] = getattr(self, "_delta_expiry", {})
        self.user_change_seq = 0
        self._user_changes: dict[str, int] = {}  # user id -> seq of its last change; dict order is seq order
        self._user_prints: dict[str, tuple[Any, ...]] = {}  # the tracked values at that change
        self._user_created: dict[str, int] = {}  # seq at which the user (re)appeared: every property changed
        self._user_key_seqs: dict[str, dict[str, int]] = {}  # later changes: property -> seq of its last change
        self._previous_managers: dict[str, str] = {}  # whose manager was removed, and who it was

    @staticmethod
    def _user_print(user: dict[str, Any]) -> tuple[Any, ...]:
        # Containers by value (repr), so edits in place count; strings and scalars are shared, not copied.
        return tuple(repr(v) if isinstance(v, (list, dict)) else v for v in map(user.get, _TRACKED_USER_KEYS))

    def record_user_change(self, user_id: str) -> None:
        """Note that a user was created, changed or removed, for Graph delta; a no-op when nothing tracked changed.

        Every path that changes `users` should call it. Edits that skip it are still found when the next delta
        round starts (track_user_changes), just ordered after the explicit ones.
        """
        user_id = user_id.lower()
        user = self.users.get(user_id)
        if user is None:
            if self._user_prints.pop(user_id, None) is not None:  # known to delta before: report it removed
                self._user_key_seqs.pop(user_id, None)
                self._bump_user(user_id)
            return
        new = self._user_print(user)
        old = self._user_prints.get(user_id)
        if old == new:
            return
        seq = self._bump_user(user_id)
        self._user_prints[user_id] = new
        if old is None:
            self._user_created[user_id] = seq
            self._user_key_seqs.pop(user_id, None)
            return
        keys = self._user_key_seqs.setdefault(user_id, {})
        for key, before, after in zip(_TRACKED_USER_KEYS, old, new, strict=True):
            if before != after:
                keys[key] = seq
                if key == "manager":
                    if after is None and before is not None:
                        self._previous_managers[user_id] = before
                    else:
                        self._previous_managers.pop(user_id, None)

    def _bump_user(self, user_id: str) -> int:
        self.user_change_seq += 1
        self._user_changes.pop(user_id, None)  # re-insert at the end: iteration stays in seq order
        self._user_changes[user_id] = self.user_change_seq
        return self.user_change_seq

    def track_user_changes(self) -> int:
        """Find edits made without record_user_change (tests, other modules) and return the current sequence."""
        for user_id in list(self.users):
            self.record_user_change(user_id)
        for user_id in [u for u in self._user_prints if u not in self.users]:
            self.record_user_change(user_id)
        return self.user_change_seq

    def user_changes_after(self, after: int) -> Iterator[tuple[str, int]]:
        """(user id, seq of its last change) for changes after `after`, oldest first; removed users included."""
        for user_id, seq in self._user_changes.items():
            if seq > after:
                yield user_id, seq

    def user_changed_between(self, user_id: str, keys: frozenset[str] | None, since: int, upto: int) -> bool:
        """Whether the user appeared, or one of `keys` (None: any) changed, in (since, upto]."""
        if since < self._user_created.get(user_id, 0) <= upto:
            return True
        changed = self._user_key_seqs.get(user_id, {})
        return any(since < seq <= upto for key, seq in changed.items() if keys is None or key in keys)

    def previous_manager(self, user_id: str) -> str | None:
        return self._previous_managers.get(user_id)

    def delta_expiry_status(self, generation: int) -> int:
        return self._delta_expiry.get(generation, 400)

    def expire_delta_tokens(self, status: int = 400) -> None:
        """Make every issued delta/skip token stale: 400 syncStateNotFound (expired), or 410 (synchronization reset)."""
        self._delta_expiry[self.delta_generation] = status
        self.delta_generation += 1

    def update_user(self, id_or_upn: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change a user as an admin would outside the desk (`manager` by id or UPN, None clears it)."""
        user = self.user(id_or_upn)
        changes = dict(changes)
        if changes.get("manager") is not None:
            manager = self.user(str(changes["manager"]))
            if manager["id"] == user["id"]:
                raise ValueError("a user cannot be their own manager")
            changes["manager"] = manager["id"]
        user.update(changes)
        self.record_user_change(user["id"])
        return user

    def delete_user(self, id_or_upn: str) -> dict[str, Any]:
        """Soft-delete a user as Entra does: gone from users, groups, list ownership and as anyone's manager."""
        user = self.user(id_or_upn)
        user_id = user["id"]
        del self.users[user_id]
        user["deletedDateTime"] = iso(datetime.now(UTC))
        user["_memberOf"] = [g for g, members in self.group_members.items() if user_id in members]
        self.deleted_users[user_id] = user
        for group_id in user["_memberOf"]:
            self.group_members[group_id] = [m for m in self.group_members[group_id] if m != user_id]
        mail = (user.get("mail") or "").lower()
        for exo in self.exo_groups.values():
            owners = exo.get("ManagedBy")
            if mail and isinstance(owners, list) and any(str(o).lower() in (mail, user_id) for o in owners):
                exo["ManagedBy"] = [o for o in owners if str(o).lower() not in (mail, user_id)]
        self.record_user_change(user_id)
        for report in [u for u in self.users.values() if u.get("manager") == user_id]:
            report["manager"] = None
            self.record_user_change(report["id"])
        return user

    def restore_user(self, user_id: str) -> dict[str, Any]:
        """Bring a soft-deleted user back, with their group memberships (not their old manager links)."""
        user = self.deleted_users.pop(user_id.lower())
        user["deletedDateTime"] = None
        for group_id in user.pop("_memberOf", []):
            if group_id in self.group_members and user["id"] not in self.group_members[group_id]:
                self.group_members[group_id].append(user["id"])
        self.users[user["id"]] = user
        self._user_prints.pop(user["id"], None)  # reappears whole, as a new object would
        self.record_user_change(user["id"])
        return user

    def domain_records(self) -> list[dict[str, Any]]:
        """Graph `domain` essentials: the accepted (mail) domains, then the others."""
        records = [{"id": d, "isVerified": True, "supportedServices": ["Email", "OfficeCommunicationsOnline"]}
                   for d in self.accepted_domains]
        return records + [dict(d) for d in self.other_domains.values()
                          if d["id"].lower() not in {a.lower() for a in self.accepted_domains}]

    def add_domain(self, name: str, *, verified: bool = True, services: tuple[str, ...] = ("Email",)) -> None:
        """A domain added outside the desk; verified with Email it becomes an accepted domain for Exchange too."""
        name = name.strip().lower()
        if not name or "." not in name:
            raise ValueError(f"not a domain name: {name!r}")
        if verified and "Email" in services:
            if name not in (d.lower() for d in self.accepted_domains):
                self.accepted_domains.append(name)
        else:
            self.other_domains[name] = {"id": name, "isVerified": verified, "supportedServices": list(services)}

    # ------------------------------------------------------------------ directory queries
    def find_user(self, id_or_upn: str) -> dict[str, Any] | None:
        """A user by object id, UPN or mail (case-insensitive), or None."""
        key = id_or_upn.strip().lower()
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key in ((user["userPrincipalName"] or "").lower(), (user["mail"] or "").lower()):
                return user
        return None

    def user(self, id_or_upn: str) -> dict[str, Any]:
        """The live user record (mutate it to change the tenant); KeyError if there is none."""
        user = self.find_user(id_or_upn)
        if user is None:
            raise KeyError(id_or_upn)
        return user

    def find_group(self, id_or_name: str) -> dict[str, Any] | None:
        key = id_or_name.strip().lower()
        if key in self.groups:
            return self.groups[key]
        for group in self.groups.values():
            if key in ((group.get("mail") or "").lower(), group["mailNickname"].lower(),
                       group["displayName"].lower()):
                return group
        return None

    def list_members(self, list_id: str) -> list[str]:
        """Member user ids of a group or distribution list (by id, alias, address or display name)."""
        group = self.find_group(list_id)
        if group is None:
            raise KeyError(list_id)
        return list(self.group_members[group["id"]])

    def member_of(self, user_id: str) -> list[dict[str, Any]]:
        """Groups the user belongs to (no nested groups in this tenant, so direct = transitive)."""
        return [self.groups[g] for g, members in self.group_members.items() if user_id in members]

    def sync_assigned_licenses(self, user: dict[str, Any]) -> None:
        """Recompute `assignedLicenses` from `licenseAssignmentStates` (one entry per SKU, as Graph shows)."""
        seen: dict[str, dict[str, Any]] = {}
        for state in user["licenseAssignmentStates"]:
            if state["state"] != "Active":
                continue
            entry = seen.setdefault(state["skuId"], {"disabledPlans": list(state["disabledPlans"]),
                                                      "skuId": state["skuId"]})
            if state["assignedByGroup"] is None:  # a direct assignment's disabled plans win
                entry["disabledPlans"] = list(state["disabledPlans"])
        user["assignedLicenses"] = list(seen.values())

    def consumed_units(self, sku_id: str) -> int:
        return sum(1 for u in self.users.values() if any(a["skuId"] == sku_id for a in u["assignedLicenses"]))

    def subscribed_skus(self) -> list[dict[str, Any]]:
        """`subscribedSku` resources with consumedUnits computed from the current assignments."""
        result = []
        for sku in self.skus.values():
            result.append({
                "accountName": self.organization_name,
                "accountId": self.tenant_id,
                "appliesTo": sku["appliesTo"],
                "capabilityStatus": sku["capabilityStatus"],
                "consumedUnits": self.consumed_units(sku["skuId"]),
                "id": f"{self.tenant_id}_{sku['skuId']}",
                "prepaidUnits": dict(sku["prepaidUnits"]),
                "servicePlans": [{"servicePlanId": p["servicePlanId"], "servicePlanName": p["servicePlanName"],
                                  "provisioningStatus": "Success", "appliesTo": "User"}
                                 for p in sku["servicePlans"]],
                "skuId": sku["skuId"],
                "skuPartNumber": sku["skuPartNumber"],
                "subscriptionIds": list(sku["subscriptionIds"]),
            })
        return result

    def subscriptions(self) -> list[dict[str, Any]]:
        """`companySubscription` resources (`/directory/subscriptions`): one per SKU, as this tenant buys them."""
        result = []
        for sku in self.skus.values():
            result.append({
                "id": sku["subscriptionIds"][0],
                "commerceSubscriptionId": str(uuid.uuid5(uuid.UUID(sku["subscriptionIds"][0]), "commerce")),
                "createdDateTime": sku["createdDateTime"],
                "isTrial": False,
                "nextLifecycleDateTime": sku["nextLifecycleDateTime"],
                "ownerId": self.tenant_id,
                "ownerTenantId": self.tenant_id,
                "ownerType": "Company",
                "serviceStatus": [{"servicePlanId": p["servicePlanId"], "servicePlanName": p["servicePlanName"],
                                   "provisioningStatus": "Success", "appliesTo": "User"}
                                  for p in sku["servicePlans"]],
                "skuId": sku["skuId"],
                "skuPartNumber": sku["skuPartNumber"],
                "status": sku["capabilityStatus"],
                "totalLicenses": sku["prepaidUnits"]["enabled"],
            })
        return result

    def sku(self, part_number_or_id: str) -> dict[str, Any]:
        key = part_number_or_id.lower()
        for sku in self.skus.values():
            if key in (sku["skuId"], sku["skuPartNumber"].lower()):
                return sku
        raise KeyError(part_number_or_id)

    def set_prepaid_units(self, part_number_or_id: str, enabled: int) -> None:
        self.sku(part_number_or_id)["prepaidUnits"]["enabled"] = enabled

    def free_units(self, part_number_or_id: str) -> int:
        sku = self.sku(part_number_or_id)
        return sku["prepaidUnits"]["enabled"] - self.consumed_units(sku["skuId"])

    # ------------------------------------------------------------------ Exchange
    def exo_group(self, list_id: str) -> dict[str, Any]:
        group = self.find_group(list_id)
        if group is None or group["id"] not in self.exo_groups:
            raise KeyError(list_id)
        return self.exo_groups[group["id"]]

    def exo_server(self) -> str:
        return EXO_SERVER

    # ------------------------------------------------------------------ Teams / Bot Connector
    @staticmethod
    def personal_conversation_id(user_id: str) -> str:
        return f"a:personal-{user_id}"

    @staticmethod
    def teams_user_id(user_id: str) -> str:
        return f"29:{user_id}"

    def bot_account(self) -> dict[str, Any]:
        return {"id": f"28:{self.bot_app_id}", "name": self.bot_name}

    def teams_account(self, user_id: str) -> dict[str, Any]:
        user = self.users[user_id]
        return {
            "id": self.teams_user_id(user_id),
            "name": user["displayName"],
            "aadObjectId": user_id,
            "givenName": user["givenName"],
            "surname": user["surname"],
            "email": user["mail"],
            "userPrincipalName": user["userPrincipalName"],
            "tenantId": self.tenant_id,
            "userRole": "user",
        }

    def user_of_teams_id(self, member_id: str | None) -> str | None:
        """Resolve a Teams member id (29:<id>) or a bare AAD object id to a user id."""
        if not member_id:
            return None
        key = member_id.split(":", 1)[1] if member_id.startswith("29:") else member_id
        user = self.users.get(key.lower())
        return user["id"] if user else None

    def personal_conversation(self, user_id: str) -> Conversation:
        """The bot's 1:1 chat with this user; every user has one from the start (the bot is installed)."""
        conv_id = self.personal_conversation_id(user_id)
        conv = self.conversations.get(conv_id)
        if conv is None:
            conv = Conversation(conv_id, "personal", [self.teams_account(user_id)], user_id, self.tenant_id)
            self.conversations[conv_id] = conv
        return conv

    def find_conversation(self, conversation_id: str) -> Conversation | None:
        conv = self.conversations.get(conversation_id)
        if conv is None and conversation_id.startswith("a:personal-"):
            user_id = conversation_id[len("a:personal-"):]
            if user_id in self.users:
                conv = self.personal_conversation(user_id)
        return conv

    def next_activity_id(self) -> str:
        # Teams activity ids look like epoch milliseconds; a counter keeps them deterministic and ordered.
        self._activity_seq += 1
        return str(1_767_225_600_000 + self._activity_seq)

    def record_activity(self, conv: Conversation, body: dict[str, Any], reply_to_id: str | None = None) -> str:
        activity_id = self.next_activity_id()
        record = ActivityRecord(activity_id, conv.id, copy.deepcopy(body), self._activity_seq,
                                reply_to_id=reply_to_id)
        self.activities[activity_id] = record
        conv.activity_ids.append(activity_id)
        return activity_id

    def inbox(self, aad_object_id: str, *, include_typing: bool = False,
              include_deleted: bool = False) -> list[dict[str, Any]]:
        """What the bot sent to this person in personal chats, oldest first, updates applied in place."""
        user_id = self.user_of_teams_id(aad_object_id) or aad_object_id.lower()
        items = []
        for conv in self.conversations.values():
            if conv.user_id != user_id:
                continue
            for activity_id in conv.activity_ids:
                record = self.activities[activity_id]
                if record.deleted and not include_deleted:
                    continue
                if record.body.get("type") == "typing" and not include_typing:
                    continue
                items.append(record)
        return [r.as_inbox_item() for r in sorted(items, key=lambda r: r.seq)]

    # ------------------------------------------------------------------ call log
    def log_call(self, service: str, method: str, path: str, status: int, *, cmdlet: str | None = None,
                 query: str = "") -> None:
        self.call_log.append(CallRecord(service, method, path, status, cmdlet=cmdlet, query=query))

    def reset_call_log(self) -> None:
        self.call_log.clear()

    def calls(self, service: str | None = None, *, cmdlet: str | None = None) -> list[CallRecord]:
        return [c for c in self.call_log
                if (service is None or c.service == service) and (cmdlet is None or c.cmdlet == cmdlet)]

    def next_request_id(self) -> str:
        self._request_seq += 1
        return str(uuid.uuid5(uuid.UUID(self.tenant_id), f"request:{self._request_seq}"))

    # ------------------------------------------------------------------ views for other processes
    def user_snapshot(self, id_or_upn: str) -> dict[str, Any]:
        user = copy.deepcopy(self.user(id_or_upn))
        user["memberOf"] = [g["id"] for g in self.member_of(user["id"])]
        user["licenseSkuPartNumbers"] = [self.skus[a["skuId"]]["skuPartNumber"]
                                         for a in user["assignedLicenses"] if a["skuId"] in self.skus]
        return user

"""The live, in-memory state of the emulated tenant: directory, licenses, Exchange lists, Teams chats, call log."""

from __future__ import annotations

import copy
import hashlib
import uuid
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
        self.conversations: dict[str, Conversation] = {}
        self.activities: dict[str, ActivityRecord] = {}
        self.call_log: list[CallRecord] = []
        self._activity_seq = 0
        self._request_seq = 0
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

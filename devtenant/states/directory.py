"""Entra's directory: users, groups and their members, managers, deleted users, domains and Graph delta bookkeeping."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict

from devtenant.seed import SeedGroup, SeedList, SeedUser, stable_id
from devtenant.states.stamps import SEED_EPOCH, iso, stable_number
from devtenant.states.user_changes import UserChangeLog

COUNTRY_NAMES = {"PL": "Poland", "DE": "Germany", "GB": "United Kingdom", "US": "United States"}
# Seeded sign-ins are whole days (plus six hours) before the moment the state was (re)set, so "no sign-in for
# N days" has the same answer for every N whenever a test runs, as long as it runs within 18 hours of the reset.
_SIGN_IN_HOURS = 6

# A Graph user as Graph answers it, plus the emulator's own keys: `manager` (the manager's id; a navigation
# property in Graph, not a field), `signInActivity`, and the Exchange-only `exo*` fields of mailboxes.
# Graph and Exchange read and change these records in place, and tests do too, so they stay plain dicts.
UserRecord = dict[str, Any]
# A Graph group (security group or distribution list) as Graph answers it.
GroupRecord = dict[str, Any]


class DomainRecord(TypedDict):
    """A Graph `domain` essentials."""

    id: str
    isVerified: bool
    supportedServices: list[str]


@dataclass
class DeletedUser:
    """A user in Entra's recycle bin, with the groups to put them back in when restored."""

    record: UserRecord
    member_of: list[str]


class Directory:
    """The users and groups Graph serves (Exchange sees mailboxes and lists through them too)."""

    def __init__(self, *, organization_name: str, domain: str, initial_domain: str, reference_time: datetime) -> None:
        self.organization_name = organization_name
        self.domain = domain
        self.initial_domain = initial_domain
        self.reference_time = reference_time  # "now" of the seeded dates
        self.users: dict[str, UserRecord] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.group_members: dict[str, list[str]] = {}  # group id -> member user ids
        # Soft-deleted users (Entra's 30-day recycle bin), keyed by id; delta reports them "@removed" "changed".
        self.deleted_users: dict[str, DeletedUser] = {}
        # Domains the tenant receives mail for (Graph /domains, Exchange accepted domains).
        self.accepted_domains: list[str] = [domain, initial_domain]
        # Other domains of the tenant that do not take mail (unverified, or without the Email service).
        self.other_domains: dict[str, DomainRecord] = {}
        self.changes = UserChangeLog(self.users)

    # ------------------------------------------------------------------ records
    def user_record(self, index: int, user: SeedUser) -> UserRecord:
        """A seeded person as Graph shows them; `index` spreads the creation dates."""
        created = SEED_EPOCH + timedelta(days=index * 3 + stable_number(user.id) % 3,
                                         hours=stable_number(user.id) % 9)
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
            "manager": user.manager_id,
        }

    def _sign_in_activity(self, user: SeedUser) -> dict[str, Any] | None:
        """Deterministic per user: ~87 % signed in within 60 days, ~10 % last 91-400 days ago, ~3 % never (null).

        A third of the stale ones tried recently and failed: lastSignInDateTime (attempts, failures included) is
        recent while lastSuccessfulSignInDateTime stays old, as Graph reports it.
        """
        bucket = stable_number(user.id + "s") % 100
        if bucket < 3:
            return None
        stale = bucket < 13
        days = 91 + stable_number(user.id + "d") % 310 if stale else stable_number(user.id + "d") % 61
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

    def add_security_group(self, group: SeedGroup) -> GroupRecord:
        """A seeded security group (admins, group-based licensing) with its members."""
        self.groups[group.id] = record = {
            "id": group.id,
            "createdDateTime": iso(SEED_EPOCH + timedelta(days=stable_number(group.id) % 300)),
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
            "securityIdentifier": f"S-1-12-1-{stable_number(group.id)}-{stable_number(group.id + 'b')}",
            "visibility": None,
            "assignedLicenses": [{"skuId": s, "disabledPlans": []} for s in group.assigned_sku_ids],
        }
        self.group_members[group.id] = list(group.member_ids)
        return record

    def add_list_group(self, dl: SeedList, created: datetime) -> GroupRecord:
        """The Graph side of a distribution list: a mail-enabled, non-security group with its members."""
        self.groups[dl.id] = record = {
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
            "securityIdentifier": f"S-1-12-1-{stable_number(dl.id)}-{stable_number(dl.id + 'b')}",
            "visibility": None,
            "assignedLicenses": [],
        }
        self.group_members[dl.id] = list(dl.member_ids)
        return record

    def add_shared_mailbox(self, name: str, display_name: str, alias: str, address: str, *, dir_synced: bool = False,
                           created: datetime | None = None, changed: datetime | None = None) -> UserRecord:
        """A shared mailbox: like in Exchange Online, a disabled, unlicensed Entra user (Graph sees it too)."""
        person = SeedUser(id=stable_id("user", address), display_name=display_name, given_name="", surname="",
                          user_principal_name=address, mail=address, department="", job_title="", country="",
                          usage_location=None, preferred_language="", manager_id=None, account_enabled=False,
                          office_location="")
        record = self.user_record(len(self.users), person)
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
            self.users[person.id] = self.user_record(len(self.users), person)
            ids.append(person.id)
        return ids

    # ------------------------------------------------------------------ changes made outside the desk
    def update_user(self, id_or_upn: str, changes: dict[str, Any]) -> UserRecord:
        """Change a user as an admin would outside the desk (`manager` by id or UPN, None clears it)."""
        user = self.user(id_or_upn)
        changes = dict(changes)
        if changes.get("manager") is not None:
            manager = self.user(str(changes["manager"]))
            if manager["id"] == user["id"]:
                raise ValueError("a user cannot be their own manager")
            changes["manager"] = manager["id"]
        user.update(changes)
        self.changes.record(user["id"])
        return user

    def delete_user(self, id_or_upn: str) -> UserRecord:
        """Soft-delete a user as Entra does: gone from users, groups and as anyone's manager."""
        user = self.user(id_or_upn)
        user_id = user["id"]
        del self.users[user_id]
        user["deletedDateTime"] = iso(datetime.now(UTC))
        member_of = [g for g, members in self.group_members.items() if user_id in members]
        self.deleted_users[user_id] = DeletedUser(user, member_of)
        for group_id in member_of:
            self.group_members[group_id] = [m for m in self.group_members[group_id] if m != user_id]
        self.changes.record(user_id)
        for report in [u for u in self.users.values() if u.get("manager") == user_id]:
            report["manager"] = None
            self.changes.record(report["id"])
        return user

    def restore_user(self, user_id: str) -> UserRecord:
        """Bring a soft-deleted user back, with their group memberships (not their old manager links)."""
        deleted = self.deleted_users.pop(user_id.lower())
        user = deleted.record
        user["deletedDateTime"] = None
        for group_id in deleted.member_of:
            if group_id in self.group_members and user["id"] not in self.group_members[group_id]:
                self.group_members[group_id].append(user["id"])
        self.users[user["id"]] = user
        self.changes.forget(user["id"])  # reappears whole, as a new object would
        self.changes.record(user["id"])
        return user

    def domain_records(self) -> list[DomainRecord]:
        """Graph `domain` essentials: the accepted (mail) domains, then the others."""
        records: list[DomainRecord] = [
            {"id": d, "isVerified": True, "supportedServices": ["Email", "OfficeCommunicationsOnline"]}
            for d in self.accepted_domains]
        accepted = {a.lower() for a in self.accepted_domains}
        return records + [DomainRecord(**d) for d in self.other_domains.values() if d["id"].lower() not in accepted]

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

    # ------------------------------------------------------------------ queries
    def find_user(self, id_or_upn: str) -> UserRecord | None:
        """A user by object id, UPN or mail (case-insensitive), or None."""
        key = id_or_upn.strip().lower()
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key in ((user["userPrincipalName"] or "").lower(), (user["mail"] or "").lower()):
                return user
        return None

    def user(self, id_or_upn: str) -> UserRecord:
        """The live user record (mutate it to change the tenant); KeyError if there is none."""
        user = self.find_user(id_or_upn)
        if user is None:
            raise KeyError(id_or_upn)
        return user

    def find_group(self, id_or_name: str) -> GroupRecord | None:
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

    def member_of(self, user_id: str) -> list[GroupRecord]:
        """Groups the user belongs to (no nested groups in this tenant, so direct = transitive)."""
        return [self.groups[g] for g, members in self.group_members.items() if user_id in members]

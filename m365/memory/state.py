"""The live state of an in-memory tenant: its records as the ports read and change them, loaded from its seed,
the lookups the ports share, and the changes an admin makes outside the desk (for tests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from m365.memory.mail import MailRecords
from m365.memory.records import (
    GroupRecord,
    LicenseState,
    ListRecord,
    SharedMailboxRecord,
    SkuRecord,
    UserRecord,
    identity_key,
    match_keys,
    whole_seconds,
)
from m365.memory.seed import ListSeed, MailboxSeed, TenantSeed, UserSeed, stable_id
from m365.memory.usage import UsageRecords


class TenantState:
    """Everything the in-memory ports read and change; one object shared by all of them, as one tenant is.

    Dict order is creation order, which is the order reads return things in (as devtenant does)."""

    def __init__(self, seed: TenantSeed, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.domain = seed.domain.lower()
        self.initial_domain = (seed.initial_domain or f"{self.domain.split('.')[0]}.onmicrosoft.com").lower()
        self.accepted_domains: list[str] = list(dict.fromkeys(
            d.lower() for d in (self.domain, self.initial_domain, *seed.other_accepted_domains)))
        self.users: dict[str, UserRecord] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.skus: dict[str, SkuRecord] = {}
        self.lists: dict[str, ListRecord] = {}
        self.usage = UsageRecords()  # mailbox activity, received messages, report settings (m365/memory/usage.py)
        self.mail = MailRecords()  # mailboxes' drafts and sent mail, automatic replies, access policy (memory/mail.py)
        # Users/delta: a round's snapshot of what it reported, and links that no longer count.
        self.delta_generation = 1
        self.expired_generations: dict[int, int] = {}  # generation -> HTTP status its links now answer
        self.delta_snapshots: dict[str, dict[str, tuple[object, ...]]] = {}
        # A round's pages: (index of this page, every page's items, the snapshot its delta link leads from).
        self.delta_pages: dict[str, tuple[int, list[list[str]], str]] = {}
        self._load(seed)

    def now(self) -> datetime:
        return whole_seconds(self.clock())

    # ------------------------------------------------------------------ seeding
    def _load(self, seed: TenantSeed) -> None:
        for sku in seed.skus:
            self.skus[sku.sku_id.lower()] = SkuRecord(
                sku.sku_id.lower(), sku.sku_part_number, sku.enabled_units, sku.next_lifecycle,
                sku.subscription_id or stable_id("subscription", sku.sku_id), sku.subscription_status, sku.is_trial)
        for user in seed.users:
            record = self._user_record(user)
            record.licenses = [LicenseState(self.sku_of(s).sku_id) for s in user.licenses]
            self.users[record.id] = record
        for group in seed.groups:
            sku_ids = [self.sku_of(s).sku_id for s in group.licenses]
            self.groups[group.id.lower()] = GroupRecord(group.id.lower(), group.display_name,
                                                        [m.lower() for m in group.member_ids], sku_ids)
            for member in group.member_ids:
                for sku_id in sku_ids:
                    self.users[member.lower()].licenses.append(LicenseState(sku_id, group.id.lower()))
        for dl in seed.lists:
            self._load_list(dl)
        for mailbox in seed.mailboxes:
            self._load_mailbox(mailbox)

    def _user_record(self, user: UserSeed) -> UserRecord:
        mail = user.user_principal_name if user.mail is None else (user.mail or None)
        alias = user.user_principal_name.split("@", 1)[0]
        record = UserRecord(
            id=user.user_id.lower(), display_name=user.display_name, user_principal_name=user.user_principal_name,
            mail=mail, alias=alias, given_name=user.given_name, surname=user.surname, department=user.department,
            job_title=user.job_title, country=user.country, usage_location=user.usage_location,
            account_enabled=user.account_enabled, preferred_language=user.preferred_language,
            manager_id=user.manager_id.lower() if user.manager_id else None,
            last_successful_sign_in=user.last_successful_sign_in, is_dir_synced=user.is_dir_synced)
        if mail:
            record.proxy_addresses = [*user.proxy_addresses, f"{alias}@{self.initial_domain}"]
        return record

    def _load_list(self, dl: ListSeed) -> None:
        address = dl.primary_smtp_address or f"{dl.alias}@{self.domain}"
        record = ListRecord(
            id=dl.list_id.lower(), name=dl.name or dl.display_name, display_name=dl.display_name, alias=dl.alias,
            primary_smtp_address=address, proxy_addresses=[f"{dl.alias}@{self.initial_domain}"],
            owners=[self.user_by_id_or_mail(o).mail or o for o in dl.owners],
            member_ids=[m.lower() for m in dl.member_ids], member_join_restriction=dl.member_join_restriction,
            member_depart_restriction=dl.member_depart_restriction, is_dir_synced=dl.is_dir_synced,
            description=dl.description, accepts_external_senders=dl.accepts_external_senders,
            changed_at=whole_seconds(dl.changed_at) if dl.changed_at else self.now())
        self.lists[record.id] = record

    def _load_mailbox(self, mailbox: MailboxSeed) -> None:
        address = mailbox.primary_smtp_address or f"{mailbox.alias}@{self.domain}"
        record = self.add_shared_mailbox(mailbox.name or mailbox.display_name, mailbox.display_name, mailbox.alias,
                                         address, object_id=mailbox.id, dir_synced=mailbox.is_dir_synced)
        assert record.shared is not None
        record.shared.full_access = [(u.lower(), auto) for u, auto in mailbox.full_access]
        record.shared.send_as = [u.lower() for u in mailbox.send_as]
        record.shared.send_on_behalf = [u.lower() for u in mailbox.send_on_behalf]
        if mailbox.changed_at is not None:
            record.shared.changed_at = whole_seconds(mailbox.changed_at)

    def add_shared_mailbox(self, name: str, display_name: str, alias: str, address: str, *, object_id: str = "",
                           dir_synced: bool = False) -> UserRecord:
        """A shared mailbox: as in Exchange Online, a disabled, unlicensed user with a mailbox."""
        record = UserRecord(id=(object_id or stable_id("user", address)).lower(), display_name=display_name,
                            user_principal_name=address, mail=address, alias=alias, account_enabled=False,
                            is_dir_synced=dir_synced, shared=SharedMailboxRecord(name, self.now()))
        record.proxy_addresses = [self.secondary_address(alias)]
        self.users[record.id] = record
        return record

    def secondary_address(self, alias: str) -> str:
        """The tenant-domain proxy address; numbered when the plain one is taken (the email address policy)."""
        candidate, n = f"{alias}@{self.initial_domain}", 1
        while self.address_holder(candidate) is not None:
            n += 1
            candidate = f"{alias}{n}@{self.initial_domain}"
        return candidate

    # ------------------------------------------------------------------ lookups
    def sku_of(self, part_number_or_id: str) -> SkuRecord:
        key = part_number_or_id.strip().lower()
        for sku in self.skus.values():
            if key in (sku.sku_id, sku.sku_part_number.lower()):
                return sku
        raise KeyError(part_number_or_id)

    def find_user(self, id_or_upn: str) -> UserRecord | None:
        """A user by object id, UPN or mail, any case (how Graph's /users/{key} resolves here)."""
        key = id_or_upn.strip().lower()
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if key in (user.user_principal_name.lower(), (user.mail or "").lower()):
                return user
        return None

    def user_by_id_or_mail(self, id_or_mail: str) -> UserRecord:
        user = self.find_user(id_or_mail)
        if user is None:
            raise KeyError(id_or_mail)
        return user

    def mail_users(self) -> list[UserRecord]:
        """Users with a mailbox: the recipients Exchange knows (people and shared mailboxes)."""
        return [u for u in self.users.values() if u.mail]

    def recipients_called(self, identity: str) -> list[UserRecord]:
        key = identity_key(identity)
        return [u for u in self.mail_users() if key in u.exchange_keys()]

    def lists_called(self, identity: str) -> list[ListRecord]:
        key = identity_key(identity)
        return [dl for dl in self.lists.values() if key in dl.exchange_keys()]

    def address_holder(self, address: str) -> str | None:
        """The Name of whoever uses ``address`` (primary or proxy, mailbox or list), or None when it is free."""
        key = identity_key(address)
        for user in self.mail_users():
            if key in match_keys((user.mail, *user.proxy_addresses)):
                return user.recipient_name
        for dl in self.lists.values():
            if key in match_keys((dl.primary_smtp_address, *dl.proxy_addresses)):
                return dl.name
        return None

    def held_sku_ids(self, user: UserRecord) -> set[str]:
        """The SKUs the user effectively holds (directly or through a group; not a group's error state)."""
        return {state.sku_id for state in user.licenses if state.active}

    def consumed_units(self, sku_id: str) -> int:
        return sum(1 for user in self.users.values() if sku_id in self.held_sku_ids(user))

    def free_units(self, sku_id: str) -> int:
        return self.skus[sku_id].enabled_units - self.consumed_units(sku_id)

    # ------------------------------------------------------------------ changes made outside the desk
    def update_user(self, id_or_upn: str, **changes: object) -> UserRecord:
        """Change a user as an admin would (field names of UserRecord; ``manager_id`` None clears the manager)."""
        user = self.user_by_id_or_mail(id_or_upn)
        for name, value in changes.items():
            if name not in UserRecord.__dataclass_fields__ or name in ("id", "licenses", "shared"):
                raise ValueError(f"not a changeable user field: {name}")
            setattr(user, name, value.lower() if name == "manager_id" and isinstance(value, str) else value)
        return user

    def delete_user(self, id_or_upn: str) -> None:
        """Delete a user as Entra does: gone from groups, lists, list ownership, delegations, and as a manager."""
        user = self.user_by_id_or_mail(id_or_upn)
        del self.users[user.id]
        for group in self.groups.values():
            group.member_ids = [m for m in group.member_ids if m != user.id]
        for dl in self.lists.values():
            dl.member_ids = [m for m in dl.member_ids if m != user.id]
            dl.owners = [o for o in dl.owners if o.lower() != (user.mail or "").lower()]
        for other in self.users.values():
            if other.manager_id == user.id:
                other.manager_id = None
            if other.shared is not None:
                other.shared.full_access = [(u, auto) for u, auto in other.shared.full_access if u != user.id]
                other.shared.send_as = [u for u in other.shared.send_as if u != user.id]
                other.shared.send_on_behalf = [u for u in other.shared.send_on_behalf if u != user.id]

    def add_users(self, count: int, *, prefix: str = "outside", usage_location: str | None = "PL") -> list[str]:
        """``count`` new enabled, unlicensed people (as an admin center would create them); returns their ids."""
        start = sum(1 for u in self.users.values() if u.user_principal_name.startswith(f"{prefix}."))
        ids = []
        for n in range(start + 1, start + count + 1):
            upn = f"{prefix}.user{n:05d}@{self.domain}"
            record = self._user_record(UserSeed(upn, f"{prefix.title()} User {n:05d}", usage_location=usage_location))
            self.users[record.id] = record
            ids.append(record.id)
        return ids

    def add_group_member(self, group_id: str, user_id: str) -> None:
        """Someone joins a security group outside the desk; its licenses follow (CountViolation when no seat)."""
        group, user = self.groups[group_id.lower()], self.user_by_id_or_mail(user_id)
        if user.id in group.member_ids:
            return
        group.member_ids.append(user.id)
        for sku_id in group.license_sku_ids:
            held = sku_id in self.held_sku_ids(user)
            seat = bool(user.usage_location) and self.free_units(sku_id) > 0
            user.licenses.append(LicenseState(sku_id, group.id, active=held or seat))

    def add_domain(self, name: str, *, verified: bool = True, services: Sequence[str] = ("Email",)) -> None:
        """A domain added outside the desk; only a verified one with the Email service takes mail."""
        name = name.strip().lower()
        if verified and "Email" in services and name not in self.accepted_domains:
            self.accepted_domains.append(name)

    def expire_delta_links(self, status: int = 400) -> None:
        """Every delta and next link issued so far stops working: 400 syncStateNotFound, or 410 (resync)."""
        self.expired_generations[self.delta_generation] = status
        self.delta_generation += 1

    def set_enabled_units(self, part_number_or_id: str, units: int) -> None:
        self.sku_of(part_number_or_id).enabled_units = units

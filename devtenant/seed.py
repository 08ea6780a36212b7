"""The deterministic seed of the emulated Contoso tenant: people, groups, subscriptions, lists, shared mailboxes."""

from __future__ import annotations

import json
import random
import unicodedata
import uuid
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from devtenant.seed_names import DEPARTMENT_TITLES, Culture, cultures

# Every id in the tenant is a uuid5 under this namespace, so ids stay stable across runs and machines.
ID_NAMESPACE = uuid.UUID("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f")
DEFAULT_SEED = 365
USER_COUNT = 200

_FOLD = {"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "đ": "d", "Đ": "D"}


def ascii_fold(text: str) -> str:
    """ASCII-fold a name the way admins build mail addresses: Łucja Wiśniewska → Lucja Wisniewska, Weiß → Weiss."""
    text = "".join(_FOLD.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def stable_id(kind: str, key: str) -> str:
    """A GUID that depends only on what the object is, never on generation order."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{key.lower()}"))


@dataclass(frozen=True)
class SeedUser:
    """One employee (an Entra user with a mailbox)."""

    id: str
    display_name: str
    given_name: str
    surname: str
    user_principal_name: str
    mail: str
    department: str
    job_title: str
    country: str
    usage_location: str | None
    preferred_language: str
    manager_id: str | None
    account_enabled: bool
    office_location: str

    @property
    def mail_nickname(self) -> str:
        return self.user_principal_name.split("@", 1)[0]


@dataclass(frozen=True)
class SeedGroup:
    """A security group; `assigned_sku_ids` makes it a group-based licensing group."""

    id: str
    display_name: str
    mail_nickname: str
    description: str
    member_ids: list[str]
    assigned_sku_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SeedSku:
    """A subscribed SKU with real Microsoft ids and the tenant's seat counts."""

    sku_id: str
    sku_part_number: str
    product_name: str
    prepaid_enabled: int
    service_plans: list[dict[str, str]]
    direct_user_ids: list[str]
    group_user_ids: list[str]

    @property
    def consumed_units(self) -> int:
        return len(set(self.direct_user_ids) | set(self.group_user_ids))

    @property
    def free_units(self) -> int:
        return self.prepaid_enabled - self.consumed_units


@dataclass(frozen=True)
class SeedList:
    """An Exchange distribution list (MailUniversalDistributionGroup)."""

    id: str
    name: str
    display_name: str
    alias: str
    primary_smtp_address: str
    managed_by: list[str]
    member_ids: list[str]
    member_join_restriction: str
    member_depart_restriction: str
    is_dir_synced: bool
    notes: str


@dataclass(frozen=True)
class SeedSharedMailbox:
    """An Exchange shared mailbox (a disabled Entra user) and its delegates, by user id."""

    id: str
    name: str
    display_name: str
    alias: str
    primary_smtp_address: str
    full_access: list[tuple[str, bool]]  # (user id, AutoMapping)
    send_as: list[str]
    send_on_behalf: list[str]
    is_dir_synced: bool = False

    def full_access_ids(self) -> list[str]:
        return [user_id for user_id, _ in self.full_access]


@dataclass(frozen=True, repr=False)
class Seed:
    """Everything the emulated tenant starts with, plus the well-known people and lists tests rely on.

    demo_employee: licensed (Business Basic, not E3), has a usage location, no admin, owns no list.
    demo_admin: member of admins_group (DSM_Admins). employee_without_usage_location: no usage location.
    list_owner: sole owner of closed_list (Closed; demo_employee not a member). open_list: Open, demo_employee
    not a member. group_licensed_user: E3 only through license_groups[0]. dir_synced_list: IsDirSynced.

    shared_mailboxes: five shared mailboxes (disabled users with RecipientTypeDetails SharedMailbox, not in
    `users`). sales_mailbox: demo_employee holds Full Access (auto-mapped) and Send on Behalf, another person
    Full Access without auto-mapping and Send As. helpdesk_mailbox: demo_admin holds Full Access and Send As.
    empty_mailbox: no delegates at all. dir_synced_mailbox: IsDirSynced (changes are refused), with one Full
    Access holder. demo_employee holds nothing on helpdesk_mailbox and owns nothing.
    """

    domain: str
    organization_name: str
    users: list[SeedUser]
    admins_group: SeedGroup
    license_groups: list[SeedGroup]
    skus: list[SeedSku]
    distribution_lists: list[SeedList]
    demo_employee: SeedUser
    demo_admin: SeedUser
    employee_without_usage_location: SeedUser
    list_owner: SeedUser
    group_licensed_user: SeedUser
    disabled_user: SeedUser
    closed_list: SeedList
    open_list: SeedList
    dir_synced_list: SeedList
    shared_mailboxes: list[SeedSharedMailbox] = field(default_factory=list)
    seed_value: int = DEFAULT_SEED

    def __repr__(self) -> str:
        return (f"Seed(seed_value={self.seed_value}, domain={self.domain!r}, users={len(self.users)}, "
                f"skus={len(self.skus)}, distribution_lists={len(self.distribution_lists)}, "
                f"shared_mailboxes={len(self.shared_mailboxes)})")

    def mailbox(self, alias_or_id: str) -> SeedSharedMailbox:
        key = alias_or_id.lower()
        for mailbox in self.shared_mailboxes:
            if key in (mailbox.id, mailbox.alias, mailbox.primary_smtp_address.lower()):
                return mailbox
        raise KeyError(alias_or_id)

    @property
    def sales_mailbox(self) -> SeedSharedMailbox:
        return self.mailbox(SALES_MAILBOX_ALIAS)

    @property
    def helpdesk_mailbox(self) -> SeedSharedMailbox:
        return self.mailbox(HELPDESK_MAILBOX_ALIAS)

    @property
    def empty_mailbox(self) -> SeedSharedMailbox:
        return self.mailbox(EMPTY_MAILBOX_ALIAS)

    @property
    def dir_synced_mailbox(self) -> SeedSharedMailbox:
        return self.mailbox(DIR_SYNCED_MAILBOX_ALIAS)

    def user(self, id_or_upn: str) -> SeedUser:
        key = id_or_upn.lower()
        for user in self.users:
            if key in (user.id, user.user_principal_name.lower()):
                return user
        raise KeyError(id_or_upn)

    def sku(self, part_number_or_id: str) -> SeedSku:
        key = part_number_or_id.lower()
        for sku in self.skus:
            if key in (sku.sku_id, sku.sku_part_number.lower()):
                return sku
        raise KeyError(part_number_or_id)

    def dl(self, alias_or_id: str) -> SeedList:
        key = alias_or_id.lower()
        for dl in self.distribution_lists:
            if key in (dl.id, dl.alias, dl.primary_smtp_address.lower()):
                return dl
        raise KeyError(alias_or_id)

    def skus_of(self, user_id: str) -> list[SeedSku]:
        return [s for s in self.skus if user_id in s.direct_user_ids or user_id in s.group_user_ids]


@dataclass
class _Person:
    given: str
    surname: str
    country: str
    language: str
    department: str
    title: str
    usage_location: str | None
    enabled: bool = True
    sku: str | None = None  # part number of the directly assigned SKU
    via_group: bool = False  # E3 through the licensing group instead of directly
    key: str = ""  # well-known role, "" for generated people


_OFFICES = {"PL": "Warsaw", "DE": "Berlin", "GB": "London", "US": "New York"}
_SKU_ORDER = ("O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "ENTERPRISEPACK", "ENTERPRISEPREMIUM")
_SKU_WEIGHTS = (25, 30, 15, 20, 5)
E3 = "ENTERPRISEPACK"
E5 = "ENTERPRISEPREMIUM"


def _fixed_people() -> list[_Person]:
    """The well-known people of the demo and the tests; they come first so they get the clean addresses."""
    return [
        _Person("Katarzyna", "Zielińska", "PL", "pl-PL", "Management", "Chief Executive Officer", "PL",
                sku=E5, key="ceo"),
        _Person("Jonas", "Becker", "DE", "de-DE", "IT", "IT Administrator", "DE", sku=E5, key="demo_admin"),
        _Person("Sabine", "Hoffmann", "DE", "de-DE", "IT", "Head of IT", "DE", sku=E5, key="admin"),
        _Person("Emily", "Clarke", "GB", "en-US", "IT", "Service Desk Lead", "GB", sku=E3, key="admin"),
        _Person("Paweł", "Wójcik", "PL", "pl-PL", "IT", "Systems Engineer", "PL", sku=E3, key="admin"),
        _Person("Anna", "Kowalska", "PL", "pl-PL", "Sales", "Account Executive", "PL",
                sku="O365_BUSINESS_ESSENTIALS", key="demo_employee"),
        _Person("Oliver", "Smith", "GB", "en-US", "Marketing", "Marketing Specialist", None,
                key="employee_without_usage_location"),
        _Person("Lena", "Schmidt", "DE", "de-DE", "Marketing", "Marketing Manager", "DE",
                sku="O365_BUSINESS_PREMIUM", key="list_owner"),
        _Person("Tomasz", "Nowak", "PL", "pl-PL", "Sales", "Key Account Manager", "PL", via_group=True,
                key="group_licensed_user"),
        _Person("Jürgen", "Weiß", "DE", "de-DE", "Operations", "Planner", "DE", enabled=False,
                sku="O365_BUSINESS_PREMIUM", key="disabled_user"),
    ]


def _generated_people(rng: random.Random, count: int) -> list[_Person]:
    polish, german, english = cultures()
    people: list[_Person] = []
    departments = sorted(DEPARTMENT_TITLES)
    for _ in range(count):
        culture: Culture = rng.choices((polish, german, english), weights=(40, 35, 25))[0]
        female = rng.random() < 0.5
        given = rng.choice(culture.female_first if female else culture.male_first)
        surname = rng.choice(culture.surnames)[1 if female else 0]
        country = rng.choice(culture.countries)
        department = rng.choice(departments)
        title = rng.choice(DEPARTMENT_TITLES[department])
        usage_location = None if rng.random() < 0.10 else country
        enabled = rng.random() >= 0.03
        person = _Person(given, surname, country, culture.language, department, title, usage_location, enabled)
        if usage_location is not None and rng.random() >= 0.05:
            person.sku = rng.choices(_SKU_ORDER, weights=_SKU_WEIGHTS)[0]
        people.append(person)
    # Five of the generated E3 holders get E3 from the licensing group instead (group-based licensing).
    for person in [p for p in people if p.sku == E3][:5]:
        person.sku, person.via_group = None, True
    return people


def _make_users(people: list[_Person], domain: str) -> list[SeedUser]:
    taken: set[str] = set()
    heads: dict[str, str] = {}
    ids: list[str] = []
    upns: list[str] = []
    for person in people:
        local = f"{ascii_fold(person.given)}.{ascii_fold(person.surname)}".lower().replace(" ", "")
        candidate, n = local, 1
        while candidate in taken:
            n += 1
            candidate = f"{local}{n}"
        taken.add(candidate)
        upn = f"{candidate}@{domain}"
        upns.append(upn)
        ids.append(stable_id("user", upn))
    ceo_id = ids[0]
    # The first person seen in each department heads it (except the CEO's own "department").
    for person, user_id in zip(people, ids, strict=True):
        if person.key != "ceo" and person.department not in heads and person.key in ("", "admin"):
            heads[person.department] = user_id
    users = []
    for person, user_id, upn in zip(people, ids, upns, strict=True):
        head = heads.get(person.department)
        manager = None if person.key == "ceo" else (ceo_id if head in (None, user_id) else head)
        title = f"Head of {person.department}" if head == user_id and person.key == "" else person.title
        users.append(SeedUser(
            id=user_id,
            display_name=f"{person.given} {person.surname}",
            given_name=person.given,
            surname=person.surname,
            user_principal_name=upn,
            mail=upn,
            department=person.department,
            job_title=title,
            country=person.country,
            usage_location=person.usage_location,
            preferred_language=person.language,
            manager_id=manager,
            account_enabled=person.enabled,
            office_location=_OFFICES[person.country],
        ))
    return users


def _load_sku_catalog() -> dict[str, dict[str, Any]]:
    data = json.loads(resources.files("devtenant").joinpath("data/skus.json").read_text(encoding="utf-8"))
    return {s["skuPartNumber"]: s for s in data["skus"]}


def _make_skus(rng: random.Random, people: list[_Person], users: list[SeedUser],
               license_group_members: list[str]) -> list[SeedSku]:
    catalog = _load_sku_catalog()
    skus = []
    for part in _SKU_ORDER:
        entry = catalog[part]
        direct = [u.id for p, u in zip(people, users, strict=True) if p.sku == part]
        via_group = list(license_group_members) if part == E3 else []
        consumed = len(set(direct) | set(via_group))
        # A few free seats everywhere, none at all for E5 (the "no seats left" scenario).
        free = 0 if part == E5 else rng.randint(2, 5)
        skus.append(SeedSku(
            sku_id=entry["skuId"],
            sku_part_number=part,
            product_name=entry["productDisplayName"],
            prepaid_enabled=consumed + free,
            service_plans=[{"servicePlanId": p["servicePlanId"], "servicePlanName": p["servicePlanName"]}
                           for p in entry["servicePlans"]],
            direct_user_ids=direct,
            group_user_ids=via_group,
        ))
    return skus


# (display name, alias, join restriction, departments or countries the members come from)
_LIST_SPECS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Sales Poland", "sales-pl", "Closed", ("Sales", "PL")),
    ("Sales DACH", "sales-dach", "Closed", ("Sales", "DE")),
    ("Sales UK & US", "sales-ukus", "Closed", ("Sales", "GB", "US")),
    ("Marketing Team", "marketing", "Closed", ("Marketing",)),
    ("Marketing Events", "marketing-events", "Open", ("Marketing", "Sales")),
    ("Finance Reporting", "finance-reporting", "Closed", ("Finance",)),
    ("HR Announcements", "hr-announcements", "Closed", ("Human Resources",)),
    ("IT Service Desk", "it-servicedesk", "Closed", ("IT",)),
    ("IT Security Alerts", "it-security", "Closed", ("IT",)),
    ("Operations Warsaw", "ops-warsaw", "Closed", ("Operations", "PL")),
    ("Operations Berlin", "ops-berlin", "Closed", ("Operations", "DE")),
    ("Legal Contracts", "legal-contracts", "Closed", ("Legal", "Finance")),
    ("Customer Support EN", "support-en", "Closed", ("Customer Support", "GB", "US")),
    ("Customer Support PL", "support-pl", "Closed", ("Customer Support", "PL")),
    ("Engineering Leads", "eng-leads", "Closed", ("Engineering",)),
    ("Procurement", "procurement", "Closed", ("Procurement",)),
    ("Book Club", "book-club", "Open", ()),
    ("Running Club", "running-club", "Open", ()),
    ("Lunch Wrocław", "lunch-wroclaw", "Open", ("PL",)),
    ("Project Phoenix", "project-phoenix", "Open", ("Engineering", "Marketing")),
)
CLOSED_LIST_ALIAS = "marketing"
OPEN_LIST_ALIAS = "book-club"
DIR_SYNCED_LIST_ALIAS = "legal-contracts"


def _pool(users: list[SeedUser], selectors: tuple[str, ...]) -> list[SeedUser]:
    enabled = [u for u in users if u.account_enabled]
    if not selectors:
        return enabled
    departments = {s for s in selectors if len(s) > 2}
    countries = {s for s in selectors if len(s) == 2}
    return [u for u in enabled
            if (not departments or u.department in departments) and (not countries or u.country in countries)]


def _make_lists(rng: random.Random, users: list[SeedUser], domain: str, demo_employee: SeedUser,
                list_owner: SeedUser) -> list[SeedList]:
    lists = []
    everyone = [u for u in users if u.account_enabled]
    for display, alias, join, selectors in _LIST_SPECS:
        pool = [u for u in _pool(users, selectors) if u.id != demo_employee.id]
        if len(pool) < 16:  # a narrow department: top it up with anyone
            pool += [u for u in everyone if u not in pool and u.id != demo_employee.id][: 16 - len(pool)]
        if alias == CLOSED_LIST_ALIAS:
            owners = [list_owner.id]
        else:
            owners = [u.id for u in rng.sample([u for u in pool if u.id != list_owner.id], rng.randint(1, 2))]
        members = [u.id for u in rng.sample(pool, rng.randint(3, 15))]
        if alias in ("sales-pl", "lunch-wroclaw"):  # the demo employee's own lists
            members = [demo_employee.id] + members[:14]
        lists.append(SeedList(
            id=stable_id("group", alias),
            name=display,
            display_name=display,
            alias=alias,
            primary_smtp_address=f"{alias}@{domain}",
            managed_by=owners,
            member_ids=members,
            member_join_restriction=join,
            member_depart_restriction="Open",
            is_dir_synced=alias == DIR_SYNCED_LIST_ALIAS,
            notes=f"{display} distribution list",
        ))
    return lists


# (display name, alias, departments the delegates come from); the mailboxes' people are picked without the RNG,
# so adding a mailbox never changes the rest of the tenant.
_MAILBOX_SPECS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Sales Team Inbox", "sales-inbox", ("Sales",)),
    ("Helpdesk", "helpdesk", ("IT",)),
    ("Invoices", "invoices", ("Finance",)),
    ("Recruiting", "recruiting", ("Human Resources",)),
    ("Info Contoso", "info", ("Marketing",)),
)
SALES_MAILBOX_ALIAS = "sales-inbox"
HELPDESK_MAILBOX_ALIAS = "helpdesk"
EMPTY_MAILBOX_ALIAS = "recruiting"
DIR_SYNCED_MAILBOX_ALIAS = "info"


def _make_mailboxes(users: list[SeedUser], domain: str, demo_employee: SeedUser,
                    demo_admin: SeedUser) -> list[SeedSharedMailbox]:
    mailboxes = []
    for display, alias, selectors in _MAILBOX_SPECS:
        # Departments only (not _pool: it reads two-letter selectors such as "IT" as countries).
        pool = [u for u in users if u.account_enabled and u.department in selectors
                and u.id not in (demo_employee.id, demo_admin.id)]
        full_access: list[tuple[str, bool]] = []
        send_as: list[str] = []
        send_on_behalf: list[str] = []
        if alias == SALES_MAILBOX_ALIAS:
            full_access = [(demo_employee.id, True), (pool[0].id, False), (pool[1].id, True)]
            send_as = [pool[0].id]
            send_on_behalf = [demo_employee.id]
        elif alias == HELPDESK_MAILBOX_ALIAS:
            full_access = [(demo_admin.id, True), (pool[0].id, True), (pool[1].id, False)]
            send_as = [demo_admin.id, pool[0].id]
            send_on_behalf = [pool[2].id]
        elif alias == "invoices":
            full_access = [(pool[0].id, True), (pool[1].id, False)]
            send_as = [pool[0].id]
            send_on_behalf = [pool[1].id]
        elif alias == DIR_SYNCED_MAILBOX_ALIAS:
            full_access = [(pool[0].id, True)]
        address = f"{alias}@{domain}"
        mailboxes.append(SeedSharedMailbox(
            id=stable_id("user", address), name=display, display_name=display, alias=alias,
            primary_smtp_address=address, full_access=full_access, send_as=send_as, send_on_behalf=send_on_behalf,
            is_dir_synced=alias == DIR_SYNCED_MAILBOX_ALIAS))
    return mailboxes


def build_seed(seed_value: int = DEFAULT_SEED, *, domain: str = "contoso.com") -> Seed:
    """Build the tenant's seed. Pure and deterministic: the same `seed_value` always gives the same tenant."""
    rng = random.Random(seed_value)
    fixed = _fixed_people()
    people = fixed + _generated_people(rng, USER_COUNT - len(fixed))
    users = _make_users(people, domain)
    by_key: dict[str, SeedUser] = {}
    admins: list[str] = []
    for person, user in zip(people, users, strict=True):
        if person.key in ("demo_admin", "admin"):
            admins.append(user.id)
        if person.key:
            by_key.setdefault(person.key, user)
    group_licensed = [u.id for p, u in zip(people, users, strict=True) if p.via_group]
    skus = _make_skus(rng, people, users, group_licensed)
    e3 = next(s for s in skus if s.sku_part_number == E3)
    admins_group = SeedGroup(
        id=stable_id("group", "dsm_admins"), display_name="DSM_Admins", mail_nickname="DSM_Admins",
        description="M365 Desk administrators", member_ids=admins)
    license_group = SeedGroup(
        id=stable_id("group", "lic_o365_e3"), display_name="LIC_Office365_E3", mail_nickname="LIC_Office365_E3",
        description="Group-based licensing: Office 365 E3", member_ids=group_licensed,
        assigned_sku_ids=[e3.sku_id])
    lists = _make_lists(rng, users, domain, by_key["demo_employee"], by_key["list_owner"])
    by_alias = {dl.alias: dl for dl in lists}
    mailboxes = _make_mailboxes(users, domain, by_key["demo_employee"], by_key["demo_admin"])
    return Seed(
        domain=domain,
        organization_name="Contoso",
        users=users,
        admins_group=admins_group,
        license_groups=[license_group],
        skus=skus,
        distribution_lists=lists,
        demo_employee=by_key["demo_employee"],
        demo_admin=by_key["demo_admin"],
        employee_without_usage_location=by_key["employee_without_usage_location"],
        list_owner=by_key["list_owner"],
        group_licensed_user=by_key["group_licensed_user"],
        disabled_user=by_key["disabled_user"],
        closed_list=by_alias[CLOSED_LIST_ALIAS],
        open_list=by_alias[OPEN_LIST_ALIAS],
        dir_synced_list=by_alias[DIR_SYNCED_LIST_ALIAS],
        shared_mailboxes=mailboxes,
        seed_value=seed_value,
    )

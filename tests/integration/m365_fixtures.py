"""Fixtures for the m365 contract suites: the ports of either implementation, seeded alike.

A test that asks for a port (``directory``, ``licenses``, ``distribution_lists``, ``recipients``, ``mailboxes``,
``directory_sync``, ``usage``) or the ``seed`` runs twice, once per ``tenant_impl``: "devtenant" (the production
adapters against the devtenant emulator over real HTTPS) and "memory" (m365.memory, seeded from the same devtenant seed
by memory_seed). A test about transport only (throttling, retries, tokens, batching, the emulator's call log) is
marked ``@pytest.mark.devtenant_only("why")`` and runs once, against devtenant; a test that asks for devtenant
itself (``tenant``, ``graph``, ``exchange``, ``credentials``) must carry that mark.

Load with ``pytest_plugins = ["m365_fixtures"]`` in a test module (this folder has no __init__.py, so
pytest puts it on sys.path) and run the module's tests in one event loop:
``pytestmark = pytest.mark.asyncio(loop_scope="module")``. One emulator serves the module (starting one costs
an RSA key and a CA) and is started only when a devtenant test runs; each test gets it reset to the seed (or a
fresh memory tenant), so tests may change the tenant freely, and gets fresh clients (so an empty token cache).
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from devtenant import DevTenant, Seed, build_seed, run_devtenant
from devtenant.seed import SeedSharedMailbox, SeedUser
from m365.credentials import MsalCredentials
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import ExchangeClient
from m365.graph import GraphApi, build_graph
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses
from m365.mailboxes import ExchangeMailboxes
from m365.memory import GroupSeed, ListSeed, MailboxSeed, SkuSeed, TenantSeed, UserSeed, memory_tenant, tenant_state
from m365.ports import DirectorySync, DistributionLists, Licenses, Mailboxes, Recipients, Tenant, Usage
from m365.recipients import ExchangeRecipients
from m365.usage import GraphExchangeUsage

# Small retry delays keep fault-injection tests fast; Retry-After from the emulator still wins.
EXCHANGE_MAX_ATTEMPTS = 4
IMPLEMENTATIONS = ("devtenant", "memory")
# Fixtures that are devtenant itself: a test asking for one is about the emulator or HTTP, never about a port.
_DEVTENANT_FIXTURES = frozenset({"tenant", "m365_devtenant", "graph", "exchange", "exchange_session", "credentials"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses the ports runs once per implementation, unless marked devtenant_only."""
    if "tenant_impl" not in metafunc.fixturenames:
        return
    only = metafunc.definition.get_closest_marker("devtenant_only")
    if only is None and _DEVTENANT_FIXTURES & set(metafunc.fixturenames):
        raise pytest.UsageError(f"{metafunc.definition.nodeid} uses devtenant itself: mark it devtenant_only(reason)")
    metafunc.parametrize("tenant_impl", ["devtenant"] if only else list(IMPLEMENTATIONS), indirect=True)


@pytest.fixture
def tenant_impl(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def devtenant_seed() -> Seed:
    """The seed run_devtenant starts from (it is deterministic, so the memory tenant can start from it too)."""
    return build_seed()


@pytest.fixture(scope="module")
def memory_seed_values(devtenant_seed: Seed) -> TenantSeed:
    return memory_seed(devtenant_seed)


@pytest.fixture
def memory(memory_seed_values: TenantSeed) -> Tenant:
    """A fresh memory tenant per test, seeded like devtenant."""
    return memory_tenant(memory_seed_values)


@pytest.fixture
def seed(tenant_impl: str, request: pytest.FixtureRequest, devtenant_seed: Seed) -> Seed:
    if tenant_impl == "devtenant":
        return request.getfixturevalue("tenant").seed  # type: ignore[no-any-return]
    return devtenant_seed


def _port(tenant_impl: str, request: pytest.FixtureRequest, name: str) -> Any:
    """The memory tenant's port ``name``, or the devtenant adapter the fixture ``devtenant_<name>`` builds."""
    if tenant_impl == "memory":
        return getattr(request.getfixturevalue("memory"), name)
    return request.getfixturevalue(f"devtenant_{name}")


@pytest.fixture
def directory(tenant_impl: str, request: pytest.FixtureRequest) -> Any:
    return _port(tenant_impl, request, "directory")


@pytest.fixture
def licenses(tenant_impl: str, request: pytest.FixtureRequest) -> Licenses:
    return _port(tenant_impl, request, "licenses")  # type: ignore[no-any-return]


@pytest.fixture
def distribution_lists(tenant_impl: str, request: pytest.FixtureRequest) -> DistributionLists:
    return _port(tenant_impl, request, "distribution_lists")  # type: ignore[no-any-return]


@pytest.fixture
def recipients(tenant_impl: str, request: pytest.FixtureRequest) -> Recipients:
    return _port(tenant_impl, request, "recipients")  # type: ignore[no-any-return]


@pytest.fixture
def mailboxes(tenant_impl: str, request: pytest.FixtureRequest) -> Mailboxes:
    return _port(tenant_impl, request, "mailboxes")  # type: ignore[no-any-return]


@pytest.fixture
def directory_sync(tenant_impl: str, request: pytest.FixtureRequest) -> DirectorySync:
    return _port(tenant_impl, request, "directory_sync")  # type: ignore[no-any-return]


@pytest.fixture
def usage(tenant_impl: str, request: pytest.FixtureRequest) -> Usage:
    return _port(tenant_impl, request, "usage")  # type: ignore[no-any-return]


@pytest.fixture
def tenant_user_ids(tenant_impl: str, request: pytest.FixtureRequest) -> set[str]:
    """Every user the tenant has (people and shared mailboxes' accounts), as users/delta should list them."""
    if tenant_impl == "memory":
        return set(tenant_state(request.getfixturevalue("memory")).users)
    return set(request.getfixturevalue("tenant").state.users)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def m365_devtenant() -> AsyncIterator[DevTenant]:
    async with run_devtenant() as running:
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def tenant(m365_devtenant: DevTenant) -> AsyncIterator[DevTenant]:
    m365_devtenant.reset()
    yield m365_devtenant
    m365_devtenant.faults.clear()


@pytest.fixture
def credentials(tenant: DevTenant) -> Iterator[MsalCredentials]:
    creds = MsalCredentials(
        f"{tenant.authority_host}/{tenant.tenant_id}",
        tenant.client_id,
        tenant.client_secret,
        ca_bundle=str(tenant.ca_pem_path),
        validate_authority=False,
    )
    yield creds
    creds.close()


@pytest_asyncio.fixture(loop_scope="module")
async def graph(tenant: DevTenant, credentials: MsalCredentials) -> AsyncIterator[GraphApi]:
    api = build_graph(
        credentials, tenant.graph_base_url, ca_bundle=str(tenant.ca_pem_path), retry_delay=0.0, timeout=20.0
    )
    yield api
    await api.aclose()


@pytest_asyncio.fixture(loop_scope="module")
async def exchange_session(tenant: DevTenant) -> AsyncIterator[aiohttp.ClientSession]:
    context = ssl.create_default_context(cafile=str(tenant.ca_pem_path))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context), trust_env=False) as session:
        yield session


@pytest.fixture
def exchange(
    tenant: DevTenant, credentials: MsalCredentials, exchange_session: aiohttp.ClientSession
) -> ExchangeClient:
    return ExchangeClient(
        tenant.exchange_base_url,
        tenant.tenant_id,
        credentials,
        session=exchange_session,
        max_attempts=EXCHANGE_MAX_ATTEMPTS,
        base_delay=0.01,
        max_delay=2.0,
        timeout=20.0,
    )


@pytest.fixture
def devtenant_directory(graph: GraphApi) -> GraphDirectory:
    return GraphDirectory(graph)


@pytest.fixture
def devtenant_directory_sync(graph: GraphApi) -> GraphDirectory:
    return GraphDirectory(graph)


@pytest.fixture
def devtenant_licenses(graph: GraphApi) -> GraphLicenses:
    return GraphLicenses(graph)


@pytest.fixture
def devtenant_distribution_lists(exchange: ExchangeClient) -> ExchangeDistributionLists:
    return ExchangeDistributionLists(exchange)


@pytest.fixture
def devtenant_recipients(exchange: ExchangeClient) -> ExchangeRecipients:
    return ExchangeRecipients(exchange)


@pytest.fixture
def devtenant_mailboxes(exchange: ExchangeClient) -> ExchangeMailboxes:
    return ExchangeMailboxes(exchange)


@pytest.fixture
def devtenant_usage(graph: GraphApi, exchange: ExchangeClient) -> GraphExchangeUsage:
    return GraphExchangeUsage(graph, exchange)


# ---------------------------------------------------------------------------------------------------------
# The devtenant seed as memory-tenant seed values. Graph and Exchange show some things the seed only implies
# (country names, sign-ins, subscription ends, WhenChanged); they are derived here by devtenant's own rules
# (devtenant/state.py), so both implementations start from the same tenant.

_EPOCH = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
_COUNTRY_NAMES = {"PL": "Poland", "DE": "Germany", "GB": "United Kingdom", "US": "United States"}
_SUBSCRIPTION_DAYS = {"O365_BUSINESS_PREMIUM": 20}  # the one that ends soon; the others months away
_SIGN_IN_HOURS = 6


def _h(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")


def _last_sign_in(user: SeedUser, now: datetime) -> datetime | None:
    bucket = _h(user.id + "s") % 100
    if bucket < 3:
        return None
    days = 91 + _h(user.id + "d") % 310 if bucket < 13 else _h(user.id + "d") % 61
    return now - timedelta(days=days, hours=_SIGN_IN_HOURS)


def _changed(object_id: str) -> datetime:
    return _EPOCH + timedelta(days=_h(object_id) % 900 + 30)


def memory_seed(seed: Seed) -> TenantSeed:
    """The devtenant seed as memory-tenant seed values: the same people, groups, SKUs, lists and mailboxes."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    direct = {u.id: [s.sku_part_number for s in seed.skus if u.id in s.direct_user_ids] for u in seed.users}
    users = tuple(UserSeed(
        id=u.id, user_principal_name=u.user_principal_name, display_name=u.display_name, mail=u.mail,
        given_name=u.given_name, surname=u.surname, department=u.department, job_title=u.job_title,
        country=_COUNTRY_NAMES.get(u.country, u.country), usage_location=u.usage_location,
        account_enabled=u.account_enabled, preferred_language=u.preferred_language, manager_id=u.manager_id,
        licenses=tuple(direct[u.id]), last_successful_sign_in=_last_sign_in(u, now)) for u in seed.users)
    groups = tuple(GroupSeed(g.id, g.display_name, tuple(g.member_ids), tuple(g.assigned_sku_ids))
                   for g in (seed.admins_group, *seed.license_groups))
    skus = tuple(SkuSeed(s.sku_id, s.sku_part_number, s.prepaid_enabled, next_lifecycle=now + timedelta(
        days=_SUBSCRIPTION_DAYS.get(s.sku_part_number, 90 + _h(s.sku_id) % 240))) for s in seed.skus)
    lists = tuple(ListSeed(
        alias=dl.alias, display_name=dl.display_name, id=dl.id, name=dl.name,
        primary_smtp_address=dl.primary_smtp_address, owners=tuple(dl.managed_by), member_ids=tuple(dl.member_ids),
        member_join_restriction=dl.member_join_restriction, member_depart_restriction=dl.member_depart_restriction,
        is_dir_synced=dl.is_dir_synced, changed_at=_changed(dl.id)) for dl in seed.distribution_lists)
    return TenantSeed(domain=seed.domain, initial_domain=f"{seed.organization_name.lower()}.onmicrosoft.com",
                      users=users, groups=groups, skus=skus, lists=lists,
                      mailboxes=tuple(_mailbox(m) for m in seed.shared_mailboxes))


def _mailbox(mailbox: SeedSharedMailbox) -> MailboxSeed:
    return MailboxSeed(alias=mailbox.alias, display_name=mailbox.display_name, id=mailbox.id, name=mailbox.name,
                       primary_smtp_address=mailbox.primary_smtp_address, full_access=tuple(mailbox.full_access),
                       send_as=tuple(mailbox.send_as), send_on_behalf=tuple(mailbox.send_on_behalf),
                       is_dir_synced=mailbox.is_dir_synced, changed_at=_changed(mailbox.id))

"""Fixtures wiring the production m365 adapters to a devtenant emulator over real HTTPS.

Load with ``pytest_plugins = ["m365_fixtures"]`` in a test module (this folder has no __init__.py, so
pytest puts it on sys.path) and run the module's tests in one event loop:
``pytestmark = pytest.mark.asyncio(loop_scope="module")``. One emulator serves the module (starting one costs
an RSA key and a CA); each test gets it reset to the seed, so tests may change the tenant freely, and gets
fresh clients (so an empty token cache).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import pytest_asyncio

from devtenant import DevTenant, Seed, run_devtenant
from m365.credentials import MsalCredentials
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import ExchangeClient
from m365.graph import GraphApi, build_graph
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses

# Small retry delays keep fault-injection tests fast; Retry-After from the emulator still wins.
EXCHANGE_MAX_ATTEMPTS = 4


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
def seed(tenant: DevTenant) -> Seed:
    return tenant.seed


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
def directory(graph: GraphApi) -> GraphDirectory:
    return GraphDirectory(graph)


@pytest.fixture
def licenses(graph: GraphApi) -> GraphLicenses:
    return GraphLicenses(graph)


@pytest.fixture
def distribution_lists(exchange: ExchangeClient) -> ExchangeDistributionLists:
    return ExchangeDistributionLists(exchange)

"""Shared fixtures for integration tests: a running devtenant emulator and a small HTTPS client for it.

One emulator serves a whole test module (starting one costs an RSA key and a CA); every test gets it reset to
the seed. Modules using these fixtures run their tests in the module's event loop:
`pytestmark = pytest.mark.asyncio(loop_scope="module")`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from devtenant import DevTenant, run_devtenant

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"


def pytest_configure(config: pytest.Config) -> None:
    # Registered here, before test modules are imported: m365_fixtures reads it to run a test on devtenant alone.
    config.addinivalue_line("markers", "devtenant_only(reason): a transport test; runs against devtenant alone")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def devtenant_server() -> AsyncIterator[DevTenant]:
    async with run_devtenant() as tenant:
        yield tenant


@pytest_asyncio.fixture(loop_scope="module")
async def devtenant(devtenant_server: DevTenant) -> AsyncIterator[DevTenant]:
    """The module's emulator, reset to the seed, so tests may change the tenant freely."""
    devtenant_server.reset()
    yield devtenant_server
    devtenant_server.faults.clear()


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any


class TenantClient:
    """Raw HTTP access to the emulator (what the real clients do, minus their conveniences)."""

    def __init__(self, tenant: DevTenant, session: aiohttp.ClientSession) -> None:
        self.tenant = tenant
        self.session = session
        self._tokens: dict[str, str] = {}

    async def request(self, method: str, url: str, **kwargs: Any) -> Reply:
        async with self.session.request(method, url, **kwargs) as response:
            text = await response.text()
            return Reply(response.status, json.loads(text) if text else None, response.headers)

    async def token(self, scope: str = GRAPH_SCOPE) -> str:
        if scope not in self._tokens:
            reply = await self.request("POST", self.tenant.token_endpoint, data={
                "grant_type": "client_credentials", "client_id": self.tenant.client_id,
                "client_secret": self.tenant.client_secret, "scope": scope})
            assert reply.status == 200, reply.body
            self._tokens[scope] = reply.body["access_token"]
        return self._tokens[scope]

    async def graph(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Reply:
        url = path if path.startswith("https://") else f"{self.tenant.graph_base_url}{path}"
        headers = {"Authorization": f"Bearer {token or await self.token(GRAPH_SCOPE)}", **kwargs.pop("headers", {})}
        return await self.request(method, url, headers=headers, **kwargs)

    async def exo(self, cmdlet: str, parameters: dict[str, Any] | None = None, *, query: str = "",
                  token: str | None = None, headers: dict[str, str] | None = None, url: str | None = None) -> Reply:
        """POST an InvokeCommand body (to `url`, e.g. an @odata.nextLink, or to the tenant's endpoint)."""
        body = {"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters or {}}}
        auth = {"Authorization": f"Bearer {token or await self.token(EXCHANGE_SCOPE)}", **(headers or {})}
        return await self.request("POST", url or f"{self.tenant.invoke_command_url}{query}", json=body,
                                  headers=auth)


@pytest_asyncio.fixture(loop_scope="module")
async def tenant_client(devtenant: DevTenant) -> AsyncIterator[TenantClient]:
    connector = aiohttp.TCPConnector(ssl=devtenant.ssl_context())
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        yield TenantClient(devtenant, session)

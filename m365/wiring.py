"""Builds the production ports (Graph + Exchange) from plain settings values and owns their connections."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from m365.credentials import MsalCredentials
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import DEFAULT_EXCHANGE_SCOPE, ExchangeClient
from m365.graph import DEFAULT_GRAPH_SCOPE, build_graph, warm_up
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses
from m365.ports import Tenant

logger = logging.getLogger(__name__)


@asynccontextmanager
async def open_tenant(
    *,
    authority_host: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    graph_base_url: str,
    exchange_base_url: str,
    graph_scope: str = DEFAULT_GRAPH_SCOPE,
    exchange_scope: str = DEFAULT_EXCHANGE_SCOPE,
    ca_bundle: str | Path | None = None,
    validate_authority: bool = True,
    warm: bool = True,
) -> AsyncIterator[Tenant]:
    """The ports over real HTTP, for as long as the block runs; connections are closed on exit.

    ``extras`` carries ``credentials``, ``graph`` (GraphApi), ``exchange`` (ExchangeClient) and, when
    ``warm``, ``graph_warm_up_seconds``. Nothing is fetched here except the optional SDK warm-up; the
    first token is acquired by the first call. ``ca_bundle`` (the emulator's CA) replaces the system trust
    store for msal, httpx and aiohttp alike; production leaves it None.
    """
    ca_bundle = str(ca_bundle) if ca_bundle else None
    credentials = MsalCredentials(
        f"{authority_host.rstrip('/')}/{tenant_id}",
        client_id,
        client_secret,
        ca_bundle=ca_bundle,
        validate_authority=validate_authority,
    )
    graph = build_graph(credentials, graph_base_url, scope=graph_scope, ca_bundle=ca_bundle)
    ssl_context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else True
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_context), trust_env=False)
    try:
        exchange = ExchangeClient(
            exchange_base_url, tenant_id, credentials, session=session, scope=exchange_scope
        )
        extras: dict[str, object] = {"credentials": credentials, "graph": graph, "exchange": exchange}
        if warm:
            extras["graph_warm_up_seconds"] = await warm_up()
        yield Tenant(
            directory=GraphDirectory(graph),
            licenses=GraphLicenses(graph),
            distribution_lists=ExchangeDistributionLists(exchange),
            extras=extras,
        )
    finally:
        await session.close()
        await graph.aclose()
        credentials.close()

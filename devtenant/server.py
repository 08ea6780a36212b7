"""`run_devtenant`: starts the HTTPS site (Entra, Graph, Exchange) and the HTTP site (Bot Connector)."""

from __future__ import annotations

import functools
import json
import shutil
import socket
import ssl
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from devtenant import botframework, connector, control, entra, usage_control
from devtenant.activities import ActivityFactory
from devtenant.context import Context
from devtenant.exchange import service as exchange_service
from devtenant.faults import FaultInjector
from devtenant.graph import reports as graph_reports
from devtenant.graph import service as graph_service
from devtenant.seed import Seed, build_seed
from devtenant.state import TenantState
from devtenant.tls import TlsMaterial, make_tls
from devtenant.tokens import TokenIssuer

TENANT_ID = "8f3e6c1a-5b7d-4c2e-9a10-3d4f5e6a7b8c"
# One app registration serves Graph, Exchange and the bot (a common single-tenant setup).
CLIENT_ID = "4b1f6f0e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
CLIENT_SECRET = "dT8Q~devtenant.local-only.secret-not-for-production"
BOT_APP_ID = CLIENT_ID
BOT_NAME = "M365 Desk"
STATE_FILE = "devtenant.json"


@dataclass
class DevTenant:
    """A running emulator: where to reach it, which credentials it accepts and its live state."""

    tenant_id: str
    authority_host: str
    graph_base_url: str
    exchange_base_url: str
    connector_url: str
    ca_pem_path: str
    client_id: str
    client_secret: str
    bot_app_id: str
    bot_name: str
    https_port: int
    http_port: int
    state_dir: str
    state: TenantState = field(repr=False)
    faults: FaultInjector = field(repr=False)
    seed: Seed = field(repr=False)
    tls: TlsMaterial = field(repr=False)
    # Builds inbound Teams activities from a seeded user (tests post them to the bot).
    activities: ActivityFactory = field(repr=False)

    @property
    def authority(self) -> str:
        """The msal authority: f"{authority_host}/{tenant_id}"."""
        return f"{self.authority_host}/{self.tenant_id}"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    @property
    def invoke_command_url(self) -> str:
        return f"{self.exchange_base_url}/{self.tenant_id}/InvokeCommand"

    @property
    def control_url(self) -> str:
        """Base of the `/_devtenant/...` endpoints on the plain-HTTP site."""
        return self.connector_url.rstrip("/") + "/_devtenant"

    def reset(self) -> None:
        """Return the tenant to its seeded state and clear faults (the servers, CA and tokens stay)."""
        self.state.reset()
        self.faults.clear()

    @functools.cached_property
    def _client_ssl_context(self) -> ssl.SSLContext:
        return self.tls.client_context()

    def ssl_context(self) -> ssl.SSLContext:
        """A client SSL context trusting only the emulator's CA (for aiohttp/httpx clients in this process)."""
        return self._client_ssl_context

    def as_json(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "authority_host": self.authority_host,
            "authority": self.authority,
            "token_endpoint": self.token_endpoint,
            "graph_base_url": self.graph_base_url,
            "exchange_base_url": self.exchange_base_url,
            "invoke_command_url": self.invoke_command_url,
            "connector_url": self.connector_url,
            "control_url": self.control_url,
            "ca_pem_path": self.ca_pem_path,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "bot_app_id": self.bot_app_id,
            "bot_name": self.bot_name,
            "domain": self.seed.domain,
            "https_port": self.https_port,
            "http_port": self.http_port,
            "demo": {
                "employee": self.seed.demo_employee.user_principal_name,
                "employee_id": self.seed.demo_employee.id,
                "admin": self.seed.demo_admin.user_principal_name,
                "admin_id": self.seed.demo_admin.id,
                "admins_group_id": self.seed.admins_group.id,
                "closed_list": self.seed.closed_list.primary_smtp_address,
                "open_list": self.seed.open_list.primary_smtp_address,
            },
        }


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.setblocking(False)
    return sock


def _url_host(host: str) -> str:
    """The host to put in URLs: a wildcard bind address is reached through loopback."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _prepare_dir(state_dir: str | Path | None) -> tuple[Path, str | None]:
    """The directory for ca.pem/devtenant.json, and the temp dir to delete afterwards (if we made one)."""
    if state_dir is None:
        temp_dir = tempfile.mkdtemp(prefix="devtenant-")
        return Path(temp_dir), temp_dir
    directory = Path(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    return directory, None


def _write_settings(directory: Path, tenant: DevTenant) -> None:
    (directory / STATE_FILE).write_text(json.dumps(tenant.as_json(), indent=2), encoding="utf-8")


def build_apps(ctx: Context) -> tuple[web.Application, web.Application]:
    """The HTTPS application (Entra, Graph, Exchange, control) and the HTTP one (connector, control)."""
    https_app = web.Application(client_max_size=8 * 1024 * 1024)
    control.add_routes(https_app, ctx)
    usage_control.add_routes(https_app, ctx)
    graph_service.add_routes(https_app, ctx)
    exchange_service.add_routes(https_app, ctx)
    graph_reports.add_download_route(https_app, ctx)  # the CSV reports' preauthenticated download URLs
    entra.add_routes(https_app, ctx)  # last: its routes start with a {tenant} wildcard segment
    http_app = web.Application(client_max_size=8 * 1024 * 1024)
    control.add_routes(http_app, ctx)
    usage_control.add_routes(http_app, ctx)
    connector.add_routes(http_app, ctx)
    botframework.add_routes(https_app, http_app, ctx)  # the channel token service, and the connector's token record
    return https_app, http_app


@asynccontextmanager
async def run_devtenant(seed: Seed | None = None, host: str = "127.0.0.1", https_port: int = 0,
                        http_port: int = 0, state_dir: str | Path | None = None) -> AsyncIterator[DevTenant]:
    """Start the emulator on `host` (port 0 = any free port) and stop it when the block exits.

    With `state_dir`, `ca.pem` and `devtenant.json` (URLs, ids, credentials) are written there for other
    processes; otherwise a temporary directory is used and removed afterwards.
    """
    seed = seed or build_seed()
    directory, temp_dir = _prepare_dir(state_dir)
    tls = make_tls()
    ca_path = tls.write_ca(directory / "ca.pem")
    https_sock, http_sock = _bind(host, https_port), _bind(host, http_port)
    url_host = _url_host(host)
    https_base = f"https://{url_host}:{https_sock.getsockname()[1]}"
    http_base = f"http://{url_host}:{http_sock.getsockname()[1]}"
    state = TenantState(seed, tenant_id=TENANT_ID, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        bot_app_id=BOT_APP_ID, bot_name=BOT_NAME)
    ctx = Context(state=state, faults=FaultInjector(), issuer=TokenIssuer(TENANT_ID), https_base=https_base,
                  http_base=http_base)
    https_app, http_app = build_apps(ctx)
    runners = [web.AppRunner(https_app, access_log=None), web.AppRunner(http_app, access_log=None)]
    try:
        for runner in runners:
            await runner.setup()
        await web.SockSite(runners[0], https_sock, ssl_context=tls.server_context).start()
        await web.SockSite(runners[1], http_sock).start()
        tenant = DevTenant(
            tenant_id=TENANT_ID,
            authority_host=https_base,
            graph_base_url=ctx.graph_base,
            exchange_base_url=ctx.exchange_base,
            connector_url=f"{http_base}/",
            ca_pem_path=str(ca_path),
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            bot_app_id=BOT_APP_ID,
            bot_name=BOT_NAME,
            https_port=https_sock.getsockname()[1],
            http_port=http_sock.getsockname()[1],
            state_dir=str(directory),
            state=state,
            faults=ctx.faults,
            seed=seed,
            tls=tls,
            activities=ActivityFactory(state, f"{http_base}/"),
        )
        _write_settings(directory, tenant)
        yield tenant
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
        for sock in (https_sock, http_sock):
            sock.close()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)

"""Starting devtenant and the desk as separate processes for benchmarks, the way they run in the demo."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from m365.credentials import MsalCredentials

ROOT = Path(__file__).resolve().parents[1]


async def scratch_database(url: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    """For PostgreSQL, a fresh database next to the one named (dropped afterwards); SQLite URLs pass through."""
    if not url.startswith("postgresql"):
        async def nothing() -> None:
            return None

        return url, nothing
    admin_url = url.replace("postgresql+asyncpg", "postgresql")
    name = f"desk_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        connection = await asyncpg.connect(admin_url)
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    return url.rsplit("/", 1)[0] + f"/{name}", drop


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Running:
    process: asyncio.subprocess.Process
    info: dict[str, Any]

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def peak_rss_mb(self) -> float:
        """VmHWM of the process: the most resident memory it ever had."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")


async def start_devtenant(state_dir: Path) -> Running:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "devtenant", "--https-port", "0", "--http-port", "0", "--state-dir", str(state_dir),
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    settings_file = state_dir / "devtenant.json"
    for _ in range(300):
        if settings_file.exists():
            try:
                info = json.loads(settings_file.read_text())
                async with aiohttp.ClientSession() as session, session.get(f"{info['control_url']}/health") as r:
                    if r.status == 200:
                        return Running(process, info)
            except (json.JSONDecodeError, aiohttp.ClientError):
                pass
        await asyncio.sleep(0.05)
    raise RuntimeError("devtenant did not start")


async def start_desk(tenant: dict[str, Any], database_url: str, port: int) -> tuple[Running, float]:
    """The desk (`app.py serve`, demo mode) against devtenant; returns it and its cold start to /readyz."""
    env = {
        **os.environ,
        "DESK_MODE": "demo",
        "DESK_PORT": str(port),
        "DESK_DATABASE_URL": database_url,
        "DESK_CLIENT_ID": tenant["client_id"],
        "DESK_CLIENT_SECRET": tenant["client_secret"],
        "DESK_TENANT_ID": tenant["tenant_id"],
        "DESK_AUTHORITY_HOST": tenant["authority_host"],
        "DESK_GRAPH_BASE_URL": tenant["graph_base_url"],
        "DESK_EXCHANGE_BASE_URL": tenant["exchange_base_url"],
        "DESK_CA_BUNDLE": tenant["ca_pem_path"],
        "DESK_DEFAULT_SERVICE_URL": tenant["connector_url"],
        "DESK_ADMINS_GROUP_ID": tenant["admins_group_id"],
    }
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", "serve", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < 60:
            try:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return Running(process, {"url": f"http://127.0.0.1:{port}"}), time.perf_counter() - started
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.01)
    await Running(process, {}).stop()
    raise RuntimeError("the desk did not become ready within 60 s")


async def control_call(session: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    """One request to devtenant's control API (or any JSON endpoint); an error status raises with the body."""
    async with session.request(method, url, json=body) as response:
        if response.status >= 400:
            raise RuntimeError(f"{method} {url}: {response.status} {await response.text()}")
        return await response.json() if response.status != 204 else None


def devtenant_credentials(info: dict[str, Any]) -> MsalCredentials:
    """The desk's app credentials against a running devtenant (its settings file), as `app.py` builds them."""
    return MsalCredentials(
        f"{info['authority_host']}/{info['tenant_id']}",
        info["client_id"],
        info["client_secret"],
        ca_bundle=info["ca_pem_path"],
        validate_authority=False,
    )

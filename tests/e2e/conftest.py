"""End-to-end fixtures: devtenant plus the real desk app (create_app) over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from demo.run import settings_for_devtenant
from devtenant import DevTenant, run_devtenant
from handlers.services import utc_now
from settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from desk_harness import Desk  # noqa: E402

PG_URL = os.environ.get("DESK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def tenant() -> AsyncIterator[DevTenant]:
    async with run_devtenant() as running:
        yield running


async def _pg_admin() -> asyncpg.Connection | None:
    try:
        return await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"), timeout=3)
    except (OSError, asyncpg.PostgresError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable ({error}); CI requires it")
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable ({error})")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database per test: a SQLite file, or a PostgreSQL database created and dropped around it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
        return
    admin = await _pg_admin()
    assert admin is not None
    name = f"desk_e2e_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def desk_settings(tenant: DevTenant, database_url: str, **overrides: object) -> Settings:
    # The orphan clean-up pass files requests of its own: a test desk runs it only when the test asks for it.
    overrides.setdefault("orphan_check_seconds", 0)
    overrides.setdefault("unused_check_seconds", 0)
    return settings_for_devtenant(tenant, database_url=database_url, job_poll_seconds=0.05, **overrides)


async def start_desk(
    tenant: DevTenant, settings: Settings, *, run_jobs: bool = False, clock: Callable[[], datetime] = utc_now
) -> Desk:
    client = TestClient(TestServer(create_app(settings, run_jobs=run_jobs, clock=clock)))
    await client.start_server()
    return Desk(client=client, tenant=tenant)


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url))
    try:
        yield running
    finally:
        await running.client.close()

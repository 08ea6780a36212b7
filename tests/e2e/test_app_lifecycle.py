"""The app factory's lifecycle: health, readiness (database, migrations, Graph warm-up) and the CLI."""

from __future__ import annotations

import asyncio

from conftest import desk_settings, start_desk

from app import main
from settings import Settings
from storage.db import create_engine
from storage.migrate import is_up_to_date


async def test_healthz_and_readyz(tenant, database_url: str) -> None:
    desk = await start_desk(tenant, desk_settings(tenant, database_url))
    try:
        assert (await desk.client.get("/healthz")).status == 200
        for _ in range(200):  # the Graph warm-up runs in the background after start
            response = await desk.client.get("/readyz")
            if response.status == 200:
                break
            await asyncio.sleep(0.05)
        body = await response.json()
        assert response.status == 200, body
        assert body == {"ready": True, "database": "ok", "graph_warm": True}
    finally:
        await desk.client.close()


async def test_production_is_not_ready_until_migrated(tenant, database_url: str) -> None:
    # Production never migrates on start: the operator runs `app.py migrate` first.
    desk = await start_desk(tenant, desk_settings(tenant, database_url, mode="production"))
    try:
        response = await desk.client.get("/readyz")
        assert response.status == 503
        assert (await response.json())["database"] == "migrations pending"
    finally:
        await desk.client.close()


async def test_cli_migrate(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    exit_code = await asyncio.to_thread(main, ["migrate"], settings_factory=lambda: Settings(_env_file=None,
                                                                                            database_url=url))
    assert exit_code == 0
    engine = create_engine(url)
    try:
        assert await is_up_to_date(engine)
    finally:
        await engine.dispose()

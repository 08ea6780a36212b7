"""The app factory's lifecycle: health, readiness (database, migrations, Graph warm-up) and the CLI."""

from __future__ import annotations

import asyncio

from conftest import desk_settings, start_desk

from app import main
from settings import Settings
from storage.audit_chain import AuditKeys
from storage.db import create_engine, create_session_factory
from storage.migrate import is_up_to_date, upgrade
from storage.uow import UnitOfWorkFactory


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
        assert body == {"ready": True, "database": "ok", "audit": "ok", "graph_warm": True}
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


async def test_production_is_not_ready_while_the_audit_chain_is_unsealed(tenant, database_url: str) -> None:
    # A database from before the chain was keyed: the desk could not write a single event until an operator seals it.
    await upgrade(database_url)
    engine = create_engine(database_url)
    try:
        async with UnitOfWorkFactory(create_session_factory(engine), AuditKeys())() as uow:
            await uow.audit.append(action="request.submitted", detail={"before": "keying"})
            await uow.commit()
    finally:
        await engine.dispose()
    desk = await start_desk(tenant, desk_settings(tenant, database_url, mode="production"))
    try:
        body = await _readiness_once_warm(desk)
        assert body["ready"] is False and body["audit"].startswith("unsealed"), body
        async with desk.uow() as uow:
            _check, seal = await uow.audit.seal()
            await uow.commit()
        assert seal is not None
        response = await desk.client.get("/readyz")
        assert response.status == 200 and (await response.json())["audit"] == "ok"
    finally:
        await desk.client.close()


async def _readiness_once_warm(desk) -> dict:
    for _ in range(200):  # the Graph warm-up runs in the background after start
        body = await (await desk.client.get("/readyz")).json()
        if body["graph_warm"]:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"Graph never warmed up: {body}")

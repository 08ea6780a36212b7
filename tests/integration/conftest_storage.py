"""Plain helpers for storage tests (no fixtures): database targets, PostgreSQL schemas, sample requests.

The fixtures live in storage_fixtures.py; test modules load those with ``pytest_plugins`` and import
these helpers directly (keeping the two apart avoids importing a plugin module before pytest registers it).
PostgreSQL comes from ``DESK_TEST_POSTGRES_URL``, by default the local trust-auth server.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import create_engine
from storage.models import GENESIS_HASH, Base, Request
from storage.uow import UnitOfWorkFactory

DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass(frozen=True)
class Target:
    """Where a test's database lives: a URL plus the engine keyword arguments needed to reach it."""

    backend: str
    url: str
    engine_kwargs: dict[str, Any]


@dataclass(frozen=True)
class StorageDB:
    """A migrated database for one test, with everything needed to use it."""

    backend: str
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    uow: UnitOfWorkFactory


def postgres_url() -> str:
    return os.environ.get("DESK_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def pg_engine_kwargs(schema: str) -> dict[str, Any]:
    # Every connection sees only the test schema, so the migration and the app code run unchanged.
    return {"connect_args": {"server_settings": {"search_path": schema}}}


async def pg_problem(url: str) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None when it answers."""
    engine = create_engine(url)
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server means "no PostgreSQL here"
        return f"{type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()
    return None


async def _execute(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def new_pg_schema() -> str:
    return f"storage_test_{uuid.uuid4().hex[:12]}"


def create_pg_schema(schema: str) -> None:
    """Create a schema (from sync code: fixtures that run outside the test's event loop)."""
    asyncio.run(_execute(postgres_url(), f'CREATE SCHEMA "{schema}"'))


def drop_pg_schema(schema: str) -> None:
    asyncio.run(_execute(postgres_url(), f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


async def reset_postgres(engine: AsyncEngine) -> None:
    """Empty a migrated schema shared by a session's tests, keeping the seeded audit head row."""
    # DELETE in reverse dependency order: for a handful of rows it is much cheaper than TRUNCATE.
    async with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "audit_head":
                await conn.execute(table.delete())
        await conn.execute(text("UPDATE audit_head SET last_hash = :h, last_event_id = NULL"), {"h": GENESIS_HASH})


def make_request(**overrides: Any) -> Request:
    """A valid pending request; keyword arguments override any column."""
    fields: dict[str, Any] = {
        "kind": "license.assign",
        "requester_id": "00000000-0000-0000-0000-00000000a001",
        "requester_name": "Anna Kowalska",
        "target_id": "00000000-0000-0000-0000-00000000a001",
        "target_label": "Anna Kowalska - Microsoft 365 E3",
        "payload": {"user": "anna@contoso.com", "sku": "ENTERPRISEPACK"},
        "plan": [{"op": "set_usage_location", "user_id": "a001", "country": "PL"}],
        "approver_ids": ["00000000-0000-0000-0000-00000000b001"],
        "locale": "en",
    }
    fields.update(overrides)
    return Request(**fields)


async def table_as_migrated(conn: AsyncConnection, model: type[Base]) -> Table:
    """``model``'s table as the database's current revision has it: the model less the columns later revisions add,
    so a test can write rows at an old revision and then upgrade them."""
    table = model.__table__
    existing = {c["name"] for c in await conn.run_sync(lambda sync: inspect(sync).get_columns(table.name))}
    return Table(table.name, MetaData(), *(column._copy() for column in table.columns if column.name in existing))

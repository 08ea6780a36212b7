"""Pytest fixtures for storage tests: a migrated SQLite file or PostgreSQL schema per test.

Load with ``pytest_plugins = ["storage_fixtures"]`` in a test module (this folder has no __init__.py,
so pytest puts it on sys.path); helpers such as ``make_request`` come from conftest_storage.py.
PostgreSQL parameters are skipped when the server is unreachable, except under ``CI``, where that fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from conftest_storage import (
    BACKENDS,
    StorageDB,
    Target,
    create_pg_schema,
    drop_pg_schema,
    new_pg_schema,
    pg_engine_kwargs,
    pg_problem,
    postgres_url,
    reset_postgres,
)

from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory


@pytest.fixture(scope="session")
def postgres_available() -> str:
    """The PostgreSQL URL, after checking the server answers (skip, or fail under CI, when it does not)."""
    url = postgres_url()
    problem = asyncio.run(pg_problem(url))
    if problem is not None:
        message = f"PostgreSQL at {url} is unreachable ({problem})"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI requires it")
        pytest.skip(message + "; set DESK_TEST_POSTGRES_URL or start the server")
    return url


@pytest.fixture(scope="session")
def pg_schema(postgres_available: str) -> Iterator[str]:
    """A uniquely named schema, migrated once for the session and dropped at the end."""
    schema = new_pg_schema()
    create_pg_schema(schema)
    try:
        asyncio.run(upgrade(postgres_available, **pg_engine_kwargs(schema)))
        yield schema
    finally:
        drop_pg_schema(schema)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy, which is faster than migrating again."""
    path = tmp_path_factory.mktemp("storage") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def storage_target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    # A sync fixture on purpose: the session fixtures it pulls in lazily call asyncio.run().
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "desk.db"
        shutil.copyfile(template, path)
        return Target("sqlite", f"sqlite+aiosqlite:///{path}", {})
    schema: str = request.getfixturevalue("pg_schema")
    return Target("postgres", postgres_url(), pg_engine_kwargs(schema))


@pytest.fixture(params=BACKENDS)
def unmigrated_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    """An empty database that no migration has touched: a new SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield Target("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", {})
        return
    url: str = request.getfixturevalue("postgres_available")
    schema = new_pg_schema()
    create_pg_schema(schema)
    try:
        yield Target("postgres", url, pg_engine_kwargs(schema))
    finally:
        drop_pg_schema(schema)


@pytest.fixture
async def storage_db(storage_target: Target) -> AsyncIterator[StorageDB]:
    """A migrated, empty database with an engine, a session factory and a unit-of-work factory."""
    engine = create_engine(storage_target.url, **storage_target.engine_kwargs)
    if storage_target.backend == "postgres":
        await reset_postgres(engine)
    sessions = create_session_factory(engine)
    try:
        yield StorageDB(storage_target.backend, storage_target.url, engine, sessions, UnitOfWorkFactory(sessions))
    finally:
        await engine.dispose()

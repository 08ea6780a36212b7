"""Programmatic Alembic: upgrade a database to head and tell whether it is there (for /readyz)."""

from __future__ import annotations

import functools
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, is_postgres

# "package:path" makes Alembic find the scripts inside the installed package, wherever it lives.
SCRIPT_LOCATION = "storage:migrations"

# Replicas starting together all call upgrade(); on PostgreSQL a transaction-scoped advisory lock makes
# them take turns, so the later ones find the schema at head and do nothing. (Any fixed 64-bit key.)
PG_MIGRATION_LOCK_KEY = 0x6D333635_6465736B  # "m365desk"


def alembic_config() -> Config:
    """An Alembic config with no ini file behind it; the connection or URL is passed in attributes."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is at (read once: scripts do not change at run time)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


async def upgrade(url: str, to: str = "head", **engine_kwargs: Any) -> None:
    """Upgrade the database at ``url`` to ``to`` (head); safe to call from a running event loop and to repeat.

    Separate processes may call it at once on PostgreSQL (they queue on an advisory lock). Within one
    process, do not overlap calls on SQLite: Alembic's ``context`` is process-global.
    """
    engine = create_engine(url, **engine_kwargs)
    try:
        await upgrade_engine(engine, to)
    finally:
        await engine.dispose()


async def upgrade_engine(engine: AsyncEngine, to: str = "head") -> None:
    """Upgrade through an existing engine (one transaction; Alembic runs sync on the async connection)."""
    async with engine.begin() as conn:
        if is_postgres(conn):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
        await conn.run_sync(_upgrade_sync, to)


async def is_up_to_date(engine: AsyncEngine) -> bool:
    """True when the database's current revisions are exactly the scripts' heads."""
    async with engine.connect() as conn:
        return await conn.run_sync(_is_up_to_date_sync)


def _upgrade_sync(connection: Connection, to: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, to)


def _is_up_to_date_sync(connection: Connection) -> bool:
    current = set(MigrationContext.configure(connection).get_current_heads())
    return current == head_revisions()

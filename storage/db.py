"""Engine and session factory construction for SQLite (development) and PostgreSQL (CI, production)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

DEFAULT_URL = "sqlite+aiosqlite:///./desk.db"

# How long a SQLite transaction waits for the single write lock before failing with "database is locked";
# generous, because every transaction takes that lock (BEGIN IMMEDIATE) and a busy event loop slows them all.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(url: str, **engine_kwargs: Any) -> AsyncEngine:
    """Build an async engine for ``url``; extra keyword arguments go to ``create_async_engine``."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        engine = create_async_engine(sa_url, **engine_kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin_immediate)
        return engine
    # Replicas hold pooled connections across database failovers and idle timeouts; ping before use.
    engine_kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(sa_url, **engine_kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit, so handlers can render what they just saved."""
    return async_sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: AsyncEngine | AsyncConnection) -> bool:
    """True when the engine (or connection) talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def _sqlite_on_connect(dbapi_connection: Any, _connection_record: Any) -> None:
    # The driver's own BEGIN is switched off so that _sqlite_begin_immediate decides how transactions start.
    dbapi_connection.isolation_level = None
    # WAL lets readers run while one writer commits; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes cannot wait for the write lock (SQLite answers
    # "database is locked" at once to avoid a deadlock); taking the lock up front makes busy_timeout apply.
    connection.exec_driver_sql("BEGIN IMMEDIATE")

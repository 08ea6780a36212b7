"""Dialect-aware statement helpers: upserts and row locks that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    """The backend name (``sqlite`` or ``postgresql``) of the engine the session is bound to."""
    return session.get_bind().dialect.name


def session_is_postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"


def insert_for(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that supports ``on_conflict_do_nothing/do_update`` on the session's backend.

    Both dialects spell ON CONFLICT the same way in SQLAlchemy, so callers write one statement.
    """
    name = dialect_name(session)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not implemented for the {name} dialect")

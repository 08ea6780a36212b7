"""Columns sized for real values: locales up to 64 characters, display names 256, request targets and labels.

On PostgreSQL a Teams locale such as "ca-ES-valencia" (14 characters) did not fit varchar(10), and a 250-character
display name did not fit varchar(200): every message or request from such a person failed. SQLite never checked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Copies of storage.models' sizes at this revision: a migration must not change meaning when the models move on.
DISPLAY_NAME = 256
ADDRESS = 320
LOCALE = 64
LABEL = DISPLAY_NAME + ADDRESS + 24

# (table, column, old size, new size, nullable)
_CHANGES: tuple[tuple[str, str, int, int, bool], ...] = (
    ("requests", "requester_name", 200, DISPLAY_NAME, False),
    ("requests", "target_id", 200, ADDRESS, False),
    ("requests", "target_label", 300, LABEL, False),
    ("requests", "locale", 10, LOCALE, False),
    ("decisions", "approver_name", 200, DISPLAY_NAME, False),
    ("audit_events", "actor_name", 200, DISPLAY_NAME, True),
    ("conversation_refs", "bot_name", 200, DISPLAY_NAME, False),
    ("conversation_refs", "locale", 10, LOCALE, True),
)


def upgrade() -> None:
    _resize(new=True)


def downgrade() -> None:
    # Values longer than the old sizes would not fit (PostgreSQL refuses the ALTER): downgrade only a database
    # that never held them.
    _resize(new=False)


def _resize(*, new: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _declare_on_sqlite(new=new)
        return
    for table in dict.fromkeys(table for table, *_ in _CHANGES):
        with op.batch_alter_table(table) as batch:
            for _, column, old, size, nullable in (c for c in _CHANGES if c[0] == table):
                batch.alter_column(
                    column,
                    existing_type=sa.String(old if new else size),
                    type_=sa.String(size if new else old),
                    existing_nullable=nullable,
                )


def _declare_on_sqlite(*, new: bool) -> None:
    """Change only the declared sizes in SQLite's schema: SQLite never checks them and stores the values alike.

    A batch rebuild (copy, DROP, rename) cannot run here: the migration runs in one transaction with foreign keys
    on, where PRAGMA foreign_keys cannot be switched off, and dropping "requests" then fails on the tables that
    point at it (or, deferred, still fails at commit) and deletes request_subjects by its ON DELETE CASCADE.
    VARCHAR(10) and VARCHAR(64) have the same (TEXT) affinity, so this is a change that "does not affect the
    on-disk content in any way", for which SQLite documents editing sqlite_schema under writable_schema and
    bumping schema_version (https://www.sqlite.org/lang_altertable.html#otheralter).
    """
    bind = op.get_bind()
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        for table in dict.fromkeys(table for table, *_ in _CHANGES):
            sql = str(bind.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).scalar_one())
            for _, column, old, size, _nullable in (c for c in _CHANGES if c[0] == table):
                before, after = (old, size) if new else (size, old)
                sql, count = re.subn(rf"(\b{column}\b\s+VARCHAR)\({before}\)", rf"\g<1>({after})", sql, flags=re.I)
                if count != 1:
                    raise RuntimeError(f"{table}.{column} is not declared VARCHAR({before}); not changing it")
            bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (sql, table))
        bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"SQLite integrity check after resizing columns: {problems[:5]}")

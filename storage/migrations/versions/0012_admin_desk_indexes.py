"""Indexes for the admins' desk at scale (issue 10): trigram indexes behind `history`'s free-text search on PostgreSQL.

Free text is matched as "contained" (lower(column) LIKE '%text%') in six request columns, which no b-tree can serve:
at 200k requests every search read the whole table (~400 ms p95, bench/admin_desk.py). A pg_trgm GIN index on
each lower(column) lets PostgreSQL answer the OR of the six as a BitmapOr of index scans, with the query unchanged.
SQLite has no trigram indexes and serves development and tests, where requests are few: there this does nothing.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns storage.repositories.history matches free text in (_TEXT_COLUMNS), each as lower(column).
_TEXT_COLUMNS = ("public_id", "kind", "requester_name", "target_label", "target_id", "error")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The extension is created by the migrating role (a superuser, or the database owner since PostgreSQL 13:
    # pg_trgm is a trusted extension).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in _TEXT_COLUMNS:
        op.execute(f"CREATE INDEX ix_requests_{column}_trgm ON requests USING gin (lower({column}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in reversed(_TEXT_COLUMNS):
        op.execute(f"DROP INDEX IF EXISTS ix_requests_{column}_trgm")
    # The extension stays: other databases' objects in this one may use it, and dropping it gains nothing.

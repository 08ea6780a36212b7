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
    # In schema public, not in whatever schema comes first on the search path: an extension is one per database, so
    # one installed into a schema the desk does not use (or one dropped later, with its objects) would leave its
    # operator class out of reach. The class is named with the schema it really lives in.
    bind = op.get_bind()
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    schema = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    for column in _TEXT_COLUMNS:
        bind.exec_driver_sql(
            f'CREATE INDEX ix_requests_{column}_trgm ON requests USING gin (lower({column}) "{schema}".gin_trgm_ops)'
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in reversed(_TEXT_COLUMNS):
        op.execute(f"DROP INDEX IF EXISTS ix_requests_{column}_trgm")
    # The extension stays: other databases' objects in this one may use it, and dropping it gains nothing.

"""Speed of the admins' desk at scale (issue 10): trigram indexes on the directory cache's users behind history's
person filter (PostgreSQL only), and the live users' mail keys behind the orphaned lists report.

`history user:…` first finds the directory users whose name, user principal name or mail contains what was typed
(storage.repositories.history.people_named: lower(column) LIKE '%text%'), which no b-tree serves: at 100k users it
read them all (~45 ms of each person search). A pg_trgm GIN index per lower(column) turns it into a BitmapOr of
index scans (~1-4 ms). The orphaned lists report asks, for each of 20k lists, whether any owner address is a live
user's: a partial index of live users' mail keys answers that from the index alone (~85 ms to ~60 ms).
SQLite has no trigram indexes and serves development and tests, where users are few: there only the partial index.
pg_trgm itself was installed by 0012 (schema public; the operator class is named with its schema, as there).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns storage.repositories.history.people_named matches a typed person in, each as lower(column).
_USER_TEXT_COLUMNS = ("display_name", "user_principal_name", "mail")
# Live as storage.repositories.orphans._live says it (the planner matches the predicate as written there).
_LIVE = "deleted IS false AND account_enabled IS true"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        # SQLite spells the booleans as SQLAlchemy renders them there (IS 0 / IS 1).
        bind.exec_driver_sql("CREATE INDEX ix_dir_users_live_mail_key ON dir_users (mail_key) "
                             "WHERE deleted IS 0 AND account_enabled IS 1")
        return
    bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    schema = bind.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    for column in _USER_TEXT_COLUMNS:
        bind.exec_driver_sql(
            f'CREATE INDEX ix_dir_users_{column}_trgm ON dir_users USING gin (lower({column}) "{schema}".gin_trgm_ops)'
        )
    bind.exec_driver_sql(f"CREATE INDEX ix_dir_users_live_mail_key ON dir_users (mail_key) WHERE {_LIVE}")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_dir_users_live_mail_key")
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in reversed(_USER_TEXT_COLUMNS):
        op.execute(f"DROP INDEX IF EXISTS ix_dir_users_{column}_trgm")

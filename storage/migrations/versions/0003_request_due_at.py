"""Request due times: when each request's SLA target runs out (F17), computed at submission.

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: plain ALTER TABLE ADD COLUMN on SQLite and PostgreSQL alike. Requests filed before this
    # revision keep NULL (no due time), which the cards and the SLA report treat as "not measured".
    op.add_column("requests", sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # SQLite cannot always drop a column in place; batch mode rebuilds the table there and is a plain ALTER elsewhere.
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("due_at")

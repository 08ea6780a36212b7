"""Still needed? (F20): the owners' keeps of unused lists and shared mailboxes, one row per resource.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unused_keeps",
        sa.Column("resource_kind", sa.String(10), primary_key=True),
        sa.Column("identity", sa.String(64), primary_key=True),
        sa.Column("kept_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unused_keeps")

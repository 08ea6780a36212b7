"""The approvers' morning digest (F21): who opted in, one row per person (opting out deletes it).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "morning_digests",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("morning_digests")

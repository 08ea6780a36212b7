"""Channel digests (F21): a Teams channel's conversation reference and its digest schedule, one row per channel.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_digests",
        sa.Column("conversation_id", sa.String(400), primary_key=True),
        sa.Column("service_url", sa.String(400), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(200), nullable=False),
        sa.Column("channel_id", sa.String(50), nullable=False),
        sa.Column("cadence", sa.String(10), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("at_minute", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_digests")

"""Plan prices: the price per seat per month admins set in chat, by SKU part number.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: plain CREATE TABLE works on SQLite and PostgreSQL alike, no batch rebuild needed.
    op.create_table(
        "plan_prices",
        sa.Column("sku_part_number", sa.String(100), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku_part_number", name="pk_plan_prices"),
    )


def downgrade() -> None:
    op.drop_table("plan_prices")

"""The desk's "last mail seen" record (F20): the last message each address (a distribution list) received, as the
daily message trace collection found it, so the desk keeps knowing after Exchange's 90 days are gone.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS = 320


def upgrade() -> None:
    op.create_table(
        "last_mail_seen",
        sa.Column("address_key", sa.String(ADDRESS), primary_key=True),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("last_received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("last_mail_seen")

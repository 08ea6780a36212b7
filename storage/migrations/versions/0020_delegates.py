"""Delegates (F15): approval delegations with their period, and the principal a decision was made for.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_delegations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("principal_name", sa.String(256), nullable=False),
        sa.Column("delegate_id", sa.String(64), nullable=False),
        sa.Column("delegate_name", sa.String(256), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_approval_delegations_principal_id", "approval_delegations", ["principal_id"])
    op.create_index("ix_approval_delegations_delegate_id", "approval_delegations", ["delegate_id"])
    # Nullable columns: SQLite adds them in place, no table rebuild.
    op.add_column("decisions", sa.Column("on_behalf_of_id", sa.String(64), nullable=True))
    op.add_column("decisions", sa.Column("on_behalf_of_name", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("on_behalf_of_name")
        batch.drop_column("on_behalf_of_id")
    op.drop_index("ix_approval_delegations_delegate_id", table_name="approval_delegations")
    op.drop_index("ix_approval_delegations_principal_id", table_name="approval_delegations")
    op.drop_table("approval_delegations")

"""Routing policy (F14): the stage a request is in, the digest of the policy that routed it, each decision's stage.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Requests filed before stages are in their only stage, routed by a policy nobody recorded (NULL).
    op.add_column("requests", sa.Column("stage", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("requests", sa.Column("policy_digest", sa.String(64), nullable=True))
    op.add_column("decisions", sa.Column("stage", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("stage")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("policy_digest")
        batch.drop_column("stage")

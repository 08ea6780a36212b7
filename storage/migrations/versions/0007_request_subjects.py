"""The people a request is about besides its requester, so "my requests" shows them what others asked for them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: plain CREATE TABLE works on SQLite and PostgreSQL alike. Requests filed before this
    # revision keep showing to their requesters only.
    op.create_table(
        "request_subjects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_request_subjects"),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name="fk_request_subjects_request_id_requests", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("request_id", "user_id", name="uq_request_subjects_request_id_user_id"),
    )
    op.create_index("ix_request_subjects_user_id", "request_subjects", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_request_subjects_user_id", table_name="request_subjects")
    op.drop_table("request_subjects")

"""Edit-and-approve (F13): request_edits keeps each approver's edit of a waiting request (who, when, the request
before and after, the changed fields, the versions it moved between).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: plain CREATE TABLE works on SQLite and PostgreSQL alike.
    op.create_table(
        "request_edits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.String(64), nullable=False),
        sa.Column("editor_name", sa.String(256), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_before", sa.Integer(), nullable=False),
        sa.Column("version_after", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_request_edits"),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name="fk_request_edits_request_id_requests", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_request_edits_request_id", "request_edits", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_request_edits_request_id", table_name="request_edits")
    op.drop_table("request_edits")

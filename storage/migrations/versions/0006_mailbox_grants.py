"""Time-bound shared-mailbox grants (F6): expiry, notice, and the revoke request the desk files at expiry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS = 320
OBJECT_ID = 64


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # A new table only: plain CREATE TABLE works on SQLite and PostgreSQL alike.
    op.create_table(
        "mailbox_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("active_key", sa.String(ADDRESS + OBJECT_ID + 30), nullable=True),
        sa.Column("mailbox_id", sa.String(ADDRESS), nullable=False),
        sa.Column("mailbox_address", sa.String(ADDRESS), nullable=False),
        sa.Column("mailbox_name", sa.String(256), nullable=False),
        sa.Column("access", sa.String(20), nullable=False),
        sa.Column("person_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("person_address", sa.String(ADDRESS), nullable=False),
        sa.Column("person_name", sa.String(256), nullable=False),
        _ts("expires_at"),
        sa.Column("request_id", sa.Integer(), nullable=True),
        _ts("notified_at", nullable=True),
        _ts("claimed_until", nullable=True),
        sa.Column("revoke_request_id", sa.Integer(), nullable=True),
        _ts("closed_at", nullable=True),
        sa.Column("closed_reason", sa.String(20), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_mailbox_grants"),
        sa.UniqueConstraint("active_key", name="uq_mailbox_grants_active_key"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_mailbox_grants_request_id_requests"),
        sa.ForeignKeyConstraint(
            ["revoke_request_id"], ["requests.id"], name="fk_mailbox_grants_revoke_request_id_requests"
        ),
    )
    op.create_index("ix_mailbox_grants_expires_at", "mailbox_grants", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_mailbox_grants_expires_at", table_name="mailbox_grants")
    op.drop_table("mailbox_grants")

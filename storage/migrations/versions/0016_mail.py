"""E-mail notifications (F16): the mail outbox (one rendered e-mail per notification, its key unique, sent once
under a lease) and people's e-mail choice (mail_choices).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS = 320
OBJECT_ID = 64


def upgrade() -> None:
    # New tables only: plain CREATE TABLE works on SQLite and PostgreSQL alike.
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(ADDRESS), nullable=False),
        sa.Column("recipient_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(400), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(40), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("draft_id", sa.String(400), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mail_outbox"),
        sa.UniqueConstraint("key", name="uq_mail_outbox_key"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_mail_outbox_request_id_requests"),
    )
    op.create_index("ix_mail_outbox_state_next_attempt_at", "mail_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_mail_outbox_sender_sent_at", "mail_outbox", ["sender", "sent_at"])
    op.create_table(
        "mail_choices",
        sa.Column("user_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_mail_choices"),
    )


def downgrade() -> None:
    op.drop_table("mail_choices")
    op.drop_index("ix_mail_outbox_sender_sent_at", table_name="mail_outbox")
    op.drop_index("ix_mail_outbox_state_next_attempt_at", table_name="mail_outbox")
    op.drop_table("mail_outbox")

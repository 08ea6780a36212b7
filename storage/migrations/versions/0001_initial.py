"""Initial schema: requests, decisions, audit chain, job outbox, conversation references, card copies.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("requester_id", sa.String(64), nullable=False),
        sa.Column("requester_name", sa.String(200), nullable=False),
        sa.Column("target_id", sa.String(200), nullable=False),
        sa.Column("target_label", sa.String(300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("approver_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("decided_at", nullable=True),
        _ts("completed_at", nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_requests"),
        sa.UniqueConstraint("public_id", name="uq_requests_public_id"),
    )
    op.create_index("ix_requests_requester_id_created_at", "requests", ["requester_id", "created_at"])
    op.create_index("ix_requests_state", "requests", ["state"])

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.String(64), nullable=False),
        sa.Column("approver_name", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_decisions_request_id_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
    )
    op.create_index("ix_decisions_request_id", "decisions", ["request_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.String(64), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _ts("created_at"),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_audit_events_request_id_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_request_id", "audit_events", ["request_id"])
    op.create_index("ix_audit_events_created_at", "audit_events", ["created_at"])

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    # The chain's head row exists from the start, so appenders only ever lock it, never race to insert it.
    op.bulk_insert(audit_head, [{"id": 1, "last_hash": GENESIS_HASH, "last_event_id": None}])

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        _ts("next_run_at"),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        _ts("lease_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_jobs_request_id_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.UniqueConstraint("request_id", "kind", name="uq_jobs_request_id_kind"),
    )
    op.create_index("ix_jobs_status_next_run_at", "jobs", ["status", "next_run_at"])

    op.create_table(
        "job_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        _ts("finished_at"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name="fk_job_steps_job_id_jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_job_steps"),
        sa.UniqueConstraint("job_id", "step_index", name="uq_job_steps_job_id_step_index"),
    )

    op.create_table(
        "conversation_refs",
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("teams_user_id", sa.String(200), nullable=False),
        sa.Column("conversation_id", sa.String(400), nullable=False),
        sa.Column("service_url", sa.String(400), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(200), nullable=False),
        sa.Column("bot_name", sa.String(200), nullable=False),
        sa.Column("channel_id", sa.String(40), nullable=False),
        sa.Column("locale", sa.String(10), nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("user_id", name="pk_conversation_refs"),
    )

    op.create_table(
        "card_copies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("conversation_id", sa.String(400), nullable=False),
        sa.Column("service_url", sa.String(400), nullable=False),
        sa.Column("activity_id", sa.String(200), nullable=False),
        _ts("created_at"),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name="fk_card_copies_request_id_requests"),
        sa.PrimaryKeyConstraint("id", name="pk_card_copies"),
        sa.UniqueConstraint("request_id", "recipient_id", "role", name="uq_card_copies_request_id_recipient_id_role"),
    )


def downgrade() -> None:
    for table in (
        "card_copies",
        "conversation_refs",
        "job_steps",
        "jobs",
        "audit_head",
        "audit_events",
        "decisions",
        "requests",
    ):
        op.drop_table(table)

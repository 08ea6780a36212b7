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


# Plan steps name the people they change by these keys. A copy of handlers.requests.plan_subjects as it was at
# this revision: a migration must not change meaning when the application code moves on.
_SUBJECT_KEYS = ("user_id", "member_id")
_BATCH = 1000


def upgrade() -> None:
    # A new table: plain CREATE TABLE works on SQLite and PostgreSQL alike.
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
    _backfill()


def _backfill() -> None:
    """Requests filed before this revision get their subjects from their plans, so a license a manager asked for
    last month shows in the person's "my requests" too."""
    requests = sa.table(
        "requests", sa.column("id", sa.Integer), sa.column("requester_id", sa.String), sa.column("plan", sa.JSON)
    )
    subjects = sa.table("request_subjects", sa.column("request_id", sa.Integer), sa.column("user_id", sa.String))
    bind = op.get_bind()
    rows: list[dict[str, object]] = []
    stored = bind.execute(sa.select(requests.c.id, requests.c.requester_id, requests.c.plan))
    for request_id, requester_id, plan in stored:
        people = {
            str(step[key]) for step in plan or () if isinstance(step, dict) for key in _SUBJECT_KEYS if step.get(key)
        }
        rows.extend({"request_id": request_id, "user_id": person} for person in sorted(people - {requester_id}))
        if len(rows) >= _BATCH:
            op.bulk_insert(subjects, rows)
            rows = []
    if rows:
        op.bulk_insert(subjects, rows)


def downgrade() -> None:
    op.drop_index("ix_request_subjects_user_id", table_name="request_subjects")
    op.drop_table("request_subjects")

"""Indexes for the admins' `history` search: newest first, by itself or narrowed by kind, state, person or decider.

Every history page is "newest first", so each filter gets an index that ends in created_at: the database walks it
backwards and stops after one page, instead of sorting every matching request. (state, created_at) replaces the
plain state index, which it serves as a prefix. Requester (requester_id, created_at) and request subjects (user_id)
already had theirs (0001, 0007); the one who decided gets decisions(approver_id).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns)
_INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_requests_created_at", "requests", ["created_at"]),
    ("ix_requests_kind_created_at", "requests", ["kind", "created_at"]),
    ("ix_requests_state_created_at", "requests", ["state", "created_at"]),
    ("ix_decisions_approver_id", "decisions", ["approver_id"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)
    op.drop_index("ix_requests_state", table_name="requests")


def downgrade() -> None:
    op.create_index("ix_requests_state", "requests", ["state"])
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)

"""E-mail notifications (F16): the mail outbox's drafts and people's e-mail choice.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the work that owns it, or removed before landing


def downgrade() -> None:
    pass

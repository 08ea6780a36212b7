"""Speed of the admins' desk at scale (issue 10): indexes the bench showed missing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # PLACEHOLDER: filled in by the work that owns it, or removed before landing


def downgrade() -> None:
    pass

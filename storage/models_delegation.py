"""ORM model of approval delegation (F15): who stands in for whom as an approver, from when until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import DISPLAY_NAME, Base

OBJECT_ID = 64


class ApprovalDelegation(Base):
    """One person's approvals handed to another for a period; ``ended_at`` set when stopped or replaced early.

    Active at an instant when ``starts_at <= at < ends_at`` and not ended by then. One level only: a delegate's own
    delegation is never followed (Entra's "one level" rule), so cards cannot travel in a circle.
    """

    __tablename__ = "approval_delegations"
    __table_args__ = (
        Index("ix_approval_delegations_principal_id", "principal_id"),
        Index("ix_approval_delegations_delegate_id", "delegate_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    principal_id: Mapped[str] = mapped_column(String(OBJECT_ID))  # whose approvals
    principal_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    delegate_id: Mapped[str] = mapped_column(String(OBJECT_ID))  # who decides them meanwhile
    delegate_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

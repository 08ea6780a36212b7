"""ORM model of edit-and-approve (F13): what an approver changed on a waiting request, the original kept whole."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import DISPLAY_NAME, Base


class RequestEdit(Base):
    """One approver's edit of a waiting request: the request as it was (``before``: plan, target, payload), as it
    became (``after``), the fields that changed (``diff``: label key, before, after) and the versions it moved
    between. Never updated: the request row holds the current form, these rows its history."""

    __tablename__ = "request_edits"
    __table_args__ = (Index("ix_request_edits_request_id", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    editor_id: Mapped[str] = mapped_column(String(64))  # Entra object id of the approver
    editor_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version_before: Mapped[int] = mapped_column(Integer)
    version_after: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    diff: Mapped[list[dict[str, str]]] = mapped_column(JSON)

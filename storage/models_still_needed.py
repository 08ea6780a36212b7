"""ORM model of the owners' "keep it" answers to "Still needed?" (F20): until when an unused list or shared mailbox
is not asked about again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime
from storage.models import Base

OBJECT_ID = 64


class UnusedKeep(Base):
    """The latest keep of one resource: asked again only once ``kept_until`` has passed and it is still quiet."""

    __tablename__ = "unused_keeps"

    resource_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # list | mailbox
    identity: Mapped[str] = mapped_column(String(OBJECT_ID), primary_key=True)
    kept_until: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[int] = mapped_column(Integer)  # the still.needed request whose Keep this is
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime)

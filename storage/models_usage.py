"""ORM model of the desk's own activity record (F20): the last message each address received ("last mail seen")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import Base

ADDRESS = 320


class LastMailSeen(Base):
    """The newest message trace row seen for an address; kept by the desk, never pruned when Exchange forgets it."""

    __tablename__ = "last_mail_seen"

    address_key: Mapped[str] = mapped_column(String(ADDRESS), primary_key=True)  # lower case
    address: Mapped[str] = mapped_column(String(ADDRESS))
    last_received: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

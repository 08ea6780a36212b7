"""ORM model of time-bound shared-mailbox grants (F6): what expires when, who was told, which request removed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import Base

ADDRESS = 320  # RFC 5321
OBJECT_ID = 64


def active_key(mailbox_address: str, access: str, person_id: str) -> str:
    """One live expiry per mailbox, delegation and person: the unique key replicas and re-runs collide on."""
    return f"{mailbox_address.casefold()}|{access}|{person_id.casefold()}"


class MailboxGrant(Base):
    """A delegation granted until a date. ``active_key`` is set while the desk still has to remove it and cleared
    (NULL, which a unique index ignores) once it is closed — expired, replaced by a newer grant, or made permanent."""

    __tablename__ = "mailbox_grants"
    __table_args__ = (Index("ix_mailbox_grants_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    active_key: Mapped[str | None] = mapped_column(String(ADDRESS + OBJECT_ID + 30), unique=True)
    mailbox_id: Mapped[str] = mapped_column(String(ADDRESS))  # what the port is called with (object id or address)
    mailbox_address: Mapped[str] = mapped_column(String(ADDRESS))
    mailbox_name: Mapped[str] = mapped_column(String(256))
    access: Mapped[str] = mapped_column(String(20))  # m365.ports.Access values
    person_id: Mapped[str] = mapped_column(String(OBJECT_ID))
    person_address: Mapped[str] = mapped_column(String(ADDRESS))
    person_name: Mapped[str] = mapped_column(String(256))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))  # the grant that set this expiry
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While one replica files the revoke request; a crashed replica's claim lapses and another one retries.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoke_request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(String(20))  # expired | ended (a revoke or permanent grant)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

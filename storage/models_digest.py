"""ORM models of the digests (F21): which Teams channel gets the admins' digest, how to reach it, and when; and
which approvers asked for the morning digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import Base

# Teams channel conversation ids ("19:…@thread.tacv2;messageid=…") and service URLs stay well below these.
CONVERSATION_ID = 400
SERVICE_URL = 400


class ChannelDigest(Base):
    """One channel's digest schedule and the conversation reference the desk posts it through (one row per channel:
    setting a new schedule replaces the old one, "off" deletes it)."""

    __tablename__ = "channel_digests"

    conversation_id: Mapped[str] = mapped_column(String(CONVERSATION_ID), primary_key=True)
    service_url: Mapped[str] = mapped_column(String(SERVICE_URL))
    tenant_id: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str] = mapped_column(String(50))  # the Bot Framework channel: "msteams"
    cadence: Mapped[str] = mapped_column(String(10))  # "daily" | "weekly"
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 0 = Monday; weekly only
    at_minute: Mapped[int] = mapped_column(Integer)  # minutes after midnight, service-hours time zone
    locale: Mapped[str] = mapped_column(String(35))
    set_by: Mapped[str] = mapped_column(String(64))  # Entra object id of the admin
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MorningDigest(Base):
    """An approver who asked for the morning digest of what waits for them (F21); opting out deletes the row."""

    __tablename__ = "morning_digests"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Entra object id
    locale: Mapped[str] = mapped_column(String(35))  # the language the card is written in
    opted_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

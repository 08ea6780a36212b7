"""ORM models of incidents (F12, F18): the incident with its priority, SLA and state, its events, every copy of its
card (to keep them current), and the support channel its cards are posted to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import DISPLAY_NAME, LOCALE, Base
from storage.models_digest import CONVERSATION_ID, SERVICE_URL


class Incident(Base):
    """A reported problem, from "report a problem" to closed; ``version`` guards every step (as a request's does)."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_state_created_at", "state", "created_at"),
        Index("ix_incidents_reporter_id_created_at", "reporter_id", "created_at"),
        Index("ix_incidents_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)  # INC-YYYY-NNNNNN
    reporter_id: Mapped[str] = mapped_column(String(64))
    reporter_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    locale: Mapped[str] = mapped_column(String(LOCALE), default="en")
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    impact: Mapped[str] = mapped_column(String(10))
    urgency: Mapped[str] = mapped_column(String(10))
    priority: Mapped[str] = mapped_column(String(2))
    support_level: Mapped[int] = mapped_column(Integer, default=1)
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    assignee_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME))
    state: Mapped[str] = mapped_column(String(20), default="new")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the resolution clock stops meanwhile
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    question: Mapped[str | None] = mapped_column(Text)  # what support asked the reporter last
    resolution: Mapped[str | None] = mapped_column(Text)
    escalation_reason: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<Incident {self.public_id} {self.priority} {self.state} v{self.version}>"


class IncidentEvent(Base):
    """One step of an incident: who, when, what (the step), and the note they wrote with it."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64))  # None: the desk itself (auto-close)
    actor_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME))
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentCardCopy(Base):
    """One sent copy of an incident's card (the reporter's, the support channel's), updated when the incident moves."""

    __tablename__ = "incident_card_copies"
    __table_args__ = (UniqueConstraint("incident_id", "role", "conversation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))  # "reporter" | "support"
    recipient_id: Mapped[str | None] = mapped_column(String(64))  # the reporter; None for a channel
    locale: Mapped[str] = mapped_column(String(LOCALE), default="en")
    conversation_id: Mapped[str] = mapped_column(String(CONVERSATION_ID))
    service_url: Mapped[str] = mapped_column(String(SERVICE_URL))
    activity_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportChannel(Base):
    """The Teams channel new incidents are posted to (one: setting another replaces it), with how to reach it."""

    __tablename__ = "support_channels"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)  # "support"
    conversation_id: Mapped[str] = mapped_column(String(CONVERSATION_ID))
    service_url: Mapped[str] = mapped_column(String(SERVICE_URL))
    tenant_id: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str] = mapped_column(String(50))
    locale: Mapped[str] = mapped_column(String(LOCALE))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""ORM models of e-mail notifications (F16): the mail outbox (one row per notification, rendered and waiting to be
sent, or sent, or given up) and each person's choice whether the desk e-mails them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import ADDRESS, Base

OBJECT_ID = 64
MAIL_KEY = 200  # the notification's key; the Message-ID is "<key@m365-desk>"
SUBJECT = 400
GRAPH_ID = 400  # Graph message ids are about 150 characters


class MailState:
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # given up (logged); never sent again


class OutboxMail(Base):
    """One e-mail the desk owes a person, written in their language when it was queued.

    ``key`` is unique: queueing the same notification twice (a retried job) finds the row already there. The
    sender claims a row with a lease (``lease_owner``/``lease_until``, ``attempts`` as the compare-and-swap token)
    and looks the Message-ID up in the sender mailbox before it writes, so a crash anywhere sends nothing twice.
    """

    __tablename__ = "mail_outbox"
    __table_args__ = (
        Index("ix_mail_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        # The per-mailbox sending limit counts a sender's mail of the last minute.
        Index("ix_mail_outbox_sender_sent_at", "sender", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(MAIL_KEY), unique=True)
    sender: Mapped[str] = mapped_column(String(ADDRESS))  # the sender mailbox when it was queued
    recipient_id: Mapped[str] = mapped_column(String(OBJECT_ID))  # Entra object id
    address: Mapped[str] = mapped_column(String(ADDRESS))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(SUBJECT))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    reference: Mapped[str | None] = mapped_column(String(40), nullable=True)  # REQ-…, INC-…
    state: Mapped[str] = mapped_column(String(10), default=MailState.QUEUED)
    draft_id: Mapped[str | None] = mapped_column(String(GRAPH_ID), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)  # for the logs and admins, never a person
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MailChoice(Base):
    """A person's own choice (``email me on|off``); without a row the admins' default (DESK_MAIL_DEFAULT) holds."""

    __tablename__ = "mail_choices"

    user_id: Mapped[str] = mapped_column(String(OBJECT_ID), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

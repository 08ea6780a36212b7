"""ORM models: requests, decisions, the hash-chained audit log, the job outbox, Teams references, plan prices."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, MetaData, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow

# Deterministic constraint names keep Alembic migrations (and SQLite batch rebuilds) reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

GENESIS_HASH = "0" * 64

# Sizes of values that come from outside (Teams, Entra, Exchange); PostgreSQL refuses anything longer, SQLite does
# not check, so these must fit real values. Entra display names: up to 256 characters. SMTP addresses: 320 (RFC 5321,
# 64 local part + @ + 255 domain). Locales are BCP-47 tags (e.g. "ca-ES-valencia"): RFC 5646 §4.4.1 asks for room
# for at least 35 characters; 64 also takes private-use extensions.
DISPLAY_NAME = 256
ADDRESS = 320
LOCALE = 64
# "<display name> <<address>>" or "<display name> · <plan or group name>".
LABEL = DISPLAY_NAME + ADDRESS + 24


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StepStatus(StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"
    FAILED = "failed"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Request(Base):
    """One requested change, from submission to its final state; ``version`` guards every transition."""

    __tablename__ = "requests"
    __table_args__ = (
        # Each "newest first" filter of the admins' history walks one of these backwards (0009).
        Index("ix_requests_requester_id_created_at", "requester_id", "created_at"),
        Index("ix_requests_created_at", "created_at"),
        Index("ix_requests_kind_created_at", "kind", "created_at"),
        Index("ix_requests_state_created_at", "state", "created_at"),
        # Free text in history is "contained" in one of these: trigram indexes, PostgreSQL only (0012).
        *(Index(f"ix_requests_{column}_trgm", text(f"lower({column})"), postgresql_using="gin",
                postgresql_ops={f"ix_requests_{column}_trgm": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
          for column in ("public_id", "kind", "requester_name", "target_label", "target_id", "error")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    requester_id: Mapped[str] = mapped_column(String(64))
    requester_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    target_id: Mapped[str] = mapped_column(String(ADDRESS))  # an object id, or the address of a list to create
    target_label: Mapped[str] = mapped_column(String(LABEL))
    # JSON columns do not track in-place mutation: assign a new dict/list to change them.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    approver_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str] = mapped_column(String(LOCALE), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the request's SLA target runs out, in business time from submission (None: filed before the SLA clock).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # The routing policy's stage the request waits in (0 = the first; the stages are in payload["stages"]) and the
    # digest of the policy file that routed it (None: filed before the routing policy) (0018).
    stage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    policy_digest: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<Request {self.public_id} {self.kind} {self.state} v{self.version}>"


class RequestSubject(Base):
    """A person a request is about, other than its requester: whose license, whose access, whose membership.

    "My requests" shows these to the person too, so a change someone else asked for (a manager's license request, an
    owner adding members, the desk's own revoke at a grant's expiry) is never invisible to the one it changes.
    """

    __tablename__ = "request_subjects"
    __table_args__ = (UniqueConstraint("request_id", "user_id"), Index("ix_request_subjects_user_id", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))


class Decision(Base):
    """One approver's decision on a request; a plain log, the request's state is the source of truth."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    approver_id: Mapped[str] = mapped_column(String(64), index=True)  # history's "decided by"
    approver_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A delegate's decision (F15): the approver it was made for ("Anna Nowak for Jan Kowalski"); None otherwise.
    on_behalf_of_id: Mapped[str | None] = mapped_column(String(64))
    on_behalf_of_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME))
    stage: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the request's stage it decided (0018)


class AuditEvent(Base):
    """Append-only audit record; ``hash`` covers the row and ``prev_hash``, chaining every event."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row (id=1) naming the chain's tail; locking it serializes concurrent appenders."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    last_event_id: Mapped[int | None] = mapped_column(Integer)


class Job(Base):
    """Transactional outbox entry: work a runner claims with a lease and finishes exactly once."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("request_id", "kind"),
        Index("ix_jobs_status_next_run_at", "status", "next_run_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    kind: Mapped[str] = mapped_column(String(40), default="execute")
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    next_run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobStep(Base):
    """Outcome of one plan step of a job, so a re-run skips what already finished."""

    __tablename__ = "job_steps"
    __table_args__ = (UniqueConstraint("job_id", "step_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    step_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConversationRef(Base):
    """Where to reach a user proactively in Teams (their personal chat with the bot)."""

    __tablename__ = "conversation_refs"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    teams_user_id: Mapped[str] = mapped_column(String(200))
    conversation_id: Mapped[str] = mapped_column(String(400))
    service_url: Mapped[str] = mapped_column(String(400))
    tenant_id: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str] = mapped_column(String(200))
    bot_name: Mapped[str] = mapped_column(String(DISPLAY_NAME))
    channel_id: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(LOCALE))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CardCopy(Base):
    """One sent copy of a request's card, so every copy can be updated when the request changes."""

    __tablename__ = "card_copies"
    __table_args__ = (UniqueConstraint("request_id", "recipient_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    recipient_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str] = mapped_column(String(400))
    service_url: Mapped[str] = mapped_column(String(400))
    activity_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanPrice(Base):
    """The price per seat per month an admin set for a plan (by SKU part number); it overrides the price file."""

    __tablename__ = "plan_prices"

    sku_part_number: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Money is Decimal in Python and NUMERIC(12, 2) in the database. SQLite has no decimal type, so SQLAlchemy
    # stores a float there; 12 significant digits survive a double exactly and come back rounded to 2 places.
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217
    updated_by: Mapped[str] = mapped_column(String(64))  # Entra object id of the admin
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertSent(Base):
    """One alert condition (plan + condition) raised on one day: the unique key makes replicas send it once."""

    __tablename__ = "alerts_sent"
    __table_args__ = (UniqueConstraint("alert_key", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_key: Mapped[str] = mapped_column(String(200))  # e.g. "low_seats:ENTERPRISEPACK"
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the desk's calendar zone
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipients: Mapped[int] = mapped_column(Integer, default=0)  # admins it reached
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportFile(Base):
    """A generated report (CSV) behind a short-lived download link; only the token's SHA-256 is stored."""

    __tablename__ = "report_files"
    __table_args__ = (Index("ix_report_files_expires_at", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))  # Entra object id of the admin
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The directory cache's models live in their own module; importing it here puts them on Base.metadata for everyone
# who imports the models (migrations, the migration-vs-models test, create_all in tools). At the end on purpose:
# that module imports Base from this one.
import storage.models_delegation  # noqa: E402, F401  (approval delegations, F15; same reason as above)
import storage.models_digest  # noqa: E402, F401  (channel digests, F21; same reason as above)
import storage.models_directory  # noqa: E402, F401
import storage.models_edits  # noqa: E402, F401  (approvers' edits of waiting requests, F13; same reason as above)
import storage.models_grants  # noqa: E402, F401  (time-bound mailbox grants, F6; same reason as above)
import storage.models_incidents  # noqa: E402, F401  (incidents, F12/F18; same reason as above)
import storage.models_mail  # noqa: E402, F401  (the mail outbox and e-mail choices, F16; same reason as above)
import storage.models_still_needed  # noqa: E402, F401  (keeps of unused resources, F20; same reason as above)
import storage.models_usage  # noqa: E402, F401  (the desk's "last mail seen", F20; same reason as above)

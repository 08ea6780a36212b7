"""ORM models of the directory cache (F1–F3, F7): users, lists, members, shared mailboxes, delegates, sync state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import UTCDateTime, utcnow
from storage.models import Base

# Addresses are compared case-insensitively (SMTP addresses are, in Exchange). Rows keep the address as Exchange
# spells it for display and an ``address_key`` (lower case) for lookups, which is what the indexes cover.
ADDRESS = 320  # RFC 5321: 64 local part + @ + 255 domain
OBJECT_ID = 64


class CachedUser(Base):
    """A user as Graph's /users/delta last reported them; ``deleted`` marks tombstones (@removed)."""

    __tablename__ = "dir_users"
    __table_args__ = (
        Index("ix_dir_users_mail_key", "mail_key"),
        # History's person filter ("contains", PostgreSQL only) and the orphaned lists' live owners (0015).
        *(Index(f"ix_dir_users_{column}_trgm", text(f"lower({column})"), postgresql_using="gin",
                postgresql_ops={f"ix_dir_users_{column}_trgm": "gin_trgm_ops"}).ddl_if(dialect="postgresql")
          for column in ("display_name", "user_principal_name", "mail")),
        Index("ix_dir_users_live_mail_key", "mail_key",
              postgresql_where=text("deleted IS false AND account_enabled IS true"),
              sqlite_where=text("deleted IS 0 AND account_enabled IS 1")),
    )

    id: Mapped[str] = mapped_column(String(OBJECT_ID), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256))
    user_principal_name: Mapped[str] = mapped_column(String(ADDRESS))
    mail: Mapped[str | None] = mapped_column(String(ADDRESS))
    mail_key: Mapped[str | None] = mapped_column(String(ADDRESS))
    account_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    department: Mapped[str | None] = mapped_column(String(256))
    manager_id: Mapped[str | None] = mapped_column(String(OBJECT_ID))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CachedList(Base):
    """A distribution list as Get-DistributionGroup last returned it; identity is its Entra object id."""

    __tablename__ = "dir_lists"
    __table_args__ = (Index("ix_dir_lists_address_key", "address_key"),)

    identity: Mapped[str] = mapped_column(String(OBJECT_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(256))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    address_key: Mapped[str] = mapped_column(String(ADDRESS))
    alias: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    member_join_restriction: Mapped[str] = mapped_column(String(20))
    member_depart_restriction: Mapped[str] = mapped_column(String(20))
    accepts_external_senders: Mapped[bool] = mapped_column(Boolean, default=False)
    is_dir_synced: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # ManagedBy as primary SMTP addresses; "lists I own" matches the JSON text (see DirectoryCacheRepository).
    owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CachedListMember(Base):
    """One direct member of a cached list."""

    __tablename__ = "dir_list_members"
    __table_args__ = (
        UniqueConstraint("list_id", "address_key"),
        Index("ix_dir_list_members_address_key", "address_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[str] = mapped_column(ForeignKey("dir_lists.identity", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    address_key: Mapped[str] = mapped_column(String(ADDRESS))
    display_name: Mapped[str] = mapped_column(String(256))
    object_id: Mapped[str | None] = mapped_column(String(OBJECT_ID))
    recipient_type: Mapped[str] = mapped_column(String(60), default="UserMailbox")


class CachedMailbox(Base):
    """A shared mailbox as Get-Mailbox -RecipientTypeDetails SharedMailbox last returned it."""

    __tablename__ = "dir_mailboxes"
    __table_args__ = (Index("ix_dir_mailboxes_address_key", "address_key"),)

    identity: Mapped[str] = mapped_column(String(OBJECT_ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(256))
    alias: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    address_key: Mapped[str] = mapped_column(String(ADDRESS))
    is_dir_synced: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CachedMailboxDelegate(Base):
    """One explicit delegation (Full Access, Send As or Send on Behalf) on a cached shared mailbox."""

    __tablename__ = "dir_mailbox_delegates"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "access", "address_key"),
        Index("ix_dir_mailbox_delegates_address_key", "address_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[str] = mapped_column(ForeignKey("dir_mailboxes.identity", ondelete="CASCADE"))
    access: Mapped[str] = mapped_column(String(20))  # m365.ports.Access values
    address: Mapped[str] = mapped_column(String(ADDRESS))
    address_key: Mapped[str] = mapped_column(String(ADDRESS))
    display_name: Mapped[str] = mapped_column(String(256))
    object_id: Mapped[str | None] = mapped_column(String(OBJECT_ID))
    auto_mapping: Mapped[bool | None] = mapped_column(Boolean)


class MailboxOwnerRecord(Base):
    """An owner of a shared mailbox as the desk recorded it (Exchange has no such notion); the sync only removes
    these when the mailbox itself is gone. No foreign key: the desk may record owners before the cache has seen
    the mailbox it just created."""

    __tablename__ = "dir_mailbox_owners"
    __table_args__ = (
        UniqueConstraint("mailbox_id", "user_id"),
        Index("ix_dir_mailbox_owners_address_key", "address_key"),
        Index("ix_dir_mailbox_owners_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mailbox_id: Mapped[str] = mapped_column(String(OBJECT_ID))
    user_id: Mapped[str] = mapped_column(String(OBJECT_ID))
    address: Mapped[str] = mapped_column(String(ADDRESS))
    address_key: Mapped[str] = mapped_column(String(ADDRESS))
    display_name: Mapped[str] = mapped_column(String(256))


class SyncStateRecord(Base):
    """Named sync state: a cursor (Graph delta link, Exchange watermark), run times, and the replicas' lease."""

    __tablename__ = "dir_sync_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    last_full_run: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

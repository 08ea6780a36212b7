"""Directory cache (F1–F3, F7): users, lists and members, shared mailboxes, delegates, desk-recorded owners, sync state.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDRESS = 320
OBJECT_ID = 64


def _ts(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # New tables only: plain CREATE TABLE works on SQLite and PostgreSQL alike, no batch rebuild needed.
    op.create_table(
        "dir_users",
        sa.Column("id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("user_principal_name", sa.String(ADDRESS), nullable=False),
        sa.Column("mail", sa.String(ADDRESS), nullable=True),
        sa.Column("mail_key", sa.String(ADDRESS), nullable=True),
        sa.Column("account_enabled", sa.Boolean(), nullable=False),
        sa.Column("department", sa.String(256), nullable=True),
        sa.Column("manager_id", sa.String(OBJECT_ID), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        _ts("synced_at"),
        sa.PrimaryKeyConstraint("id", name="pk_dir_users"),
    )
    op.create_index("ix_dir_users_mail_key", "dir_users", ["mail_key"])

    op.create_table(
        "dir_lists",
        sa.Column("identity", sa.String(OBJECT_ID), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("address_key", sa.String(ADDRESS), nullable=False),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("member_join_restriction", sa.String(20), nullable=False),
        sa.Column("member_depart_restriction", sa.String(20), nullable=False),
        sa.Column("accepts_external_senders", sa.Boolean(), nullable=False),
        sa.Column("is_dir_synced", sa.Boolean(), nullable=False),
        _ts("changed_at", nullable=True),
        sa.Column("owners", sa.JSON(), nullable=False),
        _ts("synced_at"),
        sa.PrimaryKeyConstraint("identity", name="pk_dir_lists"),
    )
    op.create_index("ix_dir_lists_address_key", "dir_lists", ["address_key"])

    op.create_table(
        "dir_list_members",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("list_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("address_key", sa.String(ADDRESS), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("object_id", sa.String(OBJECT_ID), nullable=True),
        sa.Column("recipient_type", sa.String(60), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["dir_lists.identity"],
            name="fk_dir_list_members_list_id_dir_lists",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dir_list_members"),
        sa.UniqueConstraint("list_id", "address_key", name="uq_dir_list_members_list_id_address_key"),
    )
    op.create_index("ix_dir_list_members_address_key", "dir_list_members", ["address_key"])

    op.create_table(
        "dir_mailboxes",
        sa.Column("identity", sa.String(OBJECT_ID), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("alias", sa.String(64), nullable=False),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("address_key", sa.String(ADDRESS), nullable=False),
        sa.Column("is_dir_synced", sa.Boolean(), nullable=False),
        _ts("changed_at", nullable=True),
        _ts("synced_at"),
        sa.PrimaryKeyConstraint("identity", name="pk_dir_mailboxes"),
    )
    op.create_index("ix_dir_mailboxes_address_key", "dir_mailboxes", ["address_key"])

    op.create_table(
        "dir_mailbox_delegates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("access", sa.String(20), nullable=False),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("address_key", sa.String(ADDRESS), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("object_id", sa.String(OBJECT_ID), nullable=True),
        sa.Column("auto_mapping", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mailbox_id"],
            ["dir_mailboxes.identity"],
            name="fk_dir_mailbox_delegates_mailbox_id_dir_mailboxes",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dir_mailbox_delegates"),
        sa.UniqueConstraint(
            "mailbox_id", "access", "address_key", name="uq_dir_mailbox_delegates_mailbox_id_access_address_key"
        ),
    )
    op.create_index("ix_dir_mailbox_delegates_address_key", "dir_mailbox_delegates", ["address_key"])

    op.create_table(
        "dir_mailbox_owners",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mailbox_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("user_id", sa.String(OBJECT_ID), nullable=False),
        sa.Column("address", sa.String(ADDRESS), nullable=False),
        sa.Column("address_key", sa.String(ADDRESS), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dir_mailbox_owners"),
        sa.UniqueConstraint("mailbox_id", "user_id", name="uq_dir_mailbox_owners_mailbox_id_user_id"),
    )
    op.create_index("ix_dir_mailbox_owners_address_key", "dir_mailbox_owners", ["address_key"])
    op.create_index("ix_dir_mailbox_owners_user_id", "dir_mailbox_owners", ["user_id"])

    op.create_table(
        "dir_sync_state",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        _ts("last_full_run", nullable=True),
        _ts("last_run", nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        _ts("lease_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_dir_sync_state"),
    )


def downgrade() -> None:
    op.drop_table("dir_sync_state")
    op.drop_index("ix_dir_mailbox_owners_user_id", table_name="dir_mailbox_owners")
    op.drop_index("ix_dir_mailbox_owners_address_key", table_name="dir_mailbox_owners")
    op.drop_table("dir_mailbox_owners")
    op.drop_index("ix_dir_mailbox_delegates_address_key", table_name="dir_mailbox_delegates")
    op.drop_table("dir_mailbox_delegates")
    op.drop_index("ix_dir_mailboxes_address_key", table_name="dir_mailboxes")
    op.drop_table("dir_mailboxes")
    op.drop_index("ix_dir_list_members_address_key", table_name="dir_list_members")
    op.drop_table("dir_list_members")
    op.drop_index("ix_dir_lists_address_key", table_name="dir_lists")
    op.drop_table("dir_lists")
    op.drop_index("ix_dir_users_mail_key", table_name="dir_users")
    op.drop_table("dir_users")

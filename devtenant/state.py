"""TenantState: the live, in-memory emulated tenant, composed of one state per service (devtenant/states/).

Graph, Exchange, the connector, the control endpoints and tests read and change the tenant through it; each
part owns its records (directory, licensing, Exchange, Teams chats, app registrations, call log), and the
methods here that reach across parts (seeding, deleting a user, a user's snapshot) say so.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from devtenant.seed import Seed
from devtenant.states.apps import AppRegistration, desk_app_registrations
from devtenant.states.calls import CallLog, CallRecord
from devtenant.states.connector import ActivityRecord, ConnectorState, Conversation
from devtenant.states.directory import DeletedUser, Directory, DomainRecord, GroupRecord, UserRecord
from devtenant.states.exchange import ExchangeGroupRecord, ExchangeState, FullAccessGrant, SendAsGrant
from devtenant.states.licensing import Licensing, SkuRecord
from devtenant.states.mail import MailState
from devtenant.states.seeding import add_generated_lists, load_seed
from devtenant.states.usage import UsageState
from devtenant.states.user_changes import DeltaGenerations


class TenantState:
    """Everything the emulator serves. Graph, Exchange and the connector read and change this one object."""

    def __init__(self, seed: Seed, *, tenant_id: str, client_id: str, client_secret: str,
                 bot_app_id: str, bot_name: str = "M365 Desk") -> None:
        self.seed = seed
        self.tenant_id = tenant_id
        self.domain = seed.domain
        self.initial_domain = f"{seed.organization_name.lower()}.onmicrosoft.com"
        self.organization_name = seed.organization_name
        self.bot_app_id = bot_app_id
        self.bot_name = bot_name
        self._client_id, self._client_secret = client_id, client_secret
        self.delta_tokens = DeltaGenerations()  # outlives resets: tokens from before a reset are refused
        self.reset()

    def reset(self) -> None:
        """Back to the seed: directory, licenses, lists, chats, app permissions and call log (tokens stay valid)."""
        self.reference_time = datetime.now(UTC).replace(second=0, microsecond=0)  # "now" of the seeded dates
        self.apps: dict[str, AppRegistration] = desk_app_registrations(self._client_id, self._client_secret)
        self.directory = Directory(organization_name=self.organization_name, domain=self.domain,
                                   initial_domain=self.initial_domain, reference_time=self.reference_time)
        self.licensing = Licensing(self.directory, tenant_id=self.tenant_id)
        self.exchange = ExchangeState(self.directory)
        self.connector = ConnectorState(self.directory, tenant_id=self.tenant_id, bot_app_id=self.bot_app_id,
                                        bot_name=self.bot_name)
        self.call_history = CallLog(self.tenant_id)
        self.usage = UsageState()  # mailbox activity, report settings, message traffic (no activity seeded)
        self.mail = MailState()  # mailboxes' drafts and sent mail, automatic replies, access policy (states/mail.py)
        self.delta_tokens.start_new()
        load_seed(self.seed, self.directory, self.licensing, self.exchange)

    # ------------------------------------------------------------------ across parts
    def delete_user(self, id_or_upn: str) -> UserRecord:
        """Soft-delete a user as Entra does: gone from users, groups, list ownership and as anyone's manager."""
        user = self.directory.delete_user(id_or_upn)
        self.exchange.drop_owner(user)
        return user

    def add_generated_lists(self, count: int, *, members_per_list: int, pool: list[str], prefix: str = "gen",
                            seed: int = 0) -> list[str]:
        """`count` distribution lists in Graph and Exchange, members drawn from `pool` (see states/seeding.py)."""
        return add_generated_lists(self.directory, self.exchange, count, members_per_list=members_per_list,
                                   pool=pool, prefix=prefix, seed=seed)

    def user_snapshot(self, id_or_upn: str) -> UserRecord:
        """A copy of the user with their group ids and license part numbers, for other processes."""
        user = copy.deepcopy(self.user(id_or_upn))
        user["memberOf"] = [g["id"] for g in self.member_of(user["id"])]
        user["licenseSkuPartNumbers"] = [self.skus[a["skuId"]]["skuPartNumber"]
                                         for a in user["assignedLicenses"] if a["skuId"] in self.skus]
        return user

    # ------------------------------------------------------------------ directory (states/directory.py)
    @property
    def users(self) -> dict[str, UserRecord]:
        return self.directory.users

    @property
    def groups(self) -> dict[str, GroupRecord]:
        return self.directory.groups

    @property
    def group_members(self) -> dict[str, list[str]]:
        return self.directory.group_members

    @property
    def deleted_users(self) -> dict[str, DeletedUser]:
        return self.directory.deleted_users

    @property
    def accepted_domains(self) -> list[str]:
        return self.directory.accepted_domains

    def find_user(self, id_or_upn: str) -> UserRecord | None:
        return self.directory.find_user(id_or_upn)

    def user(self, id_or_upn: str) -> UserRecord:
        return self.directory.user(id_or_upn)

    def find_group(self, id_or_name: str) -> GroupRecord | None:
        return self.directory.find_group(id_or_name)

    def list_members(self, list_id: str) -> list[str]:
        return self.directory.list_members(list_id)

    def member_of(self, user_id: str) -> list[GroupRecord]:
        return self.directory.member_of(user_id)

    def update_user(self, id_or_upn: str, changes: dict[str, Any]) -> UserRecord:
        return self.directory.update_user(id_or_upn, changes)

    def restore_user(self, user_id: str) -> UserRecord:
        return self.directory.restore_user(user_id)

    def add_shared_mailbox(self, name: str, display_name: str, alias: str, address: str, *, dir_synced: bool = False,
                           created: datetime | None = None, changed: datetime | None = None) -> UserRecord:
        return self.directory.add_shared_mailbox(name, display_name, alias, address, dir_synced=dir_synced,
                                                 created=created, changed=changed)

    def add_generated_users(self, count: int, *, prefix: str = "load", usage_location: str = "PL") -> list[str]:
        return self.directory.add_generated_users(count, prefix=prefix, usage_location=usage_location)

    def domain_records(self) -> list[DomainRecord]:
        return self.directory.domain_records()

    def add_domain(self, name: str, *, verified: bool = True, services: tuple[str, ...] = ("Email",)) -> None:
        self.directory.add_domain(name, verified=verified, services=services)

    # ------------------------------------------------------------------ Graph delta (states/user_changes.py)
    @property
    def delta_generation(self) -> int:
        return self.delta_tokens.current

    @property
    def user_change_seq(self) -> int:
        return self.directory.changes.seq

    def expire_delta_tokens(self, status: int = 400) -> None:
        self.delta_tokens.expire(status)

    def delta_expiry_status(self, generation: int) -> int:
        return self.delta_tokens.expiry_status(generation)

    def record_user_change(self, user_id: str) -> None:
        self.directory.changes.record(user_id)

    def track_user_changes(self) -> int:
        return self.directory.changes.track()

    def user_changes_after(self, after: int) -> Iterator[tuple[str, int]]:
        return self.directory.changes.changes_after(after)

    def user_changed_between(self, user_id: str, keys: frozenset[str] | None, since: int, upto: int) -> bool:
        return self.directory.changes.changed_between(user_id, keys, since, upto)

    def previous_manager(self, user_id: str) -> str | None:
        return self.directory.changes.previous_manager(user_id)

    # ------------------------------------------------------------------ licensing (states/licensing.py)
    @property
    def skus(self) -> dict[str, SkuRecord]:
        return self.licensing.skus

    def sku(self, part_number_or_id: str) -> SkuRecord:
        return self.licensing.sku(part_number_or_id)

    def sync_assigned_licenses(self, user: UserRecord) -> None:
        self.licensing.sync_assigned_licenses(user)

    def consumed_units(self, sku_id: str) -> int:
        return self.licensing.consumed_units(sku_id)

    def free_units(self, part_number_or_id: str) -> int:
        return self.licensing.free_units(part_number_or_id)

    def set_prepaid_units(self, part_number_or_id: str, enabled: int) -> None:
        self.licensing.set_prepaid_units(part_number_or_id, enabled)

    def subscribed_skus(self) -> list[dict[str, Any]]:
        return self.licensing.subscribed_skus()

    def subscriptions(self) -> list[dict[str, Any]]:
        return self.licensing.subscriptions()

    # ------------------------------------------------------------------ Exchange (states/exchange.py)
    @property
    def exo_groups(self) -> dict[str, ExchangeGroupRecord]:
        return self.exchange.exo_groups

    @property
    def mailbox_permissions(self) -> dict[str, list[FullAccessGrant]]:
        return self.exchange.mailbox_permissions

    @property
    def recipient_permissions(self) -> dict[str, list[SendAsGrant]]:
        return self.exchange.recipient_permissions

    def exo_group(self, list_id: str) -> ExchangeGroupRecord:
        return self.exchange.exo_group(list_id)

    def exo_server(self) -> str:
        return self.exchange.exo_server()

    # ------------------------------------------------------------------ Teams / Bot Connector (states/connector.py)
    @property
    def conversations(self) -> dict[str, Conversation]:
        return self.connector.conversations

    @property
    def activities(self) -> dict[str, ActivityRecord]:
        return self.connector.activities

    @staticmethod
    def personal_conversation_id(user_id: str) -> str:
        return ConnectorState.personal_conversation_id(user_id)

    @staticmethod
    def teams_user_id(user_id: str) -> str:
        return ConnectorState.teams_user_id(user_id)

    def bot_account(self) -> dict[str, Any]:
        return self.connector.bot_account()

    def teams_account(self, user_id: str) -> dict[str, Any]:
        return self.connector.teams_account(user_id)

    def user_of_teams_id(self, member_id: str | None) -> str | None:
        return self.connector.user_of_teams_id(member_id)

    def personal_conversation(self, user_id: str) -> Conversation:
        return self.connector.personal_conversation(user_id)

    def find_conversation(self, conversation_id: str) -> Conversation | None:
        return self.connector.find_conversation(conversation_id)

    def record_activity(self, conv: Conversation, body: dict[str, Any], reply_to_id: str | None = None) -> str:
        return self.connector.record_activity(conv, body, reply_to_id)

    def inbox(self, aad_object_id: str, *, include_typing: bool = False,
              include_deleted: bool = False) -> list[dict[str, Any]]:
        return self.connector.inbox(aad_object_id, include_typing=include_typing, include_deleted=include_deleted)

    # ------------------------------------------------------------------ call log (states/calls.py)
    @property
    def call_log(self) -> list[CallRecord]:
        return self.call_history.records

    def log_call(self, service: str, method: str, path: str, status: int, *, cmdlet: str | None = None,
                 query: str = "") -> None:
        self.call_history.log_call(service, method, path, status, cmdlet=cmdlet, query=query)

    def reset_call_log(self) -> None:
        self.call_history.clear()

    def calls(self, service: str | None = None, *, cmdlet: str | None = None) -> list[CallRecord]:
        return self.call_history.calls(service, cmdlet=cmdlet)

    def next_request_id(self) -> str:
        return self.call_history.next_request_id()

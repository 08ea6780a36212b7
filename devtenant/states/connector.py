"""The Bot Connector's records: Teams conversations with the bot, and the activities the bot sent into them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from devtenant.states.directory import Directory

_PERSONAL_PREFIX = "a:personal-"


@dataclass
class Conversation:
    """A Teams conversation as the Bot Connector knows it."""

    id: str
    conversation_type: str  # personal | groupChat | channel
    members: list[dict[str, Any]]
    user_id: str | None  # the person in a personal chat with the bot
    tenant_id: str
    activity_ids: list[str] = field(default_factory=list)


@dataclass
class ActivityRecord:
    """An activity the bot sent through the connector, with its later updates applied in place."""

    id: str
    conversation_id: str
    body: dict[str, Any]
    seq: int
    updates: int = 0
    deleted: bool = False
    reply_to_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_inbox_item(self) -> dict[str, Any]:
        item = copy.deepcopy(self.body)
        item["id"] = self.id
        item.setdefault("conversation", {})["id"] = self.conversation_id
        item["updates"] = self.updates
        item["deleted"] = self.deleted
        if self.reply_to_id:
            item["replyToId"] = self.reply_to_id
        return item


class ConnectorState:
    """Teams chats with the bot (installed for every user, so each has a personal chat) and what it sent."""

    def __init__(self, directory: Directory, *, tenant_id: str, bot_app_id: str, bot_name: str) -> None:
        self._directory = directory
        self.tenant_id = tenant_id
        self.bot_app_id = bot_app_id
        self.bot_name = bot_name
        self.conversations: dict[str, Conversation] = {}
        self.activities: dict[str, ActivityRecord] = {}
        self._activity_seq = 0

    @staticmethod
    def personal_conversation_id(user_id: str) -> str:
        return f"{_PERSONAL_PREFIX}{user_id}"

    @staticmethod
    def teams_user_id(user_id: str) -> str:
        return f"29:{user_id}"

    def bot_account(self) -> dict[str, Any]:
        return {"id": f"28:{self.bot_app_id}", "name": self.bot_name}

    def teams_account(self, user_id: str) -> dict[str, Any]:
        user = self._directory.users[user_id]
        return {
            "id": self.teams_user_id(user_id),
            "name": user["displayName"],
            "aadObjectId": user_id,
            "givenName": user["givenName"],
            "surname": user["surname"],
            "email": user["mail"],
            "userPrincipalName": user["userPrincipalName"],
            "tenantId": self.tenant_id,
            "userRole": "user",
        }

    def user_of_teams_id(self, member_id: str | None) -> str | None:
        """Resolve a Teams member id (29:<id>) or a bare AAD object id to a user id."""
        if not member_id:
            return None
        key = member_id.split(":", 1)[1] if member_id.startswith("29:") else member_id
        user = self._directory.users.get(key.lower())
        return user["id"] if user else None

    def personal_conversation(self, user_id: str) -> Conversation:
        """The bot's 1:1 chat with this user; every user has one from the start (the bot is installed)."""
        conv_id = self.personal_conversation_id(user_id)
        conv = self.conversations.get(conv_id)
        if conv is None:
            conv = Conversation(conv_id, "personal", [self.teams_account(user_id)], user_id, self.tenant_id)
            self.conversations[conv_id] = conv
        return conv

    def find_conversation(self, conversation_id: str) -> Conversation | None:
        conv = self.conversations.get(conversation_id)
        if conv is None and conversation_id.startswith(_PERSONAL_PREFIX):
            user_id = conversation_id[len(_PERSONAL_PREFIX):]
            if user_id in self._directory.users:
                conv = self.personal_conversation(user_id)
        return conv

    def next_activity_id(self) -> str:
        # Teams activity ids look like epoch milliseconds; a counter keeps them deterministic and ordered.
        self._activity_seq += 1
        return str(1_767_225_600_000 + self._activity_seq)

    def record_activity(self, conv: Conversation, body: dict[str, Any], reply_to_id: str | None = None) -> str:
        activity_id = self.next_activity_id()
        record = ActivityRecord(activity_id, conv.id, copy.deepcopy(body), self._activity_seq,
                                reply_to_id=reply_to_id)
        self.activities[activity_id] = record
        conv.activity_ids.append(activity_id)
        return activity_id

    def inbox(self, aad_object_id: str, *, include_typing: bool = False,
              include_deleted: bool = False) -> list[dict[str, Any]]:
        """What the bot sent to this person in personal chats, oldest first, updates applied in place."""
        user_id = self.user_of_teams_id(aad_object_id) or aad_object_id.lower()
        items = []
        for conv in self.conversations.values():
            if conv.user_id != user_id:
                continue
            for activity_id in conv.activity_ids:
                record = self.activities[activity_id]
                if record.deleted and not include_deleted:
                    continue
                if record.body.get("type") == "typing" and not include_typing:
                    continue
                items.append(record)
        return [r.as_inbox_item() for r in sorted(items, key=lambda r: r.seq)]

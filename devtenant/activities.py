"""Inbound Teams activities (what Teams would POST to the bot) for tests and the demo to send on a user's behalf."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from devtenant.state import TenantState


class ActivityFactory:
    """Builds activities from a seeded user's personal chat, addressed to the bot, with our serviceUrl."""

    def __init__(self, state: TenantState, service_url: str) -> None:
        self.state = state
        self.service_url = service_url
        self._seq = 0

    def _base(self, user: str, activity_type: str) -> dict[str, Any]:
        record = self.state.user(user)
        self._seq += 1
        conv = self.state.personal_conversation(record["id"])
        language = record.get("preferredLanguage") or "en-US"
        return {
            "type": activity_type,
            "id": f"f:{self._seq:08d}",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": self.state.teams_user_id(record["id"]), "name": record["displayName"],
                     "aadObjectId": record["id"]},
            "conversation": {"conversationType": "personal", "id": conv.id, "tenantId": self.state.tenant_id},
            "recipient": self.state.bot_account(),
            "channelData": {"tenant": {"id": self.state.tenant_id}},
            "locale": language,
            "entities": [{"type": "clientInfo", "locale": language, "platform": "Web",
                          "timezone": "Europe/Warsaw"}],
        }

    def message(self, user: str, text: str) -> dict[str, Any]:
        """A plain text message the user typed in the personal chat."""
        activity = self._base(user, "message")
        activity.update(text=text, textFormat="plain")
        return activity

    def submit(self, user: str, value: dict[str, Any], reply_to_id: str | None = None) -> dict[str, Any]:
        """Action.Submit on a card: a message with no text and the card data as `value`."""
        activity = self._base(user, "message")
        activity["value"] = value
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        return activity

    def card_action(self, user: str, verb: str, data: dict[str, Any] | None = None,
                    reply_to_id: str | None = None, trigger: str = "manual") -> dict[str, Any]:
        """Action.Execute on a card: an `adaptiveCard/action` invoke."""
        activity = self._base(user, "invoke")
        activity["name"] = "adaptiveCard/action"
        activity["value"] = {"action": {"type": "Action.Execute", "id": verb, "verb": verb, "data": data or {}},
                             "trigger": trigger}
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        return activity

    def installed(self, user: str) -> dict[str, Any]:
        """The conversationUpdate Teams sends when the user installs the bot in personal scope."""
        activity = self._base(user, "conversationUpdate")
        activity["membersAdded"] = [{"id": self.state.bot_account()["id"]},
                                    {"id": activity["from"]["id"], "aadObjectId": activity["from"]["aadObjectId"]}]
        return activity

"""Teams activities both ways: inbound ones to POST to the bot for a user, and the check of what the bot sends."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
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


# --- what the bot sends ---------------------------------------------------------------------------------------
# The Agents Playground's connector contract (its zod schemas `createActivitySchema` and
# `updateMessageActivitySchema`, and the checks after them, in @microsoft/m365agentsplayground 0.2.28), with its
# answers: the strictest client the desk meets, so an activity it would refuse fails here, in the tests, first.

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
_ADAPTIVE = re.compile(r"^application/vnd\.microsoft\.card\.adaptive$", re.IGNORECASE)
_TEXT_FORMATS = ("markdown", "plain", "xml")
_LAYOUTS = ("list", "carousel")
_CONVERSATION_TYPES = ("personal", "groupChat", "channel")
_MISSING = object()


@dataclass(frozen=True)
class Refusal:
    """The connector's 400 for an activity it will not take: {"error": {"code", "message"}}."""

    code: str
    message: str
    path: str = ""  # where it failed (for devtenant's log; the Playground's answer does not say)
    status: int = 400


class _Invalid(Exception):
    def __init__(self, message: str, path: str, *, dirty: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        # zod's "dirty" issue (a failed refinement rather than a wrong type) is reported through a union as is.
        self.dirty = dirty


def check_sent(body: Any) -> Refusal | None:
    """POST .../activities and .../activities/{id} (send and reply); None when the connector takes it."""
    try:
        if not isinstance(body, dict):
            raise _Invalid("Expected object, received " + _received(body), "")
        kind = body.get("type", _MISSING)
        if kind == "trace":
            for key in ("id", "replyToId", "channelId", "name", "label", "valueType"):
                _string(body, key)
            _conversation(body)
            return None
        if kind not in ("message", "typing"):
            raise _Invalid("Invalid literal value, expected \"message\"", "type")
        for key in ("id", "replyToId", "channelId", "text"):
            _string(body, key)
        _content(body)
        _conversation(body)
    except _Invalid as invalid:
        # Message or trace: a zod union, which answers "Invalid input" unless one branch failed only a refinement.
        return Refusal("BadArgument", invalid.message if invalid.dirty else "Invalid input", invalid.path)
    return _empty(body) if kind == "message" else None


def check_update(body: Any) -> Refusal | None:
    """PUT .../activities/{id}: only a message can be edited, and it must become exactly one message."""
    try:
        if not isinstance(body, dict):
            raise _Invalid("Expected object, received " + _received(body), "")
        kind = body.get("type", _MISSING)
        if kind != "message":
            raise _Invalid("Bot Activities of type Typing cannot be edited" if kind == "typing"
                           else "Unknown activity type", "type")
        _string(body, "text")
        _content(body)
    except _Invalid as invalid:
        return Refusal("BadArgument", invalid.message, invalid.path)
    refusal = _empty(body)
    if refusal is None and body.get("attachmentLayout") != "carousel":
        parts = (1 if body.get("text") else 0) + len(body.get("attachments") or [])
        if parts > 1:
            return Refusal("BadSyntax", "Activity resulted into multiple skype activities")
    return refusal


def check_new_conversation(body: Any) -> Refusal | None:
    """POST /v3/conversations (ConversationParameters): the members by id, and the first activity if there is one."""
    try:
        if not isinstance(body, dict):
            raise _Invalid("Expected object, received " + _received(body), "")
        _boolean(body, "isGroup")
        _string(body, "tenantId")
        for key in ("bot", "agent"):
            if key in body:
                _string(_object(body[key], key), "id", required=True, at=key)
        members = body.get("members", _MISSING)
        if members is not _MISSING:
            for index, member in enumerate(_array(members, "members")):
                _string(_object(member, f"members.{index}"), "id", required=True, at=f"members.{index}")
    except _Invalid as invalid:
        return Refusal("BadArgument", invalid.message, invalid.path)
    if "activity" in body:
        return check_sent(body["activity"])
    return None


def split_message(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The chat messages one sent activity becomes: Teams and the Playground show a message's text and each of its
    attachments as messages of their own (unless laid out as a carousel), and answer the send with an id only
    when that is exactly one message. A typing or trace activity stays one."""
    if body.get("type") != "message" or body.get("attachmentLayout") == "carousel":
        return [body]
    parts = [{key: value for key, value in body.items() if key != "attachments"}] if body.get("text") else []
    text_free = {key: value for key, value in body.items() if key not in ("text", "textFormat", "attachments")}
    parts += [{**text_free, "attachments": [attachment]} for attachment in body.get("attachments") or []]
    return parts


def _content(body: dict[str, Any]) -> None:
    """The fields a message and its edit share, in the schemas' order (zod reports the first failing key)."""
    _enum(body, "textFormat", _TEXT_FORMATS)
    _enum(body, "attachmentLayout", _LAYOUTS)
    if "attachments" in body:
        for index, attachment in enumerate(_array(body["attachments"], "attachments")):
            _attachment(attachment, f"attachments.{index}")
    if "entities" in body:
        for index, entity in enumerate(_array(body["entities"], "entities")):
            _string(_object(entity, f"entities.{index}"), "type", required=True, at=f"entities.{index}")
    _boolean(body, "feedbackLoopEnabled")


def _attachment(value: Any, path: str) -> None:
    if not isinstance(value, dict) or not isinstance(value.get("contentType"), str):
        raise _Invalid("Invalid input", path)
    if _ADAPTIVE.match(value["contentType"]):
        # An Adaptive Card needs its card: anything else fails the "not an Adaptive Card" branch's pattern.
        if value["contentType"] != ADAPTIVE_CARD or not isinstance(value.get("content"), dict):
            raise _Invalid("Invalid", f"{path}.content", dirty=True)
        return
    for key in ("contentUrl", "name", "thumbnailUrl"):
        if key in value and not isinstance(value[key], str):
            raise _Invalid("Invalid input", f"{path}.{key}")


def _conversation(body: dict[str, Any]) -> None:
    if "conversation" in body:
        conversation = _object(body["conversation"], "conversation")
        _string(conversation, "id", required=True, at="conversation")
        _enum(conversation, "conversationType", _CONVERSATION_TYPES, at="conversation")
        _string(conversation, "tenantId", at="conversation")


def _empty(body: dict[str, Any]) -> Refusal | None:
    if "text" not in body and not body.get("attachments"):
        return Refusal("BadSyntax", "Activity must include non empty 'text' field or at least 1 attachment")
    return None


def _received(value: Any) -> str:
    """zod's name for a value's type."""
    if value is _MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "nan" if isinstance(value, float) and math.isnan(value) else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _string(body: dict[str, Any], key: str, *, required: bool = False, at: str = "") -> None:
    value = body.get(key, _MISSING)
    if value is _MISSING and not required:
        return
    if not isinstance(value, str):
        raise _Invalid("Required" if value is _MISSING else f"Expected string, received {_received(value)}",
                       _join(at, key))


def _boolean(body: dict[str, Any], key: str) -> None:
    value = body.get(key, _MISSING)
    if value is not _MISSING and not isinstance(value, bool):
        raise _Invalid(f"Expected boolean, received {_received(value)}", key)


def _enum(body: dict[str, Any], key: str, options: tuple[str, ...], *, at: str = "") -> None:
    value = body.get(key, _MISSING)
    if value is _MISSING:
        return
    expected = " | ".join(f"'{option}'" for option in options)
    if not isinstance(value, str):
        raise _Invalid(f"Expected {expected}, received {_received(value)}", _join(at, key))
    if value not in options:
        raise _Invalid(f"Invalid enum value. Expected {expected}, received '{value}'", _join(at, key))


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(f"Expected object, received {_received(value)}", path)
    return value


def _array(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Invalid(f"Expected array, received {_received(value)}", path)
    return value

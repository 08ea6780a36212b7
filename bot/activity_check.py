"""The desk's contract for an inbound activity: media type, body size and depth, and the fields a turn relies on."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

from microsoft_agents.activity import Activity, AdaptiveCardInvokeValue
from pydantic import ModelWrapValidatorHandler, model_validator

# Teams refuses bot messages over about 100 KB (413 MessageSizeTooBig, learn.microsoft.com "Format your bot
# messages"), and what it sends a bot is the same kind of message plus the envelope (ids, channelData, entities).
# 256 KiB leaves that envelope room to spare yet keeps a refused body cheap; aiohttp's own limit (1 MiB) stays the
# hard ceiling for bodies sent without a Content-Length.
MAX_BODY_BYTES = 256 * 1024
# Real activities nest a handful of levels (value.action.data.field, attachments with cards a few dozen at most);
# anything deeper is an attack on the parser or on the recursion of whatever walks it next.
MAX_DEPTH = 64

# Sizes of the values the desk stores (storage/models.py: conversation_refs, card_copies): refused here, not
# truncated or failed on by PostgreSQL after a turn has started.
MAX_ID = 200  # Teams user and bot ids ("29:…", "28:…"), activity ids (card_copies.activity_id)
MAX_CONVERSATION_ID = 400
MAX_SERVICE_URL = 400
MAX_CHANNEL_ID = 40
MAX_NAME = 256  # Entra display names
MAX_TYPE = 64  # activity types and invoke names are short protocol words
MAX_VERB = 100
# BCP-47 tags: 35 characters cover every registered tag (RFC 5646 §4.4.1); "ca-ES-valencia" is a real Teams locale.
MAX_LOCALE = 35
_LOCALE = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*")
_CHANNEL = re.compile(r"[A-Za-z0-9._-]+(?::[A-Za-z0-9._-]+)?")

HANDLED_TYPES = frozenset({"message", "invoke", "conversationUpdate", "installationUpdate"})
ACTION_INVOKE = "adaptiveCard/action"
ACTION_EXECUTE = "Action.Execute"
# Teams sends neither agentic roles nor buffered delivery modes to this bot; they switch the SDK onto other paths.
_ROLES = frozenset({"user", "bot"})
_DELIVERY_MODES = frozenset({"normal"})
JSON_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class Refusal:
    """Why an activity is refused: the HTTP status and a short fixed reason (never an echo of the input)."""

    status: int
    reason: str


@dataclass(frozen=True)
class Inbound:
    """An activity that meets the contract: the parsed body, and the tenant it says it comes from."""

    body: dict[str, Any]
    tenant_id: str | None


class _Invalid(ValueError):
    """One contract violation, carrying its short reason."""


class _QuietActivity(Activity):
    """The SDK's Activity validation without its wrap validator, which logs every ValidationError with a traceback:
    a malformed activity is an expected input here, refused with 400 and one warning."""

    @model_validator(mode="wrap")
    @classmethod
    def _validate_channel_id(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        return handler(data)


def media_type_refusal(content_type: str, charset: str | None) -> Refusal | None:
    """Activities are JSON in UTF-8 (RFC 8259); a charset parameter is optional."""
    if content_type.lower() != JSON_MEDIA_TYPE:
        return Refusal(415, "Content-Type must be application/json")
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return Refusal(415, "Content-Type must be application/json in UTF-8")
    return None


def size_refusal(content_length: int | None) -> Refusal | None:
    if content_length is not None and content_length > MAX_BODY_BYTES:
        return TOO_LARGE
    return None


TOO_LARGE = Refusal(413, f"An activity must not exceed {MAX_BODY_BYTES} bytes")


def inspect(raw: bytes) -> Inbound | Refusal:
    """Parses the body once and checks the shape the desk relies on; a Refusal says why not."""
    if len(raw) > MAX_BODY_BYTES:
        return TOO_LARGE
    try:
        body = _parse(raw)
        tenant_id = _check(body)
    except _Invalid as invalid:
        return Refusal(400, str(invalid))
    return Inbound(body=body, tenant_id=tenant_id)


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid("An activity must be UTF-8 JSON") from None
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        # RecursionError: the C scanner's guard against deep nesting ([[[[…), raised before any harm is done.
        raise _Invalid("Invalid JSON") from None
    if not isinstance(body, dict):
        raise _Invalid("An activity must be a JSON object")
    problem = _structure_problem(body)
    if problem is not None:
        raise _Invalid(problem)
    return body


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _structure_problem(value: object) -> str | None:
    """Too deep, or a string no store or reply can carry. Iterative, so the check cannot exhaust the stack itself."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not _storable(item):
                return "Strings must be valid Unicode without NUL characters"
        elif isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"An activity must not nest deeper than {MAX_DEPTH} levels"
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return None


def _storable(text: str) -> bool:
    """JSON may escape lone surrogates (\\ud800) and NUL (\\u0000); neither can be encoded as UTF-8 or stored in
    PostgreSQL text, so they would fail a turn half-way instead of here."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# The conversation types Teams sends (Bot Framework activity schema, Teams channel).
CONVERSATION_TYPES = frozenset({"personal", "groupChat", "channel"})


def _check(body: dict[str, Any]) -> str | None:
    """The envelope every activity needs for the SDK to reply at all, then what each handled type reads."""
    kind = _string(body, "type", MAX_TYPE, required=True)
    _service_url(body.get("serviceUrl"))
    conversation = _object(body, "conversation", required=True)
    _string(conversation, "id", MAX_CONVERSATION_ID, required=True, where="conversation.id")
    conversation_type = _string(conversation, "conversationType", MAX_TYPE, where="conversation.conversationType")
    # The SDK copies the conversation into its reply, and Teams' connectors refuse any other type there: the turn
    # would run and then fail to answer.
    if conversation_type is not None and conversation_type not in CONVERSATION_TYPES:
        raise _Invalid("conversation.conversationType must be personal, groupChat or channel")
    conversation_tenant = _string(conversation, "tenantId", MAX_ID, where="conversation.tenantId")
    _account(body, "recipient")
    sender = _account(body, "from")
    aad_object_id = _string(sender, "aadObjectId", 64, where="from.aadObjectId")
    if aad_object_id is not None and not _is_guid(aad_object_id):
        raise _Invalid("from.aadObjectId must be an Entra object id")
    # The SDK keys conversation state by channel and conversation: without a channel id every turn fails.
    channel_id = _string(body, "channelId", MAX_CHANNEL_ID, required=True)
    if not _CHANNEL.fullmatch(channel_id or ""):
        raise _Invalid("channelId is malformed")
    locale = _string(body, "locale", MAX_LOCALE)
    if locale is not None and not _LOCALE.fullmatch(locale):
        raise _Invalid("locale must be a BCP-47 language tag")
    # Both end up in the path of the reply's URL (…/activities/{id}), which servers cap at 8 KB. Teams gives every
    # message and invoke an id; without one the SDK answers with "id": null, which Teams' connectors refuse.
    _string(body, "id", MAX_ID, required=kind in ("message", "invoke"))
    _string(body, "replyToId", MAX_ID)
    delivery_mode = _string(body, "deliveryMode", MAX_TYPE)
    if delivery_mode is not None and delivery_mode not in _DELIVERY_MODES:
        raise _Invalid("deliveryMode is not supported")
    tenant = _channel_data_tenant(body)
    if kind == "invoke":
        _invoke(body)
    _sdk_model(body)
    return tenant or conversation_tenant


def _service_url(value: object) -> None:
    """Replies go to this URL: an absolute http(s) URL with a host (which hosts may be trusted is auth's business)."""
    if not isinstance(value, str) or not value:
        raise _Invalid("serviceUrl is required")
    if len(value) > MAX_SERVICE_URL or any(ch.isspace() or ord(ch) < 0x20 for ch in value):
        raise _Invalid("serviceUrl must be an absolute http(s) URL")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise _Invalid("serviceUrl must be an absolute http(s) URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise _Invalid("serviceUrl must be an absolute http(s) URL")


def _account(body: dict[str, Any], key: str) -> dict[str, Any]:
    account = _object(body, key, required=True)
    _string(account, "id", MAX_ID, required=True, where=f"{key}.id")
    _string(account, "name", MAX_NAME, where=f"{key}.name", allow_empty=True)
    role = _string(account, "role", MAX_TYPE, where=f"{key}.role")
    if role is not None and role not in _ROLES:
        raise _Invalid(f"{key}.role is not supported")
    return account


def _channel_data_tenant(body: dict[str, Any]) -> str | None:
    if "channelData" not in body or body["channelData"] is None:
        return None
    channel_data = _object(body, "channelData")
    if channel_data.get("tenant") is None:
        return None
    tenant = _object(channel_data, "tenant", where="channelData.tenant")
    return _string(tenant, "id", MAX_ID, where="channelData.tenant.id")


def _invoke(body: dict[str, Any]) -> None:
    name = _string(body, "name", MAX_TYPE, required=True, where="name (of an invoke)")
    if name != ACTION_INVOKE:
        return  # other invoke names reach the agent, which answers them with a proper invoke response
    value = _object(body, "value", required=True)
    action = _object(value, "action", required=True, where="value.action")
    if action.get("type") != ACTION_EXECUTE:
        raise _Invalid("value.action.type must be Action.Execute")
    _string(action, "verb", MAX_VERB, required=True, where="value.action.verb")
    _string(action, "id", MAX_ID, where="value.action.id", allow_empty=True)
    data = action.get("data")
    if data is not None and (not isinstance(data, dict) or not all(isinstance(k, str) and k for k in data)):
        raise _Invalid("value.action.data must be an object")
    try:
        AdaptiveCardInvokeValue.model_validate(value)
    except Exception:  # noqa: BLE001 - any way the SDK's model refuses it, the card's action is malformed
        raise _Invalid("value is not an Action.Execute invoke value") from None


def _sdk_model(body: dict[str, Any]) -> None:
    """The SDK validates the body again itself; a body it would refuse is refused here first, without its traceback."""
    try:
        _QuietActivity.model_validate(body)
    except Exception:  # noqa: BLE001 - ValidationError, and TypeError/ValueError raised inside the SDK's validators
        raise _Invalid("The activity does not match the Bot Framework schema") from None
    try:
        # Cannot fail on fields now (same validators); only the SDK's own consistency checks remain.
        Activity.model_validate(body)
    except Exception:  # noqa: BLE001
        raise _Invalid("The activity does not match the Bot Framework schema") from None


def _object(container: dict[str, Any], key: str, *, required: bool = False, where: str | None = None) -> dict[str, Any]:
    value = container.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(f"{where or key} must be an object")
    return value


def _string(
    container: dict[str, Any],
    key: str,
    limit: int,
    *,
    required: bool = False,
    where: str | None = None,
    allow_empty: bool = False,
) -> str | None:
    value = container.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (not value and not allow_empty) or (required and not value.strip()):
        raise _Invalid(f"{where or key} must be a non-empty string")
    if len(value) > limit:
        raise _Invalid(f"{where or key} must not exceed {limit} characters")
    return value


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36

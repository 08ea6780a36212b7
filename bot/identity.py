"""Who is speaking: the actor and the conversation reference, read from the activity Teams sent."""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity

from handlers.context import Actor

# BCP-47 tags fit in 35 characters (RFC 5646 §4.4.1); the longest IANA zone names are about 30.
_MAX_LOCALE = 35
_MAX_TIMEZONE = 64


def tenant_of(activity: Activity) -> str | None:
    """Teams puts the tenant in channelData; the Python models may drop conversation.tenantId, so read both."""
    channel_data = _as_dict(activity.channel_data)
    tenant = _as_dict(channel_data.get("tenant")).get("id")
    if tenant:
        return str(tenant)
    conversation = activity.conversation
    return getattr(conversation, "tenant_id", None) if conversation else None


def actor_from(activity: Activity) -> Actor | None:
    """None when Teams did not say who this is (no Entra object id): the desk acts for no anonymous person."""
    sender = activity.from_property
    aad_object_id = getattr(sender, "aad_object_id", None) if sender else None
    if not sender or not aad_object_id:
        return None
    return Actor(
        user_id=str(aad_object_id),
        name=sender.name or str(aad_object_id),
        tenant_id=tenant_of(activity) or "",
        locale=activity.locale or _client_string(activity, "locale", _MAX_LOCALE) or "en-US",
        teams_user_id=sender.id or "",
        timezone=_client_string(activity, "timezone", _MAX_TIMEZONE),
    )


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    return kind in (None, "personal")


def _client_string(activity: Activity, key: str, limit: int) -> str | None:
    """A clientInfo hint (locale, timezone) when it is a plausible string; the client controls it, so anything else
    (a number, an object, a novel) is no hint at all and the desk's defaults apply."""
    value = _client_info(activity).get(key)
    if isinstance(value, str) and 0 < len(value) <= limit and value.isprintable():
        return value
    return None


def _client_info(activity: Activity) -> dict[str, Any]:
    for entity in activity.entities or []:
        data = _as_dict(entity)
        if data.get("type") == "clientInfo":
            return data
    return {}


def _as_dict(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    return dump(by_alias=True, exclude_none=True) if callable(dump) else {}

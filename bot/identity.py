"""Who is speaking: the actor and the conversation reference, read from the activity Teams sent."""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Activity

from handlers.context import Actor


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
        locale=activity.locale or _client_info(activity).get("locale") or "en-US",
        teams_user_id=sender.id or "",
        timezone=_client_info(activity).get("timezone"),
    )


def is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    return kind in (None, "personal")


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

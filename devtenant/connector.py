"""Bot Connector (Teams side): conversations and activities the bot creates, sends, replies to, updates, deletes."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from devtenant.activities import Refusal, check_new_conversation, check_sent, check_update, split_message
from devtenant.context import Context
from devtenant.states.connector import Conversation

logger = logging.getLogger(__name__)

# Injected failures answer in the connector's words for the status (Teams and the Playground use these codes).
_FAULT_CODES = {400: "BadArgument", 401: "Unauthorized", 403: "Forbidden", 404: "ActivityNotFound",
                429: "TooManyRequests"}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    # The Bot Framework ErrorResponse shape.
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def _refused(request: web.Request, refusal: Refusal) -> web.Response:
    # The answer is the Playground's, word for word; where it failed goes to the log only, as the Playground does.
    logger.warning("connector refused %s %s: %s (at %r)", request.method, request.path, refusal.message, refusal.path)
    return _error(refusal.status, refusal.code, refusal.message)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def _json(request: web.Request) -> dict[str, Any] | None:
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def add_routes(app: web.Application, ctx: Context) -> None:
    state = ctx.state

    @web.middleware
    async def faults(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.startswith("/v3/"):
            rule = await ctx.fault("connector", request.path)
            if rule is not None and rule.status is not None:
                code = _FAULT_CODES.get(rule.status, "ServiceError")
                message = ("The service is busy. Retry the request later." if rule.status == 429 or rule.status >= 500
                           else "The request was refused (injected fault).")
                return _error(rule.status, code, message, headers={"Retry-After": f"{rule.retry_after:g}"})
        return await handler(request)

    def conversation(request: web.Request) -> Conversation | None:
        return state.find_conversation(request.match_info["conversation_id"])

    def not_found() -> web.Response:
        return _error(404, "ConversationNotFound", "Conversation not found.")

    def store(conv: Conversation, body: dict[str, Any], reply_to_id: str | None = None) -> str:
        body = dict(body)
        body.setdefault("from", state.bot_account())
        body["conversation"] = {**(body.get("conversation") or {}), "id": conv.id,
                                "conversationType": conv.conversation_type, "tenantId": conv.tenant_id}
        body.setdefault("timestamp", _now())
        return state.record_activity(conv, body, reply_to_id=reply_to_id)

    def post(conv: Conversation, body: dict[str, Any], reply_to_id: str | None = None) -> str | None:
        """Store what the chat shows for a sent activity; its id only when that is one message (else 202, no id)."""
        ids = [store(conv, part, reply_to_id) for part in split_message(body)]
        return ids[0] if len(ids) == 1 else None

    def posted(activity_id: str | None) -> web.Response:
        return web.json_response({"id": activity_id}, status=201) if activity_id else web.Response(status=202)

    async def create_conversation(request: web.Request) -> web.Response:
        body = await _json(request)
        if body is None:
            return _error(400, "BadSyntax", "Request body is not a valid ConversationParameters object.")
        refusal = check_new_conversation(body)
        if refusal is not None:
            return _refused(request, refusal)
        tenant = (body.get("tenantId") or ((body.get("channelData") or {}).get("tenant") or {}).get("id"))
        if tenant and not ctx.is_our_tenant(str(tenant)):
            return _error(403, "Forbidden", "The bot is not installed in the tenant.")
        members = body.get("members") or []
        if not members:
            return _error(400, "BadArgument", "Conversation members cannot be empty.")
        user_ids = []
        for member in members:
            user_id = state.user_of_teams_id((member or {}).get("aadObjectId")) or \
                state.user_of_teams_id((member or {}).get("id"))
            if user_id is None:
                return _error(400, "BadArgument", "Invalid user identity in provided tenant.")
            user_ids.append(user_id)
        if not body.get("isGroup") and len(user_ids) == 1:
            conv = state.personal_conversation(user_ids[0])
        else:
            digest = hashlib.sha1(",".join(sorted(user_ids)).encode()).hexdigest()
            conv_id = f"19:{digest}@thread.v2"
            conv = state.conversations.get(conv_id) or Conversation(
                conv_id, "groupChat", [state.teams_account(u) for u in user_ids], None, state.tenant_id)
            state.conversations[conv_id] = conv
        result: dict[str, Any] = {"id": conv.id}
        activity_id = post(conv, body["activity"]) if isinstance(body.get("activity"), dict) else None
        if activity_id is not None:
            result["activityId"] = activity_id
        return web.json_response(result, status=201)

    async def list_conversations(request: web.Request) -> web.Response:
        return web.json_response({"conversations": [
            {"id": c.id, "members": c.members} for c in state.conversations.values()], "continuationToken": None})

    async def send(request: web.Request) -> web.Response:
        conv = conversation(request)
        if conv is None:
            return not_found()
        body = await _json(request)
        refusal = check_sent(body)
        if refusal is not None:
            return _refused(request, refusal)
        assert body is not None  # check_sent refuses anything but an object
        return posted(post(conv, body))

    async def reply(request: web.Request) -> web.Response:
        conv = conversation(request)
        if conv is None:
            return not_found()
        body = await _json(request)
        refusal = check_sent(body)
        if refusal is not None:
            return _refused(request, refusal)
        assert body is not None  # check_sent refuses anything but an object
        return posted(post(conv, body, reply_to_id=request.match_info["activity_id"]))

    def existing(request: web.Request) -> tuple[Conversation | None, Any]:
        conv = conversation(request)
        record = state.activities.get(request.match_info["activity_id"])
        if conv is None or record is None or record.conversation_id != conv.id or record.deleted:
            return conv, None
        return conv, record

    async def update(request: web.Request) -> web.Response:
        conv, record = existing(request)
        if conv is None:
            return not_found()
        if record is None:
            return _error(404, "ActivityNotFound", "Activity not found.")
        body = await _json(request)
        refusal = check_update(body)
        if refusal is not None:
            return _refused(request, refusal)
        assert body is not None  # check_update refuses anything but an object
        record.history.append(record.body)
        new_body = dict(body)
        new_body.setdefault("from", record.body.get("from"))
        new_body["conversation"] = record.body.get("conversation")
        new_body.setdefault("timestamp", record.body.get("timestamp"))
        record.body = new_body
        record.updates += 1
        return web.json_response({"id": record.id})

    async def delete(request: web.Request) -> web.Response:
        conv, record = existing(request)
        if conv is None:
            return not_found()
        if record is None:
            return _error(404, "ActivityNotFound", "Activity not found.")
        record.deleted = True
        return web.Response(status=200)

    async def members(request: web.Request) -> web.Response:
        conv = conversation(request)
        if conv is None:
            return not_found()
        return web.json_response(conv.members)

    async def member(request: web.Request) -> web.Response:
        conv = conversation(request)
        if conv is None:
            return not_found()
        user_id = state.user_of_teams_id(request.match_info["member_id"])
        for account in conv.members:
            if account.get("aadObjectId") == user_id:
                return web.json_response(account)
        return _error(404, "MemberNotFound", "The member is not part of the conversation.")

    async def paged_members(request: web.Request) -> web.Response:
        conv = conversation(request)
        if conv is None:
            return not_found()
        return web.json_response({"members": conv.members, "continuationToken": None})

    app.middlewares.append(faults)
    base = "/v3/conversations/{conversation_id}"
    app.router.add_post("/v3/conversations", create_conversation)
    app.router.add_get("/v3/conversations", list_conversations)
    app.router.add_post(f"{base}/activities", send)
    app.router.add_post(f"{base}/activities/{{activity_id}}", reply)
    app.router.add_put(f"{base}/activities/{{activity_id}}", update)
    app.router.add_delete(f"{base}/activities/{{activity_id}}", delete)
    app.router.add_get(f"{base}/members", members)
    app.router.add_get(f"{base}/members/{{member_id}}", member)
    app.router.add_get(f"{base}/pagedmembers", paged_members)
    app.router.add_get(f"{base}/pagedMembers", paged_members)

"""Graph mail: messages created from MIME (base64, text/plain) or JSON as drafts, listed with `$filter` on
internetMessageId, sent with `/send` (202, into Sent Items under a new id) or in one step with `sendMail` (202);
`mailboxSettings` with automaticRepliesSetting; the errors for an unknown user, a user without a mailbox, a
mailbox the application access policy keeps the app from, and the per-mailbox sending limits (429)."""

from __future__ import annotations

import base64
import binascii
import email
import math
import re
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from email.policy import default
from typing import Any

from devtenant.context import Context
from devtenant.graph.core import (
    Endpoint,
    GraphError,
    GraphRequest,
    GraphResponse,
    Handler,
    Router,
    bind_context,
    context_url,
    ok,
    page,
    parse_select,
    parse_top,
)
from devtenant.states.mail import ACCESS_DENIED_MESSAGES, MailItem

READ_ROLES = ("Mail.ReadBasic.All", "Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite")
WRITE_ROLES = ("Mail.ReadWrite",)
SEND_ROLES = ("Mail.Send",)
SETTINGS_ROLES = ("MailboxSettings.Read", "MailboxSettings.ReadWrite")
MESSAGE_TYPE = "microsoft.graph.message"
MESSAGE_PROPERTIES = ("id", "createdDateTime", "lastModifiedDateTime", "sentDateTime", "internetMessageId", "subject",
                      "isDraft", "parentFolderId", "body", "from", "sender", "toRecipients", "internetMessageHeaders")
_FILTER = re.compile(r"^\s*internetMessageId\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)
_MAILBOX_SETTINGS_LANGUAGE = {"en": "en-US", "pl": "pl-PL", "de": "de-DE"}


# ------------------------------------------------------------------ the mailbox and the access policy
def _mailbox(ctx: Context, key: str, *, mail_access: bool = True) -> dict[str, Any]:
    """The user whose mailbox the request addresses, or Graph's error for it."""
    user = ctx.state.find_user(key)
    if user is None:
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{key}' is invalid.")
    if not user.get("mail"):
        raise GraphError(404, "MailboxNotEnabledForRESTAPI",
                         "The mailbox is either inactive, soft-deleted, or is hosted on-premise.")
    mail = ctx.state.mail
    # RBAC for Applications scopes the Mail roles only; an application access policy covers mailbox settings too.
    if (mail_access or mail.denial == "applicationAccessPolicy") and not mail.may_use(user):
        raise GraphError(403, "ErrorAccessDenied", ACCESS_DENIED_MESSAGES[mail.denial])
    return user


def _item(ctx: Context, user: dict[str, Any], message_id: str) -> MailItem:
    item = ctx.state.mail.items.get(message_id)
    if item is None or item.mailbox != user["id"]:
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return item


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ reading a message: MIME or JSON
def _from_mime(ctx: Context, user: dict[str, Any], text: str) -> MailItem:
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise GraphError(400, "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.") \
            from None
    message = email.message_from_bytes(raw, policy=default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise GraphError(400, "ErrorMimeContentConversionFailed", "MIME content conversion failed.")
    to = [a.addr_spec for a in message["To"].addresses] if message["To"] else []
    return MailItem(
        id=ctx.state.mail.new_id(), mailbox=user["id"],
        internet_message_id=str(message["Message-ID"] or f"<{ctx.state.mail.new_id()}@devtenant>"),
        subject=str(message["Subject"] or ""), sender=user["mail"], to=to,
        language=str(message["Content-Language"] or ""), text=_part(message.get_body(("plain",))),
        html=_part(message.get_body(("html",))), created=_now())


def _part(part: MIMEPart | None) -> str:
    if part is None:
        return ""
    return str(part.get_content()).replace("\r\n", "\n")


def _from_json(ctx: Context, user: dict[str, Any], body: Any) -> MailItem:
    if not isinstance(body, dict):
        raise GraphError(400, "ErrorInvalidRequest", "The message is missing.")
    content: dict[str, Any] = body["body"] if isinstance(body.get("body"), dict) else {}
    is_html = str(content.get("contentType", "text")).lower() == "html"
    to = []
    for recipient in body.get("toRecipients") or []:
        address = ((recipient or {}).get("emailAddress") or {}).get("address")
        if not isinstance(address, str) or "@" not in address:
            raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
        to.append(address)
    headers = {str(h.get("name", "")).lower(): str(h.get("value", ""))
               for h in body.get("internetMessageHeaders") or [] if isinstance(h, dict)}
    return MailItem(
        id=ctx.state.mail.new_id(), mailbox=user["id"],
        internet_message_id=str(body.get("internetMessageId") or f"<{ctx.state.mail.new_id()}@devtenant>"),
        subject=str(body.get("subject") or ""), sender=user["mail"], to=to,
        language=headers.get("content-language", ""), text="" if is_html else str(content.get("content") or ""),
        html=str(content.get("content") or "") if is_html else "", created=_now())


def _message(ctx: Context, request: GraphRequest, user: dict[str, Any]) -> MailItem:
    content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type == "text/plain":
        return _from_mime(ctx, user, request.body if isinstance(request.body, str) else "")
    return _from_json(ctx, user, request.body)


# ------------------------------------------------------------------ sending
def _send(ctx: Context, item: MailItem) -> None:
    """Submit the message: the sending limits, then Sent Items."""
    if not item.to:
        raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient isn't valid.")
    over = ctx.state.mail.spend_send(item.mailbox, len(item.to))
    if over is not None:
        wait, limit = over
        message = ("Application is over its MailboxConcurrency limit." if limit == "minute"
                   else "The sender has exceeded the daily recipient limit.")
        code = "ApplicationThrottled" if limit == "minute" else "ErrorExceededMessageLimit"
        raise GraphError(429, code, message, headers={"Retry-After": str(math.ceil(wait))})
    ctx.state.mail.mark_sent(item, _now())


def _settings_view(ctx: Context, user: dict[str, Any]) -> dict[str, Any]:
    replies = ctx.state.mail.automatic_replies.get(user["id"], {"status": "disabled"})
    setting = {"status": "disabled", "externalAudience": "all", "internalReplyMessage": "",
               "externalReplyMessage": "",
               "scheduledStartDateTime": {"dateTime": "2020-01-01T00:00:00.0000000", "timeZone": "UTC"},
               "scheduledEndDateTime": {"dateTime": "2020-01-02T00:00:00.0000000", "timeZone": "UTC"}, **replies}
    language = _MAILBOX_SETTINGS_LANGUAGE.get(str(user.get("preferredLanguage") or "en")[:2].lower(), "en-US")
    return {"automaticRepliesSetting": setting, "timeZone": "UTC", "archiveFolder": "archive",
            "language": {"locale": language, "displayName": language}, "dateFormat": "yyyy-MM-dd",
            "timeFormat": "HH:mm", "delegateMeetingMessageDeliveryOptions": "sendToDelegateOnly"}


def register(router: Router, ctx: Context) -> None:
    def bind(fn: Endpoint) -> Handler:
        return bind_context(ctx, fn)

    async def list_messages(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
        owner = _mailbox(ctx, user)
        select = parse_select(request, MESSAGE_PROPERTIES, MESSAGE_TYPE)
        top = parse_top(request, default=10, maximum=1000)
        items = [m for m in ctx.state.mail.items.values() if m.mailbox == owner["id"]]
        raw_filter = request.option("filter")
        if raw_filter:
            match = _FILTER.match(raw_filter)
            if match is None:
                raise GraphError(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid "
                                                                    "nodes.")
            wanted = match.group(1).replace("''", "'")
            items = [m for m in items if m.internet_message_id == wanted]
        views = [m.graph_view() for m in items]
        if select:
            views = [{k: v[k] for k in ("id", *select)} for v in views]
        body: dict[str, Any] = {"@odata.context": context_url(ctx, f"users('{user}')/messages", select)}
        return ok(page(ctx, request, views, top, body))

    async def get_message(ctx: Context, request: GraphRequest, user: str, message: str) -> GraphResponse:
        owner = _mailbox(ctx, user)
        select = parse_select(request, MESSAGE_PROPERTIES, MESSAGE_TYPE)
        view = _item(ctx, owner, message).graph_view()
        return ok({k: view[k] for k in ("id", *select)} if select else view)

    async def create_message(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
        owner = _mailbox(ctx, user)
        item = _message(ctx, request, owner)
        ctx.state.mail.items[item.id] = item
        return ok({"@odata.context": context_url(ctx, f"users('{user}')/messages", entity=True),
                   **item.graph_view()}, status=201)

    async def send_message(ctx: Context, request: GraphRequest, user: str, message: str) -> GraphResponse:
        owner = _mailbox(ctx, user)
        item = _item(ctx, owner, message)
        if not item.is_draft:  # only reachable by the Sent Items id: a sent item is not a draft any more
            raise GraphError(400, "ErrorInvalidOperation", "Only draft messages can be sent.")
        _send(ctx, item)
        return GraphResponse(202)

    async def send_mail(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
        owner = _mailbox(ctx, user)
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        body = request.body
        if content_type != "text/plain":
            if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
                raise GraphError(400, "ErrorInvalidRequest", "The message is missing.")
            save = body.get("saveToSentItems", True) is not False
            item = _from_json(ctx, owner, body["message"])
        else:
            save, item = True, _from_mime(ctx, owner, body if isinstance(body, str) else "")
        _send(ctx, item)
        if not save:
            ctx.state.mail.unsaved.append(item)
            del ctx.state.mail.items[item.id]
        return GraphResponse(202)

    async def mailbox_settings(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
        owner = _mailbox(ctx, user, mail_access=False)
        return ok({"@odata.context": context_url(ctx, f"users('{user}')/mailboxSettings"),
                   **_settings_view(ctx, owner)})

    async def automatic_replies(ctx: Context, request: GraphRequest, user: str) -> GraphResponse:
        owner = _mailbox(ctx, user, mail_access=False)
        return ok({"@odata.context": context_url(ctx, f"users('{user}')/mailboxSettings/automaticRepliesSetting"),
                   **_settings_view(ctx, owner)["automaticRepliesSetting"]})

    router.add("GET", "/users/{user}/messages", bind(list_messages), READ_ROLES)
    router.add("POST", "/users/{user}/messages", bind(create_message), WRITE_ROLES)
    router.add("GET", "/users/{user}/messages/{message}", bind(get_message), READ_ROLES)
    router.add("POST", "/users/{user}/messages/{message}/send", bind(send_message), SEND_ROLES)
    router.add("POST", "/users/{user}/sendMail", bind(send_mail), SEND_ROLES)
    router.add("GET", "/users/{user}/mailboxSettings", bind(mailbox_settings), SETTINGS_ROLES)
    router.add("GET", "/users/{user}/mailboxSettings/automaticRepliesSetting", bind(automatic_replies),
               SETTINGS_ROLES)

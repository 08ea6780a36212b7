"""The Mail port over Graph: drafts created from MIME, found again by Message-ID, sent once; automatic replies read
from mailboxSettings; plus the MIME form, the checks and the sending limits the in-memory fake shares."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from email.header import Header
from email.message import MIMEPart
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global
from kiota_abstractions.headers_collection import HeadersCollection
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from m365.errors import InvalidRequest
from m365.graph import GraphApi, graph_call, send_once_options
from m365.ports import AutomaticReplies, FoundMail, OutgoingMail

# Exchange Online's documented sending limits per mailbox (the devtenant emulator and the memory fake enforce them).
SENDS_PER_MINUTE = 30
RECIPIENTS_PER_DAY = 10_000
AUTOMATIC_REPLY_STATUSES = ("disabled", "alwaysEnabled", "scheduled")
# A Message-ID the desk writes: "<local@domain>" without spaces, quotes or angle brackets inside.
_MESSAGE_ID = re.compile(r"^<[^<>\s\"'@]+@[^<>\s\"'@]+>$")
_ADDRESS = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_ERRORS = {"XXX": ODataError}


def check_outgoing(mail: OutgoingMail) -> None:
    """Refuse, before anything is sent, a mail Graph would refuse or a header that could be forged into."""
    if not _MESSAGE_ID.match(mail.message_id):
        raise InvalidRequest("a Message-ID must look like <key@host>", code="InvalidMessageId", status=400)
    if not _ADDRESS.match(mail.sender):
        raise InvalidRequest("the sender is not an SMTP address", code="InvalidRecipients", status=400)
    if not mail.to or any(not _ADDRESS.match(a) for a in mail.to):
        raise InvalidRequest("at least one recipient, each an SMTP address", code="InvalidRecipients", status=400)
    if any(c in mail.subject for c in "\r\n") or not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", mail.language):
        raise InvalidRequest("a subject is one line and a language a language tag", code="InvalidHeader", status=400)


def mime_message(mail: OutgoingMail, *, date: datetime | None = None) -> bytes:
    """The mail as MIME (multipart/alternative: text/plain then text/html, UTF-8 in base64), CRLF line ends, 7-bit
    clean: a subject outside ASCII becomes RFC 2047 encoded-words.

    Built with email's compat32 classes: the modern API's folding drops the spaces between adjacent encoded-words
    ("Łucji Żółkiewskiej" arrived as "ŁucjiŻółkiewskiej"); Header encodes the whole subject, spaces included."""
    check_outgoing(mail)
    message = MIMEMultipart("alternative")
    message["Message-ID"] = mail.message_id
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    subject: Any = mail.subject if mail.subject.isascii() else Header(mail.subject, "utf-8", header_name="Subject")
    message["Subject"] = subject
    message["Content-Language"] = mail.language
    message.attach(MIMEText(mail.text, "plain", "utf-8"))
    message.attach(MIMEText(mail.html, "html", "utf-8"))
    return message.as_bytes(policy=compat32.clone(linesep="\r\n"))


def mime_body(part: MIMEPart | None) -> str:
    """A MIME part's text, its line ends as "\\n" (base64 keeps the text exactly as it was given)."""
    return "" if part is None else str(part.get_content()).replace("\r\n", "\n")


def odata_string(value: str) -> str:
    """A string literal of an OData $filter (a quote inside is doubled)."""
    return "'" + value.replace("'", "''") + "'"


def pick_found(items: list[dict[str, Any]]) -> FoundMail | None:
    """Of the messages carrying one Message-ID, the sent one (it is what counts), else the first draft."""
    found = [FoundMail(str(v["id"]), bool(v.get("isDraft"))) for v in items if v.get("id")]
    return next((f for f in found if not f.is_draft), found[0] if found else None)


def graph_moment(value: dict[str, Any] | None) -> datetime | None:
    """A Graph dateTimeTimeZone (``{"dateTime": "2026-03-14T07:00:00.0000000", "timeZone": "UTC"}``) as aware UTC.

    The zone is UTC, an IANA name or a Windows name (Outlook's settings use those; CLDR's mapping via Babel)."""
    if not value or not value.get("dateTime"):
        return None
    text = str(value["dateTime"]).replace("Z", "")
    head, _, fraction = text.partition(".")
    moment = datetime.fromisoformat(head + (f".{fraction[:6]}" if fraction else ""))
    zone_name = str(value.get("timeZone") or "UTC")
    return moment.replace(tzinfo=_zone(zone_name)).astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    if name.upper() in ("UTC", "GMT", "Z", "ETC/UTC"):
        return ZoneInfo("UTC")
    iana = get_global("windows_zone_mapping").get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {name!r} in automatic replies", code="InvalidTimeZone") from None


def automatic_replies_of(body: dict[str, Any]) -> AutomaticReplies:
    """Graph's automaticRepliesSetting as our value (an unknown status counts as disabled)."""
    status = str(body.get("status") or "disabled")
    if status not in AUTOMATIC_REPLY_STATUSES:
        status = "disabled"
    if status != "scheduled":
        return AutomaticReplies(status)
    return AutomaticReplies(status, graph_moment(body.get("scheduledStartDateTime")),
                            graph_moment(body.get("scheduledEndDateTime")))


class GraphMail:
    """Mail over Graph (Mail.Send restricted to the sender mailbox; Mail.ReadBasic or Mail.Read for ``find``;
    MailboxSettings.Read for automatic replies). Requests are built raw through the SDK's adapter, which keeps
    the token, retries of reads and error mapping; the two writes are sent once."""

    def __init__(self, graph: GraphApi) -> None:
        self._graph = graph

    def _request(self, method: Method, path: str, *, write: bool = False) -> RequestInformation:
        info = RequestInformation()
        if write:
            info.add_request_options(send_once_options())
        info.http_method = method
        info.url = f"{self._graph.base_url}{path}"
        info.headers = HeadersCollection()
        info.headers.try_add("Accept", "application/json")
        return info

    async def _json(self, info: RequestInformation) -> dict[str, Any]:
        raw = await graph_call(self._graph.adapter.send_primitive_async(info, "bytes", _ERRORS))
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise InvalidRequest("Graph answered with a body that is not JSON") from exc
        return body if isinstance(body, dict) else {}

    async def find(self, sender: str, message_id: str) -> FoundMail | None:
        query = (f"$filter={quote('internetMessageId eq ' + odata_string(message_id), safe='')}"
                 "&$select=id,isDraft")
        body = await self._json(self._request(Method.GET, f"/users/{_key(sender)}/messages?{query}"))
        return pick_found([v for v in body.get("value", []) if isinstance(v, dict)])

    async def create_draft(self, mail: OutgoingMail) -> str:
        info = self._request(Method.POST, f"/users/{_key(mail.sender)}/messages", write=True)
        info.set_stream_content(base64.b64encode(mime_message(mail)), "text/plain")
        body = await self._json(info)
        if not body.get("id"):
            raise InvalidRequest("creating a draft answered without its id", code="NoMessageId")
        return str(body["id"])

    async def send_draft(self, sender: str, draft_id: str) -> None:
        info = self._request(Method.POST, f"/users/{_key(sender)}/messages/{_key(draft_id)}/send", write=True)
        await graph_call(self._graph.adapter.send_no_response_content_async(info, _ERRORS))

    async def automatic_replies(self, user_id: str) -> AutomaticReplies:
        info = self._request(Method.GET, f"/users/{_key(user_id)}/mailboxSettings/automaticRepliesSetting")
        return automatic_replies_of(await self._json(info))


def _key(value: str) -> str:
    """A path segment: a UPN keeps its "@"; a message id's "/", "+" and "=" are escaped."""
    return quote(value.strip(), safe="@")

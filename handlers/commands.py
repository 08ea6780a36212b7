"""Chat commands: the parser that runs the registry's commands on what people type (en/pl/de), the bounds on
what a message may be, and the desk's own commands (help, my requests, withdraw, SLA)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, fields, is_dataclass

from kinds.registry import Parsed, Registry


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class ShowMyRequests:
    pass


@dataclass(frozen=True, slots=True)
class WithdrawRequest:
    """The requester's "withdraw REQ-2026-000123": the handler checks it is theirs and still waiting."""

    request_id: str


@dataclass(frozen=True, slots=True)
class ShowSla:
    """An admin's "sla" (this month) or "sla 2026-11", as typed: the handler validates the month."""

    month: str = ""  # "" = the current month


@dataclass(frozen=True, slots=True)
class Unknown:
    text: str


@dataclass(frozen=True, slots=True)
class TooLong:
    """Input longer than anything the desk could act on, refused before any lookup: the whole message, or one name
    or address in it. ``key`` is the message to answer with; ``start`` the value's first characters, to say which."""

    key: str
    limit: int
    length: int
    start: str = ""


# The longest plain text a message may have (markup removed). Commands are short; the longest legitimate message is
# a pasted list at the list commands' bulk limit (200 addresses, kinds/lists/members.py), which at up to 80
# characters an address is 16,000. Teams itself takes about 28 KB in a message; past this bound the text is not
# a command the desk could carry out, and the parser's patterns are never run on more.
MAX_MESSAGE = 16_000
# What Teams may send around that text (HTML of a pasted list, mentions) before markup is removed.
MAX_RAW_MESSAGE = 4 * MAX_MESSAGE
# One name or address parsed from a command: Entra and Exchange display names have at most 256 characters, an SMTP
# address at most 320 (RFC 5321: 64 + "@" + 255). Anything longer names nothing, so it is refused before a lookup.
MAX_NAME = 256
MAX_ADDRESS = 320
_START = 40  # characters of a too-long value quoted back


_HELP = re.compile(r"^(?:help|\?|start|hi|hello|pomoc|cześć|czesc|hilfe|hallo)$", re.IGNORECASE)
_MY_REQUESTS = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?"
    r"(?:my requests|requests|status|moje wnioski|wnioski|meine anträge|meine antraege|anträge)$",
    re.IGNORECASE,
)
_REQUEST_ID = r"(?P<id>REQ-\d{4}-\d{1,9})"
# "withdraw REQ-2026-000123", "cancel request REQ-…"; "wycofaj wniosek REQ-…", "anuluj REQ-…";
# "Antrag REQ-… zurückziehen", "storniere REQ-…". Only a request id is taken, so nothing else can be withdrawn by it.
_WITHDRAW_PATTERNS = (
    re.compile(
        rf"^(?:withdraw|cancel|wycofaj|anuluj|storniere|ziehe)\s+(?:(?:my\s+)?request\s+|(?:m[óo]j\s+)?wniosek\s+"
        rf"|(?:meinen\s+)?antrag\s+)?{_REQUEST_ID}(?:\s+zur[üu]ck)?$",
        re.IGNORECASE,
    ),
    re.compile(rf"^(?:antrag\s+)?{_REQUEST_ID}\s+(?:zur[üu]ckziehen|zurueckziehen|stornieren)$", re.IGNORECASE),
)
# "sla" / "sla 2026-11" in every language (SLA is the word in Polish and German too).
_SLA = re.compile(r"^(?:(?:show|poka[żz]|zeige?)\s+)?sla(?:\s+(?P<month>.+))?$", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def clean_text(raw: str | None) -> str:
    """Teams may send HTML and @mentions; commands are plain words."""
    without_mentions = re.sub(r"<at>.*?</at>", " ", raw or "", flags=re.IGNORECASE)
    plain = html.unescape(_TAGS.sub(" ", without_mentions))
    return re.sub(r"\s+", " ", plain).strip().rstrip(".!")


def parse(raw: str | None, registry: Registry) -> Parsed | TooLong | Unknown:
    """The command typed with the route that handles it (the registry's commands, tried in their order), TooLong
    when the message or a name or address in it is longer than any real one, else Unknown."""
    if raw is not None and len(raw) > MAX_RAW_MESSAGE:
        return TooLong("names.too_long.message", MAX_MESSAGE, len(raw))
    text = clean_text(raw)
    if len(text) > MAX_MESSAGE:
        return TooLong("names.too_long.message", MAX_MESSAGE, len(text))
    parsed = registry.parse(text, raw)
    if parsed is None:
        return Unknown(text=text)
    return too_long(parsed.command) or parsed


def too_long(command: object) -> TooLong | None:
    """The first name or address in the command longer than any real one (a value with "@" is an address)."""
    if isinstance(command, Unknown) or not is_dataclass(command):
        return None  # an unknown command's text is bounded by MAX_MESSAGE and only ever quoted back shortened
    for field in fields(command):
        value = getattr(command, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str) and (refusal := argument_too_long(item)):
                return refusal
    return None


def argument_too_long(value: str) -> TooLong | None:
    """A refusal when ``value`` is longer than any display name (256) or, when it has an "@", any address (320)."""
    value = value.strip()
    if "@" in value and len(value) > MAX_ADDRESS:
        return TooLong("names.too_long.address", MAX_ADDRESS, len(value), value[:_START])
    if "@" not in value and len(value) > MAX_NAME:
        return TooLong("names.too_long.name", MAX_NAME, len(value), value[:_START])
    return None


def parse_help(text: str, _raw: str | None) -> ShowHelp | None:
    return ShowHelp() if not text or _HELP.match(text) else None


def parse_my_requests(text: str, _raw: str | None) -> ShowMyRequests | None:
    return ShowMyRequests() if _MY_REQUESTS.match(text) else None


def parse_withdraw(text: str, _raw: str | None) -> WithdrawRequest | None:
    for pattern in _WITHDRAW_PATTERNS:
        if found := pattern.match(text):
            return WithdrawRequest(request_id=found.group("id").upper())
    return None


def parse_sla(text: str, _raw: str | None) -> ShowSla | None:
    found = _SLA.match(text)
    return ShowSla(month=(found.group("month") or "").strip()) if found else None

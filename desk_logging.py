"""The desk's logging: JSON lines or text, the turn's and job's context on every line, and secrets redacted.

Why the standard library and not python-json-logger: the formatter is twenty lines, the fields are fixed (time,
level, logger, message, the context and any ``extra``), and the line must pass through the redaction anyway, so a
dependency would add nothing but an install. Nothing here runs at import time; app.py's CLI calls ``configure``.

What goes in the context (``log_scope`` / ``bind``): ids only, as http_request_id, activity_id, req_id (REQ-…),
user_id (the person's Entra object id) and job_id. Never a token, a secret or what a person wrote.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from aiohttp import web

# The context of the turn or job the current task works on. A ContextVar (not a global value): each asyncio task
# sees its own, and a scope resets it when the request or job ends.
_CONTEXT: ContextVar[Mapping[str, object]] = ContextVar("desk_log_context", default=MappingProxyType({}))

REQUEST_ID_HEADER = "X-Request-Id"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

# Attributes every LogRecord has; anything else on a record came from ``extra`` and goes into the JSON object.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

_REDACTED = "[redacted]"
# Second line of defence, after not logging such things at all: bearer tokens, JWTs (a base64url JSON header always
# starts "eyJ"), secrets in form bodies or query strings, and report download links (their token is the only key to
# the file, and aiohttp's access log writes every request's path).
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    re.compile(r"(/reports/)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"eyJ[A-Za-z0-9_\-]{6,}(?:\.[A-Za-z0-9_\-]*){0,2}"),
    re.compile(r"(?i)((?:client_secret|client_assertion|password|refresh_token|access_token|id_token)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"),
)


def bind(**fields: object) -> None:
    """Adds ids to the current scope's context (None values are left out); the scope's end takes them away."""
    current = _CONTEXT.get()
    _CONTEXT.set({**current, **{name: value for name, value in fields.items() if value is not None}})


@contextlib.contextmanager
def log_scope(**fields: object) -> Iterator[None]:
    """A fresh context for one unit of work (an HTTP request, a job): what it binds ends with it."""
    token = _CONTEXT.set({name: value for name, value in fields.items() if value is not None})
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_context() -> Mapping[str, object]:
    return _CONTEXT.get()


@web.middleware
async def request_scope(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every HTTP request gets its own log scope and id (the caller's X-Request-Id when it is a sane one).

    aiohttp handles a keep-alive connection's requests in one task, so without a scope of its own a request would
    log with the ids the previous one bound.
    """
    given = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    with log_scope(http_request_id=request_id):
        return await handler(request)


class ContextFilter(logging.Filter):
    """Copies the current context onto the record when it is emitted (the formatter may run later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get()
        if context:
            record.desk_context = dict(context)
        return True


class Redactor(logging.Filter):
    """Blanks bearer tokens, JWTs and the configured secrets in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Short values would blank ordinary words; real secrets are long.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + _REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for name, value in list(vars(record).items()):
            if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
                setattr(record, name, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context's ids, ``extra`` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "desk_context", {}))
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name != "desk_context":
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The demo's human-readable line, with the context's ids at the end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = getattr(record, "desk_context", None)
        if not context:
            return line
        ids = " ".join(f"{name}={value}" for name, value in context.items())
        first, newline, rest = line.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"


def configure(*, json_lines: bool, level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None) -> None:
    """Replaces the root logger's handlers with one that redacts, adds the context and formats as asked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(Redactor(secrets))
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())

"""Exchange InvokeCommand failures as typed errors: the status, the cmdlet's ``<ErrorId>|<ExceptionType>|<text>``
detail and the texts Exchange gives no exception of its own."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from m365.errors import (
    AddressInUse,
    DirSynced,
    ExchangeCmdletError,
    ExchangeNotFound,
    InvalidRequest,
    M365Error,
    PermissionDenied,
    Throttled,
    TransientError,
)

_RETRY_STATUSES = frozenset({408, 429, 503, 504})
_CONCURRENCY_TEXT = "maximum number of concurrent requests"
# Texts that mark an error the desk explains to people (M365-APIS.md §2.4); Exchange gives them no own exception.
_ADDRESS_IN_USE_TEXT = "is already being used by the proxy addresses"
_DIR_SYNCED_TEXT = "being synchronized from your on-premises organization"


@dataclass(frozen=True, slots=True)
class CmdletErrorDetail:
    """``error.details[0].message`` of a failed cmdlet: ``<ErrorId>|<ExceptionType>|<text>``."""

    error_id: str
    exception_type: str
    text: str

    @property
    def exception_name(self) -> str:
        """The exception's class name without its namespace (``MemberAlreadyExistsException``)."""
        return self.exception_type.rsplit(".", 1)[-1]


def parse_error_detail(message: str) -> CmdletErrorDetail:
    parts = message.split("|", 2)
    if len(parts) == 3:
        return CmdletErrorDetail(parts[0].strip(), parts[1].strip(), parts[2].strip())
    return CmdletErrorDetail("", "", message.strip())


def exchange_error(
    status: int, body: Any, headers: Mapping[str, str] | None = None, *, cmdlet: str = ""
) -> M365Error:
    """The typed error for a failed InvokeCommand response (``body`` is the parsed JSON or raw text)."""
    code, message, detail = _error_parts(body)
    retry_after = _retry_after(headers)
    text = detail.text if detail is not None else message
    if status == 429:
        return Throttled(text or "throttled", code=code, status=status, retry_after=retry_after)
    if status in _RETRY_STATUSES or _CONCURRENCY_TEXT in json.dumps(body).lower():
        return TransientError(text or f"HTTP {status}", code=code, status=status, retry_after=retry_after)
    if status in (401, 403):
        return PermissionDenied(text or f"HTTP {status}", code=code, status=status)
    if detail is not None and detail.exception_type:
        text_lower = detail.text.lower()
        kind: type[ExchangeCmdletError] = ExchangeCmdletError
        if detail.exception_name == "ManagementObjectNotFoundException":
            kind = ExchangeNotFound
        elif _ADDRESS_IN_USE_TEXT in text_lower:
            kind = AddressInUse
        elif _DIR_SYNCED_TEXT in text_lower:
            kind = DirSynced
        return kind(
            f"{cmdlet}: {detail.text}" if cmdlet else detail.text,
            exception_type=detail.exception_type,
            error_id=detail.error_id,
            code=code,
            status=status,
        )
    if status >= 500:
        return TransientError(text or f"HTTP {status}", code=code, status=status, retry_after=retry_after)
    if status >= 400:
        return InvalidRequest(text or f"HTTP {status}", code=code, status=status)
    return M365Error(text or f"HTTP {status}", code=code, status=status)


def _error_parts(body: Any) -> tuple[str, str, CmdletErrorDetail | None]:
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return "", str(body or "")[:500], None
    error = body["error"]
    code = str(error.get("code") or "")
    message = str(error.get("message") or "")
    details = error.get("details")
    if isinstance(details, list) and details and isinstance(details[0], dict) and details[0].get("message"):
        return code, message, parse_error_detail(str(details[0]["message"]))
    # Fallbacks seen in public clients: the inner error's internal exception, then the outer message.
    inner = error.get("innererror") or error.get("innerError")
    internal = (
        (inner.get("internalexception") or inner.get("internalException"))
        if isinstance(inner, dict)
        else None
    )
    if isinstance(internal, dict) and internal.get("message"):
        return code, message, parse_error_detail(str(internal["message"]))
    return code, message, None


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Retry-After in seconds, looked up case-insensitively (aiohttp's headers are, a plain dict is not)."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None

"""Reading values out of InvokeCommand rows: lists, booleans, times, OPATH date literals, exception names."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from m365.errors import ExchangeCmdletError

logger = logging.getLogger(__name__)


def opath_time(moment: datetime) -> str:
    """A moment as an OPATH date literal: UTC, whole seconds (ISO 8601, which Exchange's parser accepts)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """WhenChangedUTC as an aware UTC datetime; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        logger.warning("unreadable WhenChangedUTC %r", value)
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_list(value: Any) -> list[str]:
    """Multi-valued properties come as arrays, single values or nothing at all."""
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def as_bool(value: Any) -> bool:
    """Booleans come as JSON booleans or as the strings "True"/"False"."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def exception_name(exc: ExchangeCmdletError) -> str:
    """The exception's class name without its namespace (``MemberAlreadyExistsException``)."""
    return exc.exception_type.rsplit(".", 1)[-1]

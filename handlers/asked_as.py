"""What a person typed or clicked to file a request, kept with the request so an expired one can be asked again
with one click (F15): the same command or form, parsed, validated and routed again as if given anew."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

# The command or click being handled in this task (an asyncio task has its own copy); None outside one.
_CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("asked_as", default=None)
PAYLOAD_KEY = "asked_as"


@contextlib.contextmanager
def asking(*, text: str | None = None, verb: str | None = None, data: object = None) -> Iterator[None]:
    """While a command (``text``) or a card click (``verb`` and its ``data``) is handled."""
    token = _CURRENT.set({"text": text} if text is not None else {"verb": verb, "data": data})
    try:
        yield
    finally:
        _CURRENT.reset(token)


def payload() -> dict[str, Any]:
    """The request payload's entry for what is being handled now (none outside a command or click)."""
    asked = _CURRENT.get()
    return {PAYLOAD_KEY: asked} if asked is not None else {}

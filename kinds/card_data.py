"""Card data typed at the edge: a click's ``data`` becomes its verb's own frozen dataclass, or is refused.

Card data are only wishes (anyone can forge a click), so each verb declares what it carries and the bot parses the
raw dict once, before any handler runs: strings are stripped and bounded, integers are integers (not booleans),
absent optional fields are None, and anything that does not fit refuses the click with ``error.bad_card``.
Unknown keys are ignored: cards carry the values of every input on them.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

# A value longer than any name, address or reason the desk accepts is not a wish anyone typed into a card.
DEFAULT_MAX_LENGTH = 4_000

T = TypeVar("T")


def bounded(max_length: int, *, key: str | None = None, optional: bool = False, blank_is_none: bool = True) -> Any:
    """A string field: its longest accepted value, the data key it is read from (default: its name), whether it
    may be absent (then None), and whether an empty string counts as absent."""
    metadata = {"max_length": max_length, "key": key, "blank_is_none": blank_is_none}
    if optional:
        return dataclasses.field(default=None, metadata=metadata)
    return dataclasses.field(metadata=metadata)


@dataclasses.dataclass(frozen=True, slots=True)
class NoData:
    """A verb whose click carries nothing the desk reads."""


def parse_card_data(data_type: type[T], raw: object) -> T | None:
    """``raw`` as ``data_type``, or None when it does not fit."""
    if not isinstance(raw, Mapping):
        raw = {}
    hints = typing.get_type_hints(data_type)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(data_type):  # type: ignore[arg-type]  # every data type is a dataclass
        key = field.metadata.get("key") or field.name
        value = raw.get(key)
        parsed, ok = _value(hints[field.name], value, field.metadata)
        if not ok:
            return None
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if parsed is None and required and not _optional(hints[field.name]):
            return None
        if parsed is not None or _optional(hints[field.name]):
            values[field.name] = parsed
    try:
        return data_type(**values)
    except TypeError:
        return None


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _value(hint: Any, value: object, metadata: Mapping[str, Any]) -> tuple[Any, bool]:
    """(parsed, fits). None stands for absent; whether absent is allowed is the caller's question."""
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        if value is None:
            return None, True
        blank = False
        for arg in (a for a in args if a is not type(None)):
            parsed, ok = _value(arg, value, metadata)
            if ok and parsed is not None:
                return parsed, True
            blank = blank or ok  # an empty text box of an optional field: absent, not a forgery
        return None, blank
    if value is None:
        return None, True
    if hint is str:
        if not isinstance(value, str):
            return None, False
        text = value.strip()
        if len(text) > metadata.get("max_length", DEFAULT_MAX_LENGTH):
            return None, False
        if not text and metadata.get("blank_is_none", True):
            return None, True
        return text, True
    if hint is bool:
        if isinstance(value, bool):
            return value, True
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true", True  # Input.Toggle submits "true"/"false"
        return None, False
    if hint is int:
        return (value, True) if isinstance(value, int) and not isinstance(value, bool) else (None, False)
    raise TypeError(f"card data field type {hint!r} is not supported")

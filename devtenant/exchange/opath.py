"""A subset of Exchange OPATH filters (`-Filter "Name -like 'Sales*' -and IsDirSynced -eq $false"`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from devtenant.exchange.errors import CmdletError, parameter_binding

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<op>-(?:eq|ne|like|notlike|and|or|not|gt|ge|lt|le)\b)
  | (?P<const>\$(?:true|false|null)\b)
  | (?P<paren>[()])
  | (?P<word>[^\s()'"]+)
""", re.VERBOSE | re.IGNORECASE)

Predicate = Callable[[dict[str, Any]], bool]


def _syntax_error() -> CmdletError:
    return parameter_binding('Cannot bind parameter \'Filter\' to the target. Exception setting "Filter": "Invalid '
                             'filter syntax. For a description of the filter parameter syntax see the command help."')


def compile_filter(text: str, properties: set[str]) -> Predicate:
    """Compile an OPATH filter over objects whose filterable properties are `properties`."""
    text = text.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise _syntax_error()
        if match.lastgroup != "ws":
            tokens.append((match.lastgroup or "", match.group()))
        pos = match.end()
    lookup = {p.lower(): p for p in properties}
    index = 0

    def peek() -> tuple[str, str] | None:
        return tokens[index] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        if index >= len(tokens):
            raise _syntax_error()
        index += 1
        return tokens[index - 1]

    def value() -> Any:
        kind, raw = take()
        if kind == "string":
            return raw[1:-1].replace(raw[0] * 2, raw[0])
        if kind == "const":
            return {"$true": True, "$false": False, "$null": None}[raw.lower()]
        if kind == "word":
            return raw
        raise _syntax_error()

    def comparison() -> Predicate:
        kind, raw = take()
        if kind == "paren" and raw == "(":
            inner = disjunction()
            if take() != ("paren", ")"):
                raise _syntax_error()
            return inner
        if kind == "op" and raw.lower() == "-not":
            inner = comparison()
            return lambda obj: not inner(obj)
        if kind != "word":
            raise _syntax_error()
        prop = lookup.get(raw.lower())
        if prop is None:
            raise parameter_binding(f'Cannot bind parameter \'Filter\' to the target. Exception setting "Filter": '
                                    f'"The property \'{raw}\' isn\'t a recognized filterable property."')
        op_kind, op = take()
        if op_kind != "op" or op.lower() in ("-and", "-or", "-not"):
            raise _syntax_error()
        expected = value()
        return _predicate(prop, op.lower(), expected)

    def conjunction() -> Predicate:
        parts = [comparison()]
        while (tok := peek()) is not None and tok[0] == "op" and tok[1].lower() == "-and":
            take()
            parts.append(comparison())
        return lambda obj: all(p(obj) for p in parts)

    def disjunction() -> Predicate:
        parts = [conjunction()]
        while (tok := peek()) is not None and tok[0] == "op" and tok[1].lower() == "-or":
            take()
            parts.append(conjunction())
        return lambda obj: any(p(obj) for p in parts)

    predicate = disjunction()
    if index != len(tokens):
        raise _syntax_error()
    return predicate


def _predicate(prop: str, op: str, expected: Any) -> Predicate:
    def matches(actual: Any) -> bool:
        if isinstance(expected, bool) or expected is None:
            return actual == expected or (expected is None and actual in ("", []))
        if isinstance(actual, bool):
            return str(actual).lower() == str(expected).lower().lstrip("$")
        actual_text, expected_text = str(actual).lower(), str(expected).lower()
        if op in ("-like", "-notlike"):
            # "*" is OPATH's only wildcard; "?", "[" and "%" are literal characters.
            pattern = ".*".join(re.escape(part) for part in expected_text.split("*"))
            return re.fullmatch(pattern, actual_text, re.DOTALL) is not None
        if op in ("-gt", "-ge", "-lt", "-le"):
            return {"-gt": actual_text > expected_text, "-ge": actual_text >= expected_text,
                    "-lt": actual_text < expected_text, "-le": actual_text <= expected_text}[op]
        return actual_text == expected_text

    def check(obj: dict[str, Any]) -> bool:
        actual = obj.get(prop)
        values = actual if isinstance(actual, list) else [actual]
        hit = any(matches(v) for v in values) if values else matches(None)
        return not hit if op in ("-ne", "-notlike") else hit

    return check

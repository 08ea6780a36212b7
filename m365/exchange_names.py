"""Exact-name lookups in Exchange: an OPATH -Filter with quoted literals, and the exact-match test on what comes back.

Exchange reads ``*`` in an -Identity as a wildcard ("Sales*", "*") and an -Identity or -Anr may match several
objects, so a name a person typed is never passed there: it goes into an -Filter as a quoted literal, and only
objects that carry exactly that name (any case) are kept, whatever the server's pattern rules are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from m365.exchange_values import as_list

_OBJECT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
# What a person may call a list or mailbox by: its Name, display name, alias or primary SMTP address.
NAME_PROPERTIES = ("Name", "DisplayName", "Alias", "PrimarySmtpAddress")
# Read along with a lookup, so the exact-match test can see every address and id of what came back.
MATCH_FIELDS = ("ExternalDirectoryObjectId", "Guid", *NAME_PROPERTIES, "EmailAddresses")


def is_object_id(value: str) -> bool:
    """An Entra object id or Exchange Guid: safe as an -Identity (no wildcard, one object at most)."""
    return bool(_OBJECT_ID.match(value.strip()))


def opath_literal(value: str) -> str:
    """``value`` as an OPATH string literal: single-quoted, each quote inside doubled, so nothing typed can end the
    string or add a clause."""
    return "'" + value.replace("'", "''") + "'"


def exact_name_filter(value: str) -> str:
    """An -Filter for objects called exactly ``value`` (Name, display name, alias, primary or proxy address)."""
    literal = opath_literal(value.strip())
    clauses = [f"{prop} -eq {literal}" for prop in NAME_PROPERTIES]
    if "@" in value:
        clauses.append(f"EmailAddresses -eq {opath_literal('smtp:' + value.strip())}")
    return " -or ".join(f"({clause})" for clause in clauses)


def _keys(row: dict[str, Any]) -> set[str]:
    values: Iterable[Any] = [
        *(row.get(prop) for prop in ("ExternalDirectoryObjectId", "Guid", *NAME_PROPERTIES)),
        *as_list(row.get("EmailAddresses")),
    ]
    keys = set()
    for value in values:
        if value:
            text = str(value).casefold()
            keys.add(text[5:] if text.startswith("smtp:") else text)
    return keys


def is_exact(row: dict[str, Any], value: str) -> bool:
    """True when the object is called exactly ``value`` (any case): ids, addresses, alias, Name or display name."""
    return value.strip().casefold() in _keys(row)


def exact_rows(rows: Iterable[dict[str, Any]], value: str) -> list[dict[str, Any]]:
    return [row for row in rows if is_exact(row, value)]

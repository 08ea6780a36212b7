"""`$search` on directory objects: "property:token" clauses joined by AND/OR, matching word prefixes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from devtenant.graph.core import GraphError

_CLAUSE = re.compile(r'"(?P<prop>[A-Za-z]+):(?P<value>[^"]*)"')
_WORD = re.compile(r"[^\W_]+")


def _words(value: Any) -> list[str]:
    # Entra tokenizes on spaces, punctuation and letter case changes; lower-cased word starts are enough here.
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(value or ""))
    return [w.lower() for w in _WORD.findall(text)]


def apply_search(search: str | None, items: list[dict[str, Any]], searchable: Sequence[str],
                 type_name: str) -> list[dict[str, Any]]:
    if search is None:
        return items
    text = search.strip()
    pos, clauses, joins = 0, [], []
    while pos < len(text):
        match = _CLAUSE.match(text, pos)
        if not match:
            raise GraphError(400, "BadRequest", f"Syntax error: character '{text[pos]}' is not valid at position "
                                                f"{pos} in '{text}'.")
        prop = next((p for p in searchable if p.lower() == match["prop"].lower()), None)
        if prop is None:
            raise GraphError(400, "Request_UnsupportedQuery",
                             f"Unsupported or invalid query filter clause specified for property "
                             f"'{match['prop']}' of resource '{type_name}'.")
        clauses.append((prop, [w.lower() for w in _WORD.findall(match["value"])]))
        pos = match.end()
        rest = text[pos:].lstrip()
        if rest:
            op, _, rest = rest.partition(" ")
            if op.upper() not in ("AND", "OR"):
                raise GraphError(400, "BadRequest", f"Syntax error at position {pos} in '{text}'.")
            joins.append(op.upper())
            pos = len(text) - len(rest.lstrip())

    def hit(item: dict[str, Any], prop: str, tokens: list[str]) -> bool:
        words = _words(item.get(prop))
        return all(any(w.startswith(t) for w in words) for t in tokens)

    def keep(item: dict[str, Any]) -> bool:
        result = hit(item, *clauses[0])
        for join, clause in zip(joins, clauses[1:], strict=True):
            result = (result and hit(item, *clause)) if join == "AND" else (result or hit(item, *clause))
        return result

    return [item for item in items if keep(item)]

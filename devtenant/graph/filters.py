"""The OData `$filter` subset Graph supports on directory objects: parse, check against Graph's rules, evaluate."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devtenant.graph.core import GraphError, unsupported_query

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-]))
  | (?P<number>-?\d+(?:\.\d+)?(?![\w-]))
  | (?P<punct>[(),:])
  | (?P<ident>[A-Za-z_][\w./]*)
""", re.VERBOSE)

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("startswith", "endswith", "contains")


@dataclass
class Tok:
    kind: str
    text: str
    pos: int


@dataclass
class Node:
    kind: str  # cmp | func | in | and | or | not | any | all
    op: str = ""
    prop: str = ""  # property path (for any/all: the collection)
    value: Any = None
    children: list[Node] = field(default_factory=list)
    var: str = ""


@dataclass(frozen=True)
class FilterRules:
    """Which properties Graph lets you filter on, with which operators, for one resource type."""

    resource: str  # "User", "Group" — as Graph names it in error messages
    type_name: str  # "microsoft.graph.user"
    eq: frozenset[str]  # eq, in (and, with advanced queries, ne / not)
    startswith: frozenset[str]
    collections: dict[str, frozenset[str]]  # lambda-able collections → sub-properties ("" = primitive)
    known: frozenset[str]  # every property of the type (unknown ones are a different error)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Tok] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise self.syntax(pos)
            kind = match.lastgroup or ""
            if kind != "ws":
                self.tokens.append(Tok(kind, match.group(), pos))
            pos = match.end()
        self.i = 0

    def syntax(self, pos: int | None = None) -> GraphError:
        if pos is None:
            pos = self.tokens[self.i].pos if self.i < len(self.tokens) else len(self.text)
        return GraphError(400, "BadRequest", f"Syntax error at position {pos} in '{self.text}'.")

    def peek(self, offset: int = 0) -> Tok | None:
        index = self.i + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Tok:
        tok = self.peek()
        if tok is None:
            raise self.syntax()
        self.i += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.next()
        if tok.text.lower() != text:
            raise self.syntax(tok.pos)

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "ident" and tok.text.lower() == word:
            self.i += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise self.syntax()
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword("or"):
            node = Node("or", children=[node, self.and_expr()])
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword("and"):
            node = Node("and", children=[node, self.unary()])
        return node

    def unary(self) -> Node:
        if self.keyword("not"):
            return Node("not", children=[self.unary()])
        return self.primary()

    def primary(self) -> Node:
        tok = self.next()
        if tok.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if tok.kind != "ident":
            raise self.syntax(tok.pos)
        name = tok.text
        after = self.peek()
        if name.lower() in FUNCTIONS and after is not None and after.text == "(":
            self.next()
            prop = self.next()
            if prop.kind != "ident":
                raise self.syntax(prop.pos)
            self.expect(",")
            value = self.literal()
            self.expect(")")
            return Node("func", op=name.lower(), prop=prop.text, value=value)
        lowered = name.lower()
        if (lowered.endswith("/any") or lowered.endswith("/all")) and after is not None and after.text == "(":
            self.next()
            var = self.next()
            if var.kind != "ident":
                raise self.syntax(var.pos)
            self.expect(":")
            body = self.or_expr()
            self.expect(")")
            return Node(lowered.rsplit("/", 1)[1], prop=name.rsplit("/", 1)[0], var=var.text, children=[body])
        op = self.next()
        if op.kind == "ident" and op.text.lower() in COMPARISONS:
            return Node("cmp", op=op.text.lower(), prop=name, value=self.literal())
        if op.kind == "ident" and op.text.lower() == "in":
            self.expect("(")
            values = [self.literal()]
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]  # peek() is not None just above
                self.next()
                values.append(self.literal())
            self.expect(")")
            return Node("in", prop=name, value=values)
        raise self.syntax(op.pos)

    def literal(self) -> Any:
        tok = self.next()
        if tok.kind == "string":
            return tok.text[1:-1].replace("''", "'")
        if tok.kind == "guid":
            return tok.text.lower()
        if tok.kind == "number":
            return float(tok.text) if "." in tok.text else int(tok.text)
        if tok.kind == "ident" and tok.text.lower() in ("true", "false"):
            return tok.text.lower() == "true"
        if tok.kind == "ident" and tok.text.lower() == "null":
            return None
        raise self.syntax(tok.pos)


def parse_filter(text: str) -> Node:
    return _Parser(text).parse()


def _advanced_missing(operator: str) -> GraphError:
    return unsupported_query(
        f"Operator '{operator}' is not supported because the required parameters might be missing. Try adding "
        "$count=true query parameter and ConsistencyLevel:eventual header. Refer to "
        "https://aka.ms/graph-docs/advanced-queries for more information")


def check_filter(node: Node, rules: FilterRules, *, advanced: bool, var: str = "",
                 collection: str = "") -> None:
    """Raise the error Graph gives for a filter it would not run (without or with advanced queries)."""
    def prop_name(path: str) -> str:
        if var and (path == var or path.startswith(var + "/")):
            return collection + (path[len(var):] if path != var else "")
        return path

    def unsupported(prop: str) -> GraphError:
        return unsupported_query(f"Unsupported or invalid query filter clause specified for property '{prop}' "
                                 f"of resource '{rules.resource}'.")

    def known(path: str) -> None:
        root = path.split("/", 1)[0]
        if root.lower() not in {k.lower() for k in rules.known}:
            raise GraphError(400, "BadRequest", f"Could not find a property named '{root}' on type "
                                                f"'{rules.type_name}'.")

    eq_props = {p.lower() for p in rules.eq}
    start_props = {p.lower() for p in rules.startswith}
    if node.kind in ("and", "or"):
        for child in node.children:
            check_filter(child, rules, advanced=advanced, var=var, collection=collection)
    elif node.kind == "not":
        if not advanced:
            raise _advanced_missing("not")
        check_filter(node.children[0], rules, advanced=advanced, var=var, collection=collection)
    elif node.kind in ("cmp", "in"):
        prop = prop_name(node.prop)
        known(prop)
        if node.kind == "cmp" and node.op == "ne" and not advanced:
            raise _advanced_missing("ne")
        if node.kind == "cmp" and node.op in ("gt", "ge", "lt", "le") and not advanced:
            raise unsupported(prop.split("/")[-1])
        if prop.lower() not in eq_props:
            raise unsupported(prop.split("/")[-1])
    elif node.kind == "func":
        prop = prop_name(node.prop)
        known(prop)
        if node.op != "startswith" and not advanced:
            raise _advanced_missing("endsWith" if node.op == "endswith" else node.op)
        if prop.lower() not in start_props:
            raise unsupported(prop.split("/")[-1])
    elif node.kind in ("any", "all"):
        known(node.prop)
        subs = {k.lower(): v for k, v in rules.collections.items()}.get(node.prop.lower())
        if subs is None or (node.kind == "all" and not advanced):
            raise unsupported(node.prop)
        inner_rules = FilterRules(
            rules.resource, rules.type_name,
            eq=frozenset(f"{node.prop}/{s}" if s else node.prop for s in subs),
            startswith=frozenset(f"{node.prop}/{s}" if s else node.prop for s in subs),
            collections={}, known=rules.known)
        check_filter(node.children[0], inner_rules, advanced=advanced, var=node.var, collection=node.prop)


Resolver = Callable[[dict[str, Any], str], Any]


def _get(entity: Any, path: str) -> Any:
    value = entity
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        lookup = {k.lower(): k for k in value}
        value = value.get(lookup.get(part.lower(), part))
    return value


def _norm(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def evaluate(node: Node, entity: Any, var: str = "") -> bool:
    """Whether `entity` (a Graph-shaped dict) passes the filter; string comparisons ignore case, as in Entra."""
    def resolve(path: str) -> Any:
        if var and path == var:
            return entity
        if var and path.startswith(var + "/"):
            return _get(entity, path[len(var) + 1:])
        return _get(entity, path)

    if node.kind == "and":
        return all(evaluate(c, entity, var) for c in node.children)
    if node.kind == "or":
        return any(evaluate(c, entity, var) for c in node.children)
    if node.kind == "not":
        return not evaluate(node.children[0], entity, var)
    if node.kind == "in":
        actual = _norm(resolve(node.prop))
        return actual in [_norm(v) for v in node.value]
    if node.kind == "cmp":
        actual, expected = _norm(resolve(node.prop)), _norm(node.value)
        if node.op == "eq":
            return actual == expected
        if node.op == "ne":
            return actual != expected
        if actual is None or expected is None:
            return False
        return {"gt": actual > expected, "ge": actual >= expected, "lt": actual < expected,
                "le": actual <= expected}[node.op]
    if node.kind == "func":
        actual = resolve(node.prop)
        if not isinstance(actual, str) or not isinstance(node.value, str):
            return False
        actual, expected = actual.lower(), node.value.lower()
        return {"startswith": actual.startswith(expected), "endswith": actual.endswith(expected),
                "contains": expected in actual}[node.op]
    if node.kind in ("any", "all"):
        items = resolve(node.prop) or []
        results = (evaluate(node.children[0], item, node.var) for item in items)
        return any(results) if node.kind == "any" else all(results)
    raise ValueError(node.kind)


def apply_filter(request_filter: str | None, items: list[dict[str, Any]], rules: FilterRules,
                 *, advanced: bool) -> list[dict[str, Any]]:
    if request_filter is None or not request_filter.strip():
        return items
    node = parse_filter(request_filter)
    check_filter(node, rules, advanced=advanced)
    return [item for item in items if evaluate(node, item)]

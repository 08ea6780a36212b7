"""The routing policy (F14): who decides each request kind in which stages, which auto-approve rules are in force,
its SLA target and its reminder, escalation and expiry intervals — loaded from one TOML file and validated at start.

The file has ``[defaults]``, ``[family.<name>]`` and ``[kind."<id>"]`` tables; for each key the most specific table
that sets it wins (kind over family over defaults), and a key no table sets keeps today's behaviour: the kind's own
approver route as its one stage, every one of its auto-approve rules, its SLA target from the settings, and the
reminder, escalation and expiry intervals the desk's settings give (DESK_REMIND_AFTER_HOURS, DESK_ESCALATE_AFTER_HOURS,
DESK_EXPIRE_AFTER_HOURS, read by handlers/escalation.py; 0 = never, in the file or the settings). TOML (stdlib
``tomllib``) because the policy is a few flat tables edited by admins, and ``tomllib`` needs no dependency; it keeps
no positions, so semantic errors find their key's line with the small locator below (syntax errors come with
tomllib's own line and column).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handlers.sla_targets import SlaTargets
from kinds.family import Approvers, Kind
from kinds.registry import Registry

MANAGER, OWNERS, ADMINS, FULFILLERS, GROUP = "manager", "owners", "admins", "fulfillers", "group"
STAGE_KINDS = (MANAGER, OWNERS, ADMINS, FULFILLERS, GROUP)
ONE, ALL = "one", "all"
# A kind's own approver route (Kind.approvers) as the stage that reproduces it.
OWN_STAGE = {Approvers.OWNERS_ELSE_ADMINS: OWNERS, Approvers.ADMINS: ADMINS, Approvers.FULFILLERS: FULFILLERS}
_SECTION_KEYS = (
    "stages",
    "auto_approve",
    "sla_days",
    "remind_after_hours",
    "escalate_after_hours",
    "expire_after_hours",
)
_INTERVALS = ("remind_after_hours", "escalate_after_hours", "expire_after_hours")
_STAGE_KEYS = ("who", "group_id", "require")
_RULE_PREFIX = "policy."


class RoutingPolicyError(ValueError):
    """The policy file cannot be used: every problem found, one per line, as ``file:line: what is wrong``."""


@dataclass(frozen=True, slots=True)
class Stage:
    """One approval stage: who decides, and whether one of them or all of them must approve."""

    who: str  # manager | owners (as the kind resolves them, else admins) | admins | fulfillers | group
    group_id: str | None = None  # for who == "group"
    require: str = ONE  # "one": one approval ends the stage; "all": every approver of the stage must approve


@dataclass(frozen=True, slots=True)
class KindPolicy:
    stages: tuple[Stage, ...]
    auto_approve: tuple[str, ...]  # which of the kind's rules (Kind.auto_approve keys) are in force
    sla_days: float
    # Business hours; 0 = never; None = the policy does not say (the desk's settings decide, handlers.escalation).
    remind_after_hours: float | None
    escalate_after_hours: float | None
    expire_after_hours: float | None


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """The policy in force: each registered kind's resolved ``KindPolicy``, and the digest recorded with requests."""

    digest: str  # sha256 of the file's bytes (or of the defaults' canonical form)
    kinds: Mapping[str, KindPolicy] = field(default_factory=dict)
    source: str | None = None  # the file it was read from; None = the built-in defaults
    default_sla_days: float = 1.0  # for kinds this policy does not know (none once bound to the registry)

    def for_kind(self, kind_id: str) -> KindPolicy:
        """A KeyError means a kind the registry does not have, like ``Registry.kind``."""
        return self.kinds[kind_id]

    @property
    def bound(self) -> bool:
        """Whether this policy was built for a registry (Services binds an unbound default to its own)."""
        return bool(self.kinds)

    def sla_targets(self) -> SlaTargets:
        """The SLA targets in force, as the SLA clock, reports and statistics read them."""
        targets = tuple(sorted((kind_id, policy.sla_days) for kind_id, policy in self.kinds.items()))
        return SlaTargets(targets=targets, default_days=self.default_sla_days)


def own_stage(kind: Kind) -> Stage:
    """The one stage that reproduces the kind's own route."""
    return Stage(OWN_STAGE.get(kind.approvers, OWNERS))


def default_policy(registry: Registry, sla: SlaTargets) -> RoutingPolicy:
    """No policy file: today's behaviour for every kind; the digest is of this table's canonical form."""
    kinds = {kind.id: _built_in(kind, sla) for kind in registry.kinds}
    return RoutingPolicy(digest=_canonical_digest(kinds), kinds=kinds, default_sla_days=sla.default_days)


def load_routing_policy(path: Path | None, registry: Registry, sla: SlaTargets) -> RoutingPolicy:
    """The policy from ``path`` (None: the defaults), or RoutingPolicyError naming each bad line."""
    if path is None:
        return default_policy(registry, sla)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise RoutingPolicyError(f"{path}: cannot read the routing policy: {error.strerror or error}") from error
    return parse_routing_policy(raw, registry, sla, source=str(path))


def parse_routing_policy(raw: bytes, registry: Registry, sla: SlaTargets, *, source: str) -> RoutingPolicy:
    try:
        text = raw.decode("utf-8")
        document = tomllib.loads(text)
    except UnicodeDecodeError as error:
        raise RoutingPolicyError(f"{source}: the routing policy is not UTF-8 text") from error
    except tomllib.TOMLDecodeError as error:
        # tomllib's message ends with "(at line L, column C)": said the same way as the semantic errors.
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)$", message)
        if found:
            message = f"{source}:{found.group(1)}: {message[: found.start()].strip()} (column {found.group(2)})"
        else:
            message = f"{source}: {message}"
        raise RoutingPolicyError(message) from error
    checker = _Checker(text, source, registry)
    sections = checker.sections(document)
    if checker.errors:
        raise RoutingPolicyError("\n".join(checker.errors))
    kinds: dict[str, KindPolicy] = {}
    family_of = {kind.id: family.name for family in registry.families for kind in family.kinds}
    for kind in registry.kinds:
        layers = [
            sections.get(("kind", kind.id), {}),
            sections.get(("family", family_of[kind.id]), {}),
            sections.get(("defaults",), {}),
        ]
        kinds[kind.id] = _resolve(kind, layers, _built_in(kind, sla))
    digest = hashlib.sha256(raw).hexdigest()
    return RoutingPolicy(digest=digest, kinds=kinds, source=source, default_sla_days=sla.default_days)


def _built_in(kind: Kind, sla: SlaTargets) -> KindPolicy:
    return KindPolicy(
        stages=(own_stage(kind),),
        auto_approve=tuple(kind.auto_approve),
        sla_days=sla.days_for(kind.id),
        remind_after_hours=None,
        escalate_after_hours=None,
        expire_after_hours=None,
    )


def _resolve(kind: Kind, layers: Sequence[Mapping[str, Any]], built_in: KindPolicy) -> KindPolicy:
    """Each key from the most specific layer that sets it, else the built-in value."""

    def pick(key: str, default: Any) -> Any:
        for layer in layers:
            if key in layer:
                return layer[key]
        return default

    rules = pick("auto_approve", None)
    return KindPolicy(
        stages=pick("stages", built_in.stages),
        # A rule listed for a family or for all kinds is in force for the kinds that have it.
        auto_approve=built_in.auto_approve if rules is None else tuple(r for r in kind.auto_approve if r in rules),
        sla_days=pick("sla_days", built_in.sla_days),
        remind_after_hours=pick("remind_after_hours", built_in.remind_after_hours),
        escalate_after_hours=pick("escalate_after_hours", built_in.escalate_after_hours),
        expire_after_hours=pick("expire_after_hours", built_in.expire_after_hours),
    )


def _canonical_digest(kinds: Mapping[str, KindPolicy]) -> str:
    table = {
        kind_id: {
            "stages": [[stage.who, stage.group_id, stage.require] for stage in policy.stages],
            "auto_approve": list(policy.auto_approve),
            "sla_days": policy.sla_days,
            "intervals": [policy.remind_after_hours, policy.escalate_after_hours, policy.expire_after_hours],
        }
        for kind_id, policy in sorted(kinds.items())
    }
    return hashlib.sha256(json.dumps(table, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class _Checker:
    """Validates the parsed document into per-section values, collecting ``file:line: what`` for every problem."""

    def __init__(self, text: str, source: str, registry: Registry) -> None:
        self.locate = KeyLocator(text)
        self.source = source
        self.found: list[tuple[int, str]] = []
        self.registry = registry
        self.families = {family.name: family for family in registry.families if family.kinds}
        self.kinds = {kind.id: kind for kind in registry.kinds}

    def error(self, path: Sequence[str | int], what: str) -> None:
        line = self.locate.line(path)
        self.found.append((line or 0, f"{self.source}:{line}: {what}" if line else f"{self.source}: {what}"))

    @property
    def errors(self) -> list[str]:
        """In the file's order, so a reader fixes them top to bottom."""
        return [message for _, message in sorted(self.found, key=lambda found: found[0])]

    def sections(self, document: Mapping[str, Any]) -> dict[tuple[str, ...], dict[str, Any]]:
        found: dict[tuple[str, ...], dict[str, Any]] = {}
        for top, value in document.items():
            if top == "defaults":
                if self._is_table(("defaults",), value):
                    found[("defaults",)] = self.section(("defaults",), value, self._all_rules())
            elif top in ("family", "kind"):
                if not self._is_table((top,), value):
                    continue
                for name, section in value.items():
                    path = (top, name)
                    if top == "family" and name not in self.families:
                        self.error(path, f"unknown family {name!r} (known: {', '.join(sorted(self.families))})")
                    elif top == "kind" and name not in self.kinds:
                        self.error(path, f"unknown kind {name!r}")
                    elif self._is_table(path, section):
                        rules = (
                            self.kinds[name].auto_approve
                            if top == "kind"
                            else tuple(r for k in self.families[name].kinds for r in k.auto_approve)
                        )
                        found[path] = self.section(path, section, rules)
            else:
                self.error((top,), f'unknown table {top!r}: expected [defaults], [family.<name>] or [kind."<id>"]')
        return found

    def _is_table(self, path: tuple[str, ...], value: object) -> bool:
        if isinstance(value, dict):
            return True
        self.error(path, f"{'.'.join(path)} must be a table")
        return False

    def _all_rules(self) -> tuple[str, ...]:
        return tuple(rule for kind in self.registry.kinds for rule in kind.auto_approve)

    def section(self, path: tuple[str, ...], section: Mapping[str, Any], rules: Iterable[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in section.items():
            at = (*path, key)
            if key == "stages":
                stages = self.stages(at, value)
                if stages is not None:
                    values[key] = stages
            elif key == "auto_approve":
                chosen = self.rules(at, value, tuple(rules))
                if chosen is not None:
                    values[key] = chosen
            elif key == "sla_days":
                if _is_number(value) and value > 0:
                    values[key] = float(value)
                else:
                    self.error(at, "sla_days must be a positive number of business days")
            elif key in _INTERVALS:
                if _is_number(value) and value >= 0:
                    values[key] = float(value)  # 0: never
                else:
                    self.error(at, f"{key} must be a number of business hours, 0 or more (0 = never)")
            else:
                self.error(at, f"unknown key {key!r} (known: {', '.join(_SECTION_KEYS)})")
        return values

    def stages(self, at: tuple[str, ...], value: object) -> tuple[Stage, ...] | None:
        if not isinstance(value, list) or not value:
            self.error(at, 'stages must be a non-empty list of stages, e.g. [{ who = "manager" }, { who = "admins" }]')
            return None
        stages: list[Stage] = []
        for index, item in enumerate(value):
            where: tuple[str | int, ...] = (*at, index)
            if not isinstance(item, dict):
                self.error(where, f'stage {index + 1} must be a table such as {{ who = "admins" }}')
                continue
            unknown = [key for key in item if key not in _STAGE_KEYS]
            if unknown:
                self.error(where, f"stage {index + 1}: unknown key {unknown[0]!r} (known: {', '.join(_STAGE_KEYS)})")
                continue
            who, group_id, require = item.get("who"), item.get("group_id"), item.get("require", ONE)
            if who not in STAGE_KINDS:
                self.error(where, f"stage {index + 1}: unknown stage {who!r} (known: {', '.join(STAGE_KINDS)})")
                continue
            if require not in (ONE, ALL):
                self.error(where, f'stage {index + 1}: require must be "one" or "all", not {require!r}')
                continue
            if who == GROUP and not (isinstance(group_id, str) and group_id.strip()):
                self.error(where, f"stage {index + 1}: a group stage needs group_id (the group's object id)")
                continue
            if who != GROUP and group_id is not None:
                self.error(where, f"stage {index + 1}: group_id belongs to a group stage, not to {who!r}")
                continue
            stages.append(
                Stage(who=who, group_id=group_id.strip() if isinstance(group_id, str) else None, require=require)
            )
        return tuple(stages) if len(stages) == len(value) else None

    def rules(self, at: tuple[str, ...], value: object, known: tuple[str, ...]) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.error(at, 'auto_approve must be a list of rule names, e.g. ["join_open_list"] ([] = none)')
            return None
        chosen: list[str] = []
        for name in value:
            key = name if name.startswith(_RULE_PREFIX) else _RULE_PREFIX + name
            if key not in known:
                offered = ", ".join(sorted({rule.removeprefix(_RULE_PREFIX) for rule in known})) or "none"
                self.error(at, f"unknown auto-approve rule {name!r} here (rules of these kinds: {offered})")
                return None
            chosen.append(key)
        return tuple(chosen)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class KeyLocator:
    """The line a TOML key (a path such as ``("kind", "dl.join", "stages", 1)``) is written on.

    Tracks table headers (``[a."b.c"]``, ``[[a.b]]``) and dotted keys line by line; a list index finds the n-th
    ``[[…]]`` header of an array of tables, or else the line of the key holding the list. Good enough for error
    messages; multi-line strings are not followed (a key inside one could be mistaken, never a missing line).
    """

    _HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
    _PART = r"(?:[A-Za-z0-9_-]+|\"(?:[^\"\\]|\\.)*\"|'[^']*')"
    _KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")

    def __init__(self, text: str) -> None:
        self.entries: list[tuple[tuple[str, ...], int, bool]] = []  # (full key path, line, is an array-table header)
        self.lines = text.splitlines()
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header and not self._KEY.match(line):
                table = _split_key(header.group(2))
                self.entries.append((table, number, header.group(1) == "[["))
                continue
            key = self._KEY.match(line)
            if key:
                self.entries.append(((*table, *_split_key(key.group(1))), number, False))

    def line(self, path: Sequence[str | int]) -> int | None:
        names = tuple(str(part) for part in path if isinstance(part, str))
        index = next((part for part in path if isinstance(part, int)), None)
        if index is not None:
            headers = [line for key, line, array in self.entries if array and key == names]
            if index < len(headers):
                return headers[index]
            inline = next((line for key, line, _ in self.entries if key == names), None)
            if inline is not None:
                return self._element_line(inline, index)
        for wanted in (names[:length] for length in range(len(names), 0, -1)):
            for key, line, _ in self.entries:
                if key == wanted:
                    return line
            # A table defined implicitly by a deeper header or a dotted key: the first line under it.
            for key, line, _ in self.entries:
                if key[: len(wanted)] == wanted:
                    return line
        return None

    def _element_line(self, key_line: int, index: int) -> int:
        """The line of the ``index``-th inline table of the list whose key is on ``key_line`` (its key's line when
        the list is shorter)."""
        seen = 0
        for number in range(key_line, len(self.lines) + 1):
            text = self.lines[number - 1]
            if number == key_line:
                text = text.split("=", 1)[1]
            seen += text.split("#", 1)[0].count("{")
            if seen > index:
                return number
        return key_line


def _split_key(key: str) -> tuple[str, ...]:
    parts: list[str] = []
    for match in re.finditer(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([A-Za-z0-9_-]+)", key):
        quoted, literal, bare = match.groups()
        parts.append(json.loads(f'"{quoted}"') if quoted is not None else literal if literal is not None else bare)
    return tuple(parts)

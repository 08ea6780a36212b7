"""The registry of request kinds, built once in app.py from the family modules: what the bot routes through, what
the executor reads plans with, and what help, the manifest and the SLA defaults iterate over."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from kinds.family import Command, Family, Kind, ManifestCommand, VerbRoute
from kinds.steps import StepTable

T = TypeVar("T")


class RegistryError(ValueError):
    """Two families claim the same kind, verb, step type or command name."""


@dataclass(frozen=True, slots=True)
class Parsed:
    command: object
    route: Command
    text: str = ""  # as typed (cleaned): kept with a request it files, to ask again (handlers.asked_as)


class Registry:
    def __init__(self, families: Sequence[Family]) -> None:
        self.families = tuple(families)
        self._kinds: dict[str, Kind] = {}
        self._verbs: dict[str, VerbRoute] = {}
        names: set[str] = set()
        for family in self.families:
            for kind in family.kinds:
                _claim(self._kinds, kind.id, kind, "kind")
            for route in family.verbs:
                _claim(self._verbs, route.verb, route, "verb")
            for command in family.commands:
                if command.name in names:
                    raise RegistryError(f"two families claim the command {command.name!r}")
                names.add(command.name)
        self.commands: tuple[Command, ...] = tuple(
            sorted((c for f in self.families for c in f.commands), key=lambda command: command.order)
        )
        self.steps = StepTable(step for kind in self._kinds.values() for step in kind.steps)

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(self._kinds.values())

    def kind(self, kind_id: str) -> Kind:
        """The kind of a stored request; a KeyError means a request of a kind this desk no longer has."""
        return self._kinds[kind_id]

    def verb(self, verb: str) -> VerbRoute | None:
        return self._verbs.get(verb)

    @property
    def verbs(self) -> tuple[VerbRoute, ...]:
        return tuple(self._verbs.values())

    def parse(self, text: str, raw: str | None) -> Parsed | None:
        """The first command (in parsing order) that takes the text."""
        for route in self.commands:
            command = route.parse(text, raw)
            if command is not None:
                return Parsed(command, route, text)
        return None

    def help_topics(self) -> tuple[str, ...]:
        """The help card's lines (message keys), in their order across families."""
        topics = sorted((topic for family in self.families for topic in family.help), key=lambda topic: topic.order)
        return tuple(topic.key for topic in topics)

    def manifest_commands(self) -> tuple[ManifestCommand, ...]:
        """The Teams manifest's command list, in its order across families."""
        return tuple(sorted((c for family in self.families for c in family.manifest), key=lambda c: c.order))

    def sla_days(self) -> dict[str, int]:
        return {kind.id: kind.sla_days for kind in self._kinds.values()}


def _claim(table: dict[str, T], key: str, value: T, what: str) -> None:
    if key in table:
        raise RegistryError(f"two families claim the {what} {key!r}")
    table[key] = value


def build_registry(families: Iterable[Family]) -> Registry:
    return Registry(tuple(families))

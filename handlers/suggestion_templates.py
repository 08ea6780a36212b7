"""The desk's canonical command phrases per language, for "did you mean …?": what a suggestion reads like and what
its button runs, with slots ("{plan}", "{list}", …) that say which words are looked up in the tenant and how a
phrase is filled in with what was typed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The canonical phrase of each command, per language: what a suggestion reads like and what its button runs.
# "{plan}", "{list}", "{mailbox}" and "{name}" (a list or a mailbox) are corrected against what the tenant has;
# "{number}" is one token of digits, "{text}" anything, both kept as typed. Every phrase, filled in, parses to the
# command it names (tests/unit/test_suggestion_matching.py checks each one against handlers.commands.parse).
TEMPLATES: Mapping[str, tuple[str, ...]] = {
    "en": (
        "help",
        "my requests",
        "licenses",
        "licences",  # British spelling: "licence" must find English before Polish "licencje"
        "request license {plan}",
        "request license {plan} for {text}",
        "remove license {plan}",
        "remove license {plan} from {text}",
        "change license {plan} to {plan}",
        "order {number} more {plan}",
        "reduce {plan} by {number}",
        "report licenses",
        "sla",
        "price {plan} {text}",
        "withdraw {text}",
        "join {list}",
        "leave {list}",
        "show list {list}",
        "modify list {list}",
        "delete list {list}",
        "create list {text}",
        "find {text}",
        "search {text}",
        "all lists",
        "shared mailboxes",
        "my lists",
        "my memberships",
        "my mailboxes",
        "show shared mailbox {mailbox}",
        "delete shared mailbox {mailbox}",
        "create shared mailbox {text}",
        "grant full access on {mailbox} to {text}",
        "grant send as on {mailbox} to {text}",
        "grant send on behalf on {mailbox} to {text}",
        "revoke full access on {mailbox} from {text}",
        "revoke send as on {mailbox} from {text}",
        "revoke send on behalf on {mailbox} from {text}",
        "show {name}",
    ),
    "pl": (
        "pomoc",
        "moje wnioski",
        "licencje",
        "poproś o licencję {plan}",
        "poproś o licencję {plan} dla {text}",
        "usuń licencję {plan}",
        "usuń licencję {plan} dla {text}",
        "zmień licencję {plan} na {plan}",
        "zamów {number} licencji {plan}",
        "zmniejsz {plan} o {number}",
        "raport licencji",
        "sla",
        "cena {plan} {text}",
        "wycofaj {text}",
        "dołącz do {list}",
        "opuść {list}",
        "pokaż listę {list}",
        "edytuj listę {list}",
        "usuń listę {list}",
        "utwórz listę {text}",
        "szukaj {text}",
        "wszystkie listy",
        "wszystkie skrzynki",
        "moje listy",
        "moje członkostwa",
        "moje skrzynki",
        "pokaż skrzynkę {mailbox}",
        "usuń skrzynkę {mailbox}",
        "utwórz skrzynkę współdzieloną {text}",
        "nadaj pełny dostęp do {mailbox} dla {text}",
        "nadaj wysyłanie jako do {mailbox} dla {text}",
        "nadaj wysyłanie w imieniu do {mailbox} dla {text}",
        "odbierz pełny dostęp do {mailbox} od {text}",
        "odbierz wysyłanie jako do {mailbox} od {text}",
        "odbierz wysyłanie w imieniu do {mailbox} od {text}",
        "pokaż {name}",
    ),
    "de": (
        "Hilfe",
        "meine Anträge",
        "Lizenzen",
        "Lizenz {plan} anfordern",
        "Lizenz {plan} anfordern für {text}",
        "Lizenz {plan} entfernen",
        "Lizenz {plan} entfernen für {text}",
        "Lizenz {plan} auf {plan} ändern",
        "bestelle {number} weitere {plan}",
        "reduziere {plan} um {number}",
        "Lizenzbericht",
        "sla",
        "Preis {plan} {text}",
        "Antrag {text} zurückziehen",
        "beitreten {list}",
        "{list} beitreten",
        "verlasse {list}",
        "{list} verlassen",
        "zeige Liste {list}",
        "bearbeite Liste {list}",
        "lösche Liste {list}",
        "erstelle Liste {text}",
        "suche {text}",
        "alle Verteilerlisten",
        "alle Postfächer",
        "meine Listen",
        "meine Mitgliedschaften",
        "meine Postfächer",
        "zeige Postfach {mailbox}",
        "lösche Postfach {mailbox}",
        "erstelle freigegebenes Postfach {text}",
        "gewähre Vollzugriff auf {mailbox} für {text}",
        "gewähre Senden als auf {mailbox} für {text}",
        "gewähre Senden im Auftrag auf {mailbox} für {text}",
        "entziehe Vollzugriff auf {mailbox} von {text}",
        "entziehe Senden als auf {mailbox} von {text}",
        "entziehe Senden im Auftrag auf {mailbox} von {text}",
        "zeige {name}",
    ),
}
SLOTS = frozenset({"plan", "list", "mailbox", "name", "number", "text"})
# Slots whose value is looked up, and the directory kinds each may name.
LOOKED_UP: Mapping[str, tuple[str, ...]] = {
    "plan": ("plan",),
    "list": ("list",),
    "mailbox": ("mailbox",),
    "name": ("list", "mailbox"),
}


@dataclass(frozen=True, slots=True)
class Part:
    """One word of a phrase: a literal to match as typed, or a slot to fill in."""

    word: str  # the literal as written, or the slot's kind
    slot: bool


def parts_of(phrase: str) -> tuple[Part, ...]:
    """The phrase word by word; "{kind}" is a slot."""
    parts = []
    for word in phrase.split():
        if word.startswith("{") and word.endswith("}"):
            parts.append(Part(word[1:-1], True))
        else:
            parts.append(Part(word, False))
    return tuple(parts)


def slots_of(phrase: str) -> tuple[str, ...]:
    """The kinds of the phrase's slots, in order."""
    return tuple(part.word for part in parts_of(phrase) if part.slot)


def fill(phrase: str, values: Sequence[str]) -> str:
    """The phrase with its slots replaced by ``values``, in order: the command a suggestion's button runs."""
    filled, remaining = [], iter(values)
    for part in parts_of(phrase):
        filled.append(next(remaining) if part.slot else part.word)
    return " ".join(filled)

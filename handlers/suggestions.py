"""“Did you mean …?”: the desk's command templates per language, and near misses of commands and directory names.

A typed text the parser did not understand is compared with a small table of canonical command phrases (one per
thing the desk does, in English, Polish and German). A phrase's literal words are matched word for word; its slots
are filled from what was typed: plan names are corrected against the tenant's plans, list and mailbox names
against the directory cache, anything else is kept as typed. Each candidate is the full corrected command, which
must parse to a real command, and not the one the text already was. Matching is rapidfuzz's: the Indel ratio for
command words; for names the best of the ratio, the token-sorted ratio and a discounted partial ratio (see near).
A list or mailbox name that the lookups did not find gets the near names from the cache (near_names_reply).
"""

from __future__ import annotations

import itertools
import logging
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from cards.i18n import Translator
from cards.suggestions import NearName, SuggestionsView, near_names_card, suggestions_card
from cards.verbs import Verb
from handlers.commands import Unknown, parse
from handlers.context import Actor, Reply, actor_translator
from handlers.plans import PlanCatalogue
from handlers.services import Services
from kinds.registry import Parsed, Registry
from m365.errors import M365Error
from m365.ports import Sku

logger = logging.getLogger(__name__)

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
_LOOKED_UP: Mapping[str, tuple[str, ...]] = {
    "plan": ("plan",),
    "list": ("list",),
    "mailbox": ("mailbox",),
    "name": ("list", "mailbox"),
}

# Thresholds (0–100), tuned on the tables in tests/unit/test_suggestion_matching.py (near misses that must be found,
# chat in en/pl/de that must suggest nothing) against the seed tenant plus 2,000 generated list names:
# - SCORE_MIN: a candidate is offered from here. Command words alone need it ("requst licence" 90, "my reqests" 95;
#   "fine" → "find" 75 is not). At 80 the table's chat gets buttons ("Hilde" → "Hilfe", "my rests" → "my requests",
#   "love Book Club" → "leave Book Club"); at 87.5 three near misses are lost ("joim HR announcments", "hlp",
#   "Lizenz"), at 90 six.
# - COMMAND_MIN: every command word, and all of them together, at least this. With a recognised name the score is
#   the mean of both, so "joim HR announcments" (75 and 97) is offered; checking each word keeps "requst licence"
#   from passing for "usuń licencję" on the strength of "licence" ≈ "licencję" (opposite actions share nouns).
# - NAME_MIN: a plan, list or mailbox name counts as recognised from here ("HR announcments" 97, "Book Clb" 94).
SCORE_MIN = 85.0
COMMAND_MIN = 70.0
NAME_MIN = 85.0
MAX_CANDIDATES = 3
# Longer texts are pasted lists or prose, never a mistyped command; and a button never runs more than this.
MAX_TEXT_LENGTH = 200
MAX_TOKENS = 24
MAX_COMMAND_LENGTH = 300


@dataclass(frozen=True, slots=True)
class Name:
    """Something a slot can name: a plan, a list or a shared mailbox, by one of its names (``ref`` identifies it)."""

    text: str
    kind: str  # plan | list | mailbox
    ref: str
    label: str = ""  # the display name, when ``text`` is an alias or address
    folded: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Folded once, when the vocabulary is read: each message compares thousands of names.
        object.__setattr__(self, "folded", fold(self.text))


@dataclass(frozen=True, slots=True)
class Suggestion:
    command: str
    score: float
    language: str
    order: int = 0  # the template's place in its language's table: on equal scores the more common phrasing wins


Vocabulary = Mapping[str, Sequence[Name]]  # kind → names
# A caller's command, run again for one list or mailbox the person picks: its verb and data (see find_list).
Then = Callable[[Any], tuple[Verb, dict[str, Any]]]


def fold(value: str) -> str:
    """Case, accents and spacing ignored: people type "dolacz", "Lizenz aendern" and "ł" as "l" just as often."""
    if value.isascii():
        return " ".join(value.lower().split())  # most names and addresses: no accents to take off
    lowered = value.casefold().replace("ł", "l").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    plain = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return " ".join(plain.split())


# ------------------------------------------------------------------ templates


@dataclass(frozen=True, slots=True)
class _Part:
    word: str  # the literal as written, or the slot's kind
    slot: bool


def _parts(phrase: str) -> tuple[_Part, ...]:
    parts = []
    for word in phrase.split():
        if word.startswith("{") and word.endswith("}"):
            parts.append(_Part(word[1:-1], True))
        else:
            parts.append(_Part(word, False))
    return tuple(parts)


def slots_of(phrase: str) -> tuple[str, ...]:
    return tuple(part.word for part in _parts(phrase) if part.slot)


@dataclass(frozen=True, slots=True)
class _Alignment:
    """One way of reading the typed words as a template: its command-word score and each slot's typed words."""

    phrase: str
    language: str
    command_score: float
    slots: tuple[tuple[str, str], ...]  # (kind, typed value), in order


def _alignments(words: Sequence[str], parts: Sequence[_Part]) -> Iterator[list[tuple[int, int]]]:
    """Every assignment of the typed words to the parts: a literal takes one word, a slot one or more."""
    slot_count = sum(part.slot for part in parts)
    spare = len(words) - len(parts)
    if spare < 0 or (slot_count == 0 and spare != 0):
        return
    for extra in itertools.product(range(spare + 1), repeat=slot_count):
        if sum(extra) != spare:
            continue
        spans, start, extras = [], 0, iter(extra)
        for part in parts:
            width = 1 + (next(extras) if part.slot else 0)
            spans.append((start, start + width))
            start += width
        yield spans


def _align(text: str, language: str) -> list[_Alignment]:
    words = text.split()
    folded = [fold(word) for word in words]
    found = []
    for phrase in TEMPLATES[language]:
        parts = _parts(phrase)
        literal = fold(" ".join(part.word for part in parts if not part.slot))
        for spans in _alignments(words, parts):
            typed_words = [folded[a] for part, (a, _) in zip(parts, spans, strict=True) if not part.slot]
            score = fuzz.ratio(" ".join(typed_words), literal)
            # Every command word on its own too: "requst licence" must not pass for "usuń licencję" because
            # "licence" is close to "licencję" (opposite actions can share their nouns).
            if score < COMMAND_MIN or any(
                fuzz.ratio(typed, fold(part.word)) < COMMAND_MIN
                for typed, part in zip(typed_words, (p for p in parts if not p.slot), strict=True)
            ):
                continue
            slots = tuple(
                (part.word, " ".join(words[a:b])) for part, (a, b) in zip(parts, spans, strict=True) if part.slot
            )
            if any(kind == "number" and not value.isdigit() for kind, value in slots):
                continue
            found.append(_Alignment(phrase, language, score, slots))
    return found


def _usable(text: str) -> bool:
    return 0 < len(text) <= MAX_TEXT_LENGTH and len(text.split()) <= MAX_TOKENS


def needed_kinds(text: str, language: str) -> set[str]:
    """The vocabularies (plan, list, mailbox) worth loading for this text: only those of close-enough templates."""
    if not _usable(text):
        return set()
    kinds: set[str] = set()
    for lang in TEMPLATES:
        for alignment in _align(text, lang):
            for kind, _ in alignment.slots:
                kinds.update(_LOOKED_UP.get(kind, ()))
    return kinds


# ------------------------------------------------------------------ matching


def near(query: str, names: Sequence[Name], *, limit: int = MAX_CANDIDATES) -> list[tuple[Name, float]]:
    """The names closest to ``query``, best first, one per thing named, each at NAME_MIN or above.

    A name scores its best of: whole-string similarity (typos), the same with words sorted ("Announcements HR"),
    and, for a query of four characters or more that is shorter than a display name, 0.9 × the best match of the
    query inside it ("sales" → "Sales Poland"). Never the other way round: a query with words that are not in the
    name ("E3 for anna@…") is not that name. Each is one C-level rapidfuzz pass over the names.
    """
    key = fold(query)
    if len(key) < 2 or not names:
        return []
    choices = [name.folded for name in names]
    scores: dict[int, float] = {}
    passes: list[tuple[Any, list[int], float]] = [
        (fuzz.ratio, list(range(len(choices))), 1.0),
        (fuzz.token_sort_ratio, list(range(len(choices))), 1.0),
    ]
    if len(key) >= 4:
        # Display names only: an alias or address holds the same words, and this pass is the costly one.
        shown = [i for i, name in enumerate(names) if not name.label or name.text == name.label]
        longer = [i for i in shown if len(choices[i]) > len(key)]
        passes.append((fuzz.partial_ratio, longer, 0.9))
    for scorer, indexes, weight in passes:
        subset = [choices[i] for i in indexes]
        for _, score, position in process.extract(
            key, subset, scorer=scorer, limit=None, score_cutoff=NAME_MIN / weight
        ):
            index = indexes[position]
            scores[index] = max(scores.get(index, 0.0), score * weight)
    best: dict[tuple[str, str], tuple[Name, float]] = {}
    for index, score in sorted(scores.items(), key=lambda item: -item[1]):
        name = names[index]
        best.setdefault((name.kind, name.ref), (name, score))
    # Ties (many names hold "sales"): those that start with what was typed, then the shortest, come first.
    return sorted(
        best.values(),
        key=lambda found: (-found[1], not found[0].folded.startswith(key), len(found[0].text), found[0].folded),
    )[:limit]


def _exact(value: str, names: Sequence[Name]) -> Name | None:
    key = fold(value)
    return next((name for name in names if name.folded == key), None)


def _slot_values(kind: str, typed: str, vocabulary: Vocabulary) -> list[tuple[str, float | None]]:
    """What a slot may say, with how sure that is (None: kept as typed, nothing to check it against).

    A plan, list or mailbox slot must name something the tenant has: a command word one letter off in front of
    words that name nothing ("how are you" → "show are you") is chat, not a command."""
    if kind not in _LOOKED_UP:
        return [(typed, None)]
    names = [name for k in _LOOKED_UP[kind] for name in vocabulary.get(k, ())]
    if exact := _exact(typed, names):
        return [(exact.text, 100.0)]
    matches = near(typed, names)
    return [(name.text, score) for name, score in matches]


def suggest(text: str, language: str, vocabulary: Vocabulary, registry: Registry) -> list[Suggestion]:
    """Up to MAX_CANDIDATES full commands close to ``text``, best first; [] when nothing is close enough.

    Every language's commands are tried (people in Teams mix languages, and the parser takes all three); on equal
    scores the person's own language comes first. Candidates that parse to the same command ("licenses" and
    "licences") are one candidate, and none is the command the text already was."""
    if not _usable(text):
        return []
    found = [s for lang in TEMPLATES for s in _suggest_in(text, lang, vocabulary)]
    ranked = sorted(found, key=lambda s: (-s.score, s.language != language, s.order, s.command.casefold()))
    typed = _command(text, registry)
    seen = {repr(typed)}
    chosen: list[Suggestion] = []
    for suggestion in ranked:
        command = _command(suggestion.command, registry)
        if isinstance(command, Unknown) or repr(command) in seen:
            continue  # never a button that would only be misunderstood again, nor two that do the same
        seen.add(repr(command))
        chosen.append(suggestion)
        if len(chosen) == MAX_CANDIDATES:
            break
    return chosen


def _command(text: str, registry: Registry) -> object:
    """The command value the text parses to (without its route), to compare what two texts would do."""
    parsed = parse(text, registry)
    return parsed.command if isinstance(parsed, Parsed) else parsed


def _suggest_in(text: str, language: str, vocabulary: Vocabulary) -> list[Suggestion]:
    typed_key = fold(text)
    order = {phrase: index for index, phrase in enumerate(TEMPLATES[language])}
    scored: dict[str, Suggestion] = {}
    for alignment in _align(text, language):
        options = [_slot_values(kind, value, vocabulary) for kind, value in alignment.slots]
        for combination in itertools.product(*options):
            checked = [score for _, score in combination if score is not None]
            # A recognised name is evidence of its own: the command words may then be a little further off.
            score = (alignment.command_score + min(checked)) / 2 if checked else alignment.command_score
            if score < SCORE_MIN:
                continue
            command = _fill(alignment.phrase, [value for value, _ in combination])
            key = fold(command)
            if key == typed_key or (key in scored and scored[key].score >= score):
                continue
            scored[key] = Suggestion(command, score, language, order[alignment.phrase])
    return list(scored.values())


def _fill(phrase: str, values: Sequence[str]) -> str:
    filled, remaining = [], iter(values)
    for part in _parts(phrase):
        filled.append(next(remaining) if part.slot else part.word)
    return " ".join(filled)


# ------------------------------------------------------------------ replies


async def unknown_command(services: Services, actor: Actor, text: str) -> Reply:
    """The answer to a text nobody understood: "did you mean …?" with a button per candidate, else today's help."""
    t = actor_translator(actor)
    kinds = needed_kinds(text, t.language)
    vocabulary = await load_vocabulary(services, kinds) if kinds else {}
    found = suggest(text, t.language, vocabulary, services.kinds)
    if not found:
        return Reply(text=t("unknown_command", text=text[:MAX_TEXT_LENGTH]))
    view = SuggestionsView(typed=text[:MAX_TEXT_LENGTH], commands=tuple(s.command for s in found))
    return Reply(card=suggestions_card(view, t))


async def near_names_reply(
    services: Services, t: Translator, name: str, *, kind: str, then: Then | None = None
) -> Reply | None:
    """For a list or shared mailbox that was not found: the near names in the directory cache, as a card with a
    button per name; None when nothing is close (the caller says "not found" as before).

    ``then`` is the caller's way of running its command again for one list or mailbox (the same the choice card of
    several exact matches uses: "join …" joins the one clicked); without it, a button opens the list or mailbox.
    """
    name = name.strip()
    if not 0 < len(name) <= MAX_TEXT_LENGTH:
        return None
    vocabulary = await load_vocabulary(services, {kind})
    found = near(name, vocabulary.get(kind, ()))
    if not found:
        return None
    names: list[NearName] = []
    async with services.uow() as uow:
        for match, _ in found:
            label = match.label or match.text
            cache = uow.directory_cache
            cached = await (cache.get_list if kind == "list" else cache.get_mailbox)(match.ref)
            if cached is None:
                continue  # gone since the names were read
            if then is not None:
                verb, data = then(cached)
            elif kind == "list":
                verb, data = Verb.LIST_SHOW, {"list_id": match.ref}
            else:
                verb, data = Verb.MAILBOX_SHOW, {"mailbox_id": match.ref}
            names.append(NearName(label, verb, data))
    if not names:
        return None
    return Reply(card=near_names_card(name, kind, tuple(names), t))


async def load_vocabulary(services: Services, kinds: set[str]) -> dict[str, list[Name]]:
    """The names each kind can take: plans from the tenant's subscriptions, lists and mailboxes from the cache."""
    vocabulary: dict[str, list[Name]] = {}
    if "plan" in kinds:
        try:
            skus = await services.tenant.licenses.list_skus()
        except M365Error:
            # A suggestion is a courtesy: without the plans, no plan is corrected and the answer still comes.
            logger.warning("plans unavailable for suggestions", exc_info=True)
            skus = []
        vocabulary["plan"] = list(plan_names(services.plans, skus))
    if kinds & {"list", "mailbox"}:
        async with services.uow() as uow:
            entries = await uow.directory_cache.names()
        for entry in entries:
            if entry.kind not in kinds:
                continue
            for text in dict.fromkeys(v for v in (entry.display_name, entry.alias, entry.address) if v):
                vocabulary.setdefault(entry.kind, []).append(Name(text, entry.kind, entry.identity,
                                                                  entry.display_name))
    return vocabulary


def plan_names(plans: PlanCatalogue, skus: Iterable[Sku]) -> Iterator[Name]:
    """Each plan's display name, part number, and every run of words of its display name that the plan catalogue
    takes for it ("E3" of "Office 365 E3", "Business Basic"): the short names people type, spelled as shown."""
    for sku in skus:
        if sku.applies_to != "User":
            continue  # tenant-wide SKUs cannot be requested for a person
        display = plans.name(sku)
        yield Name(display, "plan", sku.sku_id, display)
        if sku.sku_part_number != display:
            yield Name(sku.sku_part_number, "plan", sku.sku_id, display)
        words = display.split()
        for start, end in itertools.combinations(range(len(words) + 1), 2):
            run = " ".join(words[start:end])
            if run != display and any(c.isalpha() for c in run) and plans.match(run, [sku]) is not None:
                yield Name(run, "plan", sku.sku_id, display)

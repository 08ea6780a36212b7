"""Matching a typed text against the command phrases: near misses of commands and of plan, list and mailbox names.

A phrase's literal words are matched word for word; its slots are filled from what was typed: plan names are
corrected against the tenant's plans, list and mailbox names against the directory cache, anything else is kept as
typed. Each candidate is the full corrected command, which must parse to a real command, and not the one the text
already was. Matching is rapidfuzz's: the Indel ratio for command words; for names the best of the ratio, the
token-sorted ratio and a discounted partial ratio (see near).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from handlers.commands import Unknown, parse
from handlers.suggestion_templates import LOOKED_UP, TEMPLATES, Part, fill, parts_of
from kinds.registry import Parsed, Registry

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
# Longer texts are pasted lists or prose, never a mistyped command.
MAX_TEXT_LENGTH = 200
MAX_TOKENS = 24


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
    """A full command close to what was typed, with its score (0–100) and the language of its phrase."""

    command: str
    score: float
    language: str
    order: int = 0  # the template's place in its language's table: on equal scores the more common phrasing wins


Vocabulary = Mapping[str, Sequence[Name]]  # kind → names


def fold(value: str) -> str:
    """Case, accents and spacing ignored: people type "dolacz", "Lizenz aendern" and "ł" as "l" just as often."""
    if value.isascii():
        return " ".join(value.lower().split())  # most names and addresses: no accents to take off
    lowered = value.casefold().replace("ł", "l").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    plain = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return " ".join(plain.split())


@dataclass(frozen=True, slots=True)
class _Alignment:
    """One way of reading the typed words as a template: its command-word score and each slot's typed words."""

    phrase: str
    language: str
    command_score: float
    slots: tuple[tuple[str, str], ...]  # (kind, typed value), in order


def _alignments(words: Sequence[str], parts: Sequence[Part]) -> Iterator[list[tuple[int, int]]]:
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
        parts = parts_of(phrase)
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
                kinds.update(LOOKED_UP.get(kind, ()))
    return kinds


# ------------------------------------------------------------------ near names, and the candidates they make


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
    if kind not in LOOKED_UP:
        return [(typed, None)]
    names = [name for k in LOOKED_UP[kind] for name in vocabulary.get(k, ())]
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
            command = fill(alignment.phrase, [value for value, _ in combination])
            key = fold(command)
            if key == typed_key or (key in scored and scored[key].score >= score):
                continue
            scored[key] = Suggestion(command, score, language, order[alignment.phrase])
    return list(scored.values())

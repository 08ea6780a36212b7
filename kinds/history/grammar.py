"""The admins' `history` command as typed in English, Polish and German, parsed into a typed HistoryQuery.

Every filter word of every language is read whatever the reader's language, like the desk's other commands: an
admin who mixes "history anna abgelehnt" still gets what they meant. A word the grammar cannot read is never
dropped: the command carries it as ``problem`` and the handler says which word it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MAX_DAYS = 3650  # "last N days" beyond ten years is a typo, not a wish
MAX_VALUE = 256  # a person, resource or text longer than any display name names nothing

# State words → the stored states they mean (several words, one state; "done" is what admins say for completed).
STATE_WORDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("pending", "waiting", "open"), ("pending",)),
    **dict.fromkeys(("approved",), ("approved",)),
    **dict.fromkeys(("executing", "running"), ("executing",)),
    **dict.fromkeys(("done", "completed", "complete"), ("completed",)),
    **dict.fromkeys(("rejected", "declined"), ("rejected",)),
    **dict.fromkeys(("failed",), ("failed",)),
    **dict.fromkeys(("withdrawn", "cancelled", "canceled"), ("cancelled",)),
    **dict.fromkeys(("expired",), ("expired",)),
    # pl
    **dict.fromkeys(("oczekujące", "oczekujace", "oczekuje"), ("pending",)),
    **dict.fromkeys(("zatwierdzone",), ("approved",)),
    **dict.fromkeys(("wykonane", "zakończone", "zakonczone", "zrealizowane"), ("completed",)),
    **dict.fromkeys(("odrzucone",), ("rejected",)),
    **dict.fromkeys(("nieudane", "błędne", "bledne"), ("failed",)),
    **dict.fromkeys(("wycofane", "anulowane"), ("cancelled",)),
    **dict.fromkeys(("wygasłe", "wygasle"), ("expired",)),
    # de
    **dict.fromkeys(("offen", "ausstehend", "wartend"), ("pending",)),
    **dict.fromkeys(("genehmigt",), ("approved",)),
    **dict.fromkeys(("erledigt", "abgeschlossen"), ("completed",)),
    **dict.fromkeys(("abgelehnt",), ("rejected",)),
    **dict.fromkeys(("fehlgeschlagen",), ("failed",)),
    **dict.fromkeys(("zurückgezogen", "zurueckgezogen", "storniert"), ("cancelled",)),
    **dict.fromkeys(("abgelaufen",), ("expired",)),
    # An incident's own states (F18); "open"/"done" and their translations above name incidents' too (search.py).
    **dict.fromkeys(("new", "nowe", "neu"), ("new",)),
    **dict.fromkeys(("resolved", "rozwiązane", "rozwiazane", "gelöst", "geloest"), ("resolved",)),
    **dict.fromkeys(("closed", "zamknięte", "zamkniete", "geschlossen"), ("closed",)),
}

# Family words → the family's name in kinds/ (its kinds are read from the registry when the query runs).
FAMILY_WORDS: dict[str, str] = {
    **dict.fromkeys(("licenses", "licences", "license", "licence", "licencje", "licencja", "lizenzen", "lizenz"),
                    "licenses"),
    **dict.fromkeys(("lists", "listy", "listen"), "lists"),
    **dict.fromkeys(("mailboxes", "skrzynki", "postfächer", "postfaecher"), "mailboxes"),
    **dict.fromkeys(("seats", "miejsca", "plätze", "plaetze"), "seats"),
    **dict.fromkeys(("groups", "grupy", "gruppen"), "groups"),
    # Incidents are not requests (no kinds): the word searches the incidents beside or instead of requests.
    **dict.fromkeys(("incidents", "incident", "incydenty", "incydent", "zgłoszenia", "zgloszenia", "störungen",
                     "stoerungen", "störung", "stoerung"), "incidents"),
}

# "prefix:value" words. Resources: which family's requests, matched on the request's target.
_PERSON_PREFIXES = frozenset({"user", "person", "who", "użytkownik", "uzytkownik", "osoba", "benutzer"})
RESOURCE_PREFIXES: dict[str, str] = {
    **dict.fromkeys(("list", "lista", "liste"), "list"),
    **dict.fromkeys(("mailbox", "skrzynka", "postfach"), "mailbox"),
    **dict.fromkeys(("plan", "license", "licencja", "lizenz"), "plan"),
}
_FROM_PREFIXES = frozenset({"from", "since", "od", "von", "ab"})
_TO_PREFIXES = frozenset({"to", "until", "do", "bis"})
_TEXT_PREFIXES = frozenset({"text", "tekst", "contains", "zawiera", "enthält", "enthaelt"})
_KIND_PREFIXES = frozenset({"kind", "type", "rodzaj", "typ", "art"})
_STATE_PREFIXES = frozenset({"state", "status", "stan", "zustand"})

_COMMAND = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?(?:history|historia|historie|verlauf)(?P<rest>(?:\s.*)?)$",
    re.IGNORECASE | re.DOTALL,
)
# "last 30 days", "ostatnie 30 dni", "letzte 30 Tage" (and the one-day forms).
_LAST_DAYS = re.compile(
    r"(?:^|\s)(?:last|past|ostatnie|ostatnich|ostatni|letzte|letzten)\s+(?P<days>\d{1,6})\s+"
    r"(?:days?|dni|dzień|dzien|tage?n?)(?=\s|$)",
    re.IGNORECASE,
)
# One word: an optional "prefix:" and a value, the value either quoted ("…", „…“) or up to the next space.
_WORD = re.compile(r'(?:(?P<prefix>[^\s:"„“”]+):)?(?:"(?P<q1>[^"]*)"|„(?P<q2>[^“”"]*)[“”"]|(?P<bare>\S+))')
_KIND_ID = re.compile(r"^[a-z]+(?:\.[a-z_]+)+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """What an admin asked the history for; every filter given narrows it (AND), several states or kinds widen
    their own filter (OR). Dates are calendar days in the desk's zone, ``until`` included."""

    person: str | None = None  # as requester, as the one the request is for, or as the one who decided
    families: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # kind ids as typed ("license.assign"); checked against the registry when run
    states: tuple[str, ...] = ()
    resource_type: str | None = None  # "list", "mailbox" or "plan"
    resource: str | None = None
    since: date | None = None
    until: date | None = None
    last_days: int | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ShowHistory:
    """ "history …": the query, whether a CSV was asked for, and the first word that could not be read (the
    handler refuses the command naming it, rather than answering a query the admin did not mean)."""

    query: HistoryQuery
    csv: bool = False
    problem: str | None = None


def parse_history(text: str, _raw: str | None = None) -> ShowHistory | None:
    """The command, or None when ``text`` is not a history command."""
    found = _COMMAND.match(text.strip())
    if found is None:
        return None
    return parse_filters(found.group("rest"))


def parse_filters(rest: str) -> ShowHistory:
    """The filter words after the command word; the first one not read makes ``problem``."""
    last_days: int | None = None
    window = _LAST_DAYS.search(rest)
    if window is not None:
        last_days = int(window.group("days"))
        if not 1 <= last_days <= MAX_DAYS:
            return ShowHistory(HistoryQuery(), problem=window.group(0).strip())
        rest = rest[: window.start()] + " " + rest[window.end() :]
    person_words: list[str] = []
    fields: dict[str, object] = {"last_days": last_days}
    families: list[str] = []
    kinds: list[str] = []
    states: list[str] = []
    wants_csv = False
    for word in _WORD.finditer(rest.strip()):
        whole = word.group(0)
        prefix = (word.group("prefix") or "").casefold()
        quoted = word.group("q1") if word.group("q1") is not None else word.group("q2")
        value = (quoted if quoted is not None else word.group("bare") or "").strip()
        if len(value) > MAX_VALUE:
            return ShowHistory(HistoryQuery(), problem=whole[:40])
        problem = None
        if not prefix:
            lowered = value.casefold()
            if quoted is not None:
                problem = _set_once(fields, "text", value, whole)
            elif ":" in value:
                problem = whole  # "user:" with nothing after it, or a prefix the grammar does not have
            elif lowered == "csv":
                wants_csv = True
            elif lowered in STATE_WORDS:
                states.extend(STATE_WORDS[lowered])
            elif lowered in FAMILY_WORDS:
                families.append(FAMILY_WORDS[lowered])
            elif _KIND_ID.match(lowered):
                kinds.append(lowered)
            else:
                person_words.append(value)
        elif prefix in _PERSON_PREFIXES:
            problem = _set_once(fields, "person", value, whole)
        elif prefix in RESOURCE_PREFIXES:
            problem = _set_once(fields, "resource", value, whole) or _set_once(
                fields, "resource_type", RESOURCE_PREFIXES[prefix], whole
            )
        elif prefix in _FROM_PREFIXES or prefix in _TO_PREFIXES:
            day = _day(value)
            key = "since" if prefix in _FROM_PREFIXES else "until"
            problem = whole if day is None else _set_once(fields, key, day, whole)
        elif prefix in _TEXT_PREFIXES:
            problem = _set_once(fields, "text", value, whole)
        elif prefix in _KIND_PREFIXES and value.casefold() in FAMILY_WORDS:
            families.append(FAMILY_WORDS[value.casefold()])
        elif prefix in _KIND_PREFIXES and _KIND_ID.match(value.casefold()):
            kinds.append(value.casefold())
        elif prefix in _STATE_PREFIXES and value.casefold() in STATE_WORDS:
            states.extend(STATE_WORDS[value.casefold()])
        else:
            problem = whole
        if problem is None and not value:
            problem = whole  # "user:" or "" with nothing in it
        if problem is not None:
            return ShowHistory(HistoryQuery(), problem=problem[:40])
    if person_words:
        if "person" in fields:
            return ShowHistory(HistoryQuery(), problem=" ".join(person_words)[:40])
        fields["person"] = " ".join(person_words)
    since, until = fields.get("since"), fields.get("until")
    if isinstance(since, date) and isinstance(until, date) and since > until:
        return ShowHistory(HistoryQuery(), problem=f"{since.isoformat()} > {until.isoformat()}")
    query = HistoryQuery(
        families=tuple(dict.fromkeys(families)),
        kinds=tuple(dict.fromkeys(kinds)),
        states=tuple(dict.fromkeys(states)),
        **fields,  # type: ignore[arg-type]  # each key set above with its field's type
    )
    return ShowHistory(query, csv=wants_csv)


def _set_once(fields: dict[str, object], key: str, value: object, whole: str) -> str | None:
    """Sets a single-valued filter; the word itself (the problem) when the filter was already given."""
    if key in fields and fields[key] is not None:
        return whole
    fields[key] = value
    return None


def _day(value: str) -> date | None:
    if not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None

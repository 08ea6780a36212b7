"""The licenses family's chat commands as typed in English, Polish and German, and their parsers: request a
license, remove one, change plan, assign one plan to a pasted list, the plans catalogue and an admin's price."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from handlers.people import SELF_WORDS


@dataclass(frozen=True, slots=True)
class RequestLicense:
    plan: str
    for_user: str | None = None  # None = the person asking
    usage_location: str | None = None


@dataclass(frozen=True, slots=True)
class ShowPlans:
    pass


@dataclass(frozen=True, slots=True)
class SetPrice:
    """An admin's "price E3 23.10 EUR", as typed: the handler validates each part and says what is wrong."""

    plan: str
    amount: str = ""  # "" = missing
    currency: str = ""


@dataclass(frozen=True, slots=True)
class RemoveLicense:
    plan: str
    for_user: str | None = None  # None = the person asking


@dataclass(frozen=True, slots=True)
class ChangeLicense:
    """A plan change, e.g. E3 to E5: applied as one atomic swap."""

    old_plan: str
    new_plan: str
    for_user: str | None = None


@dataclass(frozen=True, slots=True)
class RequestLicenseBulk:
    """"request license E3 for" followed by a pasted list: one entry per person, as typed (validated later)."""

    plan: str
    people: tuple[str, ...]


LicenseChangeCommand = RemoveLicense | ChangeLicense | RequestLicenseBulk

_FOR = r"(?:for|dla|für|fuer)"
_FUER = r"(?:für|fuer)"
_CHANGE_DE = r"(?:ändern|aendern|wechseln|umstellen)"

# Order matters where a shorter pattern would swallow a longer sentence (German puts the verb last).
_REMOVE_PATTERNS = (
    re.compile(
        r"^(?:remove|revoke|unassign|take\s+away)\s+(?:the\s+)?licen[cs]e\s+(?P<plan>.+?)"
        r"(?:\s+(?:from|for)\s+(?P<who>.+))?$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:usu[ńn]|odbierz|zabierz|cofnij)\s+licencj[aęei]\s+(?P<plan>.+?)(?:\s+(?:dla|od)\s+(?P<who>.+))?$",
        re.IGNORECASE,
    ),
    re.compile(rf"^lizenz\s+(?P<plan>.+?)\s+(?:{_FUER}|von|bei)\s+(?P<who>.+?)\s+entfernen$", re.IGNORECASE),
    re.compile(rf"^lizenz\s+(?P<plan>.+?)\s+entfernen(?:\s+(?:{_FUER}|von|bei)\s+(?P<who>.+))?$", re.IGNORECASE),
    re.compile(
        rf"^entferne\s+(?:die\s+)?lizenz\s+(?P<plan>.+?)(?:\s+(?:{_FUER}|von|bei)\s+(?P<who>.+))?$", re.IGNORECASE
    ),
)
_CHANGE_PATTERNS = (
    re.compile(
        r"^(?:change|switch|swap|move|upgrade|downgrade)\s+(?:(?:my|the)\s+)?licen[cs]e\s+(?:from\s+)?"
        r"(?P<old>.+?)\s+(?:to|into)\s+(?P<new>.+?)(?:\s+for\s+(?P<who>.+))?$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^zmie[ńn]\s+licencj[aęei]\s+(?:z\s+)?(?P<old>.+?)\s+na\s+(?P<new>.+?)(?:\s+dla\s+(?P<who>.+))?$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^lizenz\s+(?:von\s+)?(?P<old>.+?)\s+{_FUER}\s+(?P<who>.+?)\s+(?:auf|zu)\s+(?P<new>.+?)\s+{_CHANGE_DE}$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^lizenz\s+(?:von\s+)?(?P<old>.+?)\s+(?:auf|zu)\s+(?P<new>.+?)\s+{_CHANGE_DE}(?:\s+{_FUER}\s+(?P<who>.+))?$",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:ändere|aendere|wechsle)\s+(?:die\s+)?lizenz\s+(?:von\s+)?(?P<old>.+?)\s+(?:auf|zu)\s+(?P<new>.+?)"
        rf"(?:\s+{_FUER}\s+(?P<who>.+))?$",
        re.IGNORECASE,
    ),
)
# The first line of a pasted list: "request license E3 for" (the people may start on the same line).
_BULK_HEADERS = (
    re.compile(r"^(?:request\s+|get\s+)?licen[cs]e\s+(?P<plan>.+?)\s+for:?(?:\s+(?P<who>.+))?$", re.IGNORECASE),
    re.compile(
        r"^(?:popro[śs]\s+o\s+|chc[ęe]\s+)?licencj[aęei]\s+(?P<plan>.+?)\s+dla:?(?:\s+(?P<who>.+))?$", re.IGNORECASE
    ),
    re.compile(rf"^lizenz\s+(?P<plan>.+?)(?:\s+anfordern)?\s+{_FUER}:?(?:\s+(?P<who>.+))?$", re.IGNORECASE),
)
# Checked before the license patterns: "license plans" is the catalogue, not a request for a plan called "plans".
_PLANS = re.compile(
    r"^(?:(?:show|list)\s+)?(?:licen[cs]es|plans|licen[cs]e\s+plans)$"
    r"|^(?:poka[żz]\s+)?(?:licencje|plany|plany\s+licencyjne)$"
    r"|^(?:zeige\s+)?(?:lizenzen|pl[äa]ne|plaene|lizenzpl[äa]ne|lizenzplaene)$",
    re.IGNORECASE,
)
# "price E3 23.10 EUR" / "cena E3 23,10 EUR" / "Preis E3 23,10 EUR"; the rest is split in _set_price.
_PRICE = re.compile(
    r"^(?:(?:set\s+)?price|(?:ustaw\s+)?cen[aęe]|preis(?:\s+setzen)?)(?:\s+(?P<rest>.+))?$", re.IGNORECASE
)
_HAS_DIGIT = re.compile(r"\d")
_LICENSE_PATTERNS = (
    # en: "request license E3 [for x]", "license E3 for me"
    re.compile(rf"^(?:request\s+|get\s+)?licen[cs]e\s+(?P<plan>.+?)(?:\s+{_FOR}\s+(?P<who>.+))?$", re.IGNORECASE),
    # pl: "poproś o licencję E3 [dla x]", "licencja E3 dla x"
    re.compile(
        rf"^(?:popro[śs]\s+o\s+|chc[ęe]\s+)?licencj[aęei]\s+(?P<plan>.+?)(?:\s+{_FOR}\s+(?P<who>.+))?$", re.IGNORECASE
    ),
    # de: "Lizenz E3 anfordern [für x]", "Lizenz E3 für x"
    re.compile(rf"^lizenz\s+(?P<plan>.+?)(?:\s+anfordern)?(?:\s+{_FOR}\s+(?P<who>.+))?$", re.IGNORECASE),
)
_LINE_BREAKS = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|\r\n|\r", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_SEPARATORS = re.compile(r"[,;]")
_BULLET = re.compile(r"^(?:[-*•·]+|\d{1,3}[.)])\s*")


def parse_plans(text: str, _raw: str | None) -> ShowPlans | None:
    return ShowPlans() if _PLANS.match(text) else None


def parse_price(text: str, _raw: str | None) -> SetPrice | None:
    found = _PRICE.match(text)
    return _set_price(found.group("rest") or "") if found else None


def parse_license_request(text: str, _raw: str | None) -> RequestLicense | None:
    for pattern in _LICENSE_PATTERNS:
        if found := pattern.match(text):
            who = (found.group("who") or "").strip()
            return RequestLicense(
                plan=found.group("plan").strip(), for_user=None if who.casefold() in SELF_WORDS or not who else who
            )
    return None


def parse_license_change(text: str, raw: str | None) -> LicenseChangeCommand | None:
    """``text`` is the cleaned one-line message, ``raw`` what Teams sent (its line breaks mark a pasted list)."""
    if bulk := _bulk(raw):
        return bulk
    for pattern in _CHANGE_PATTERNS:
        if found := pattern.match(text):
            return ChangeLicense(
                old_plan=found.group("old").strip(), new_plan=found.group("new").strip(), for_user=_who(found)
            )
    for pattern in _REMOVE_PATTERNS:
        if found := pattern.match(text):
            return RemoveLicense(plan=found.group("plan").strip(), for_user=_who(found))
    return None


def clean_lines(raw: str | None) -> list[str]:
    """Teams sends a pasted list as HTML paragraphs or <br>s (or plain newlines): its non-empty lines, as text."""
    without_mentions = re.sub(r"<at>.*?</at>", " ", raw or "", flags=re.IGNORECASE)
    text = html.unescape(_TAGS.sub(" ", _LINE_BREAKS.sub("\n", without_mentions)))
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


def _bulk(raw: str | None) -> RequestLicenseBulk | None:
    """Two or more people after a license request's "for" make a bulk request; one person is an ordinary one."""
    lines = clean_lines(raw)
    if not lines:
        return None
    header = lines[0].rstrip(".!")
    for pattern in _BULK_HEADERS:
        if found := pattern.match(header):
            people = _entries([found.group("who") or "", *lines[1:]])
            return RequestLicenseBulk(plan=found.group("plan").strip(), people=people) if len(people) > 1 else None
    return None


def _entries(chunks: list[str]) -> tuple[str, ...]:
    people: list[str] = []
    for chunk in chunks:
        for part in _SEPARATORS.split(chunk):
            entry = _BULLET.sub("", part.strip()).strip().strip("<>\"'„”“").strip()
            words = entry.split()
            # "anna@contoso.com jan@contoso.com" on one line is two people; "Anna Kowalska" is one.
            if len(words) > 1 and all("@" in word for word in words):
                people.extend(word.strip("<>") for word in words)
            elif entry:
                people.append(entry)
    return tuple(people)


def _who(found: re.Match[str]) -> str | None:
    who = (found.groupdict().get("who") or "").strip()
    return None if not who or who.casefold() in SELF_WORDS else who


def _set_price(rest: str) -> SetPrice:
    """The plan may have spaces ("business basic"), so the amount and currency are taken from the end."""
    words = rest.split()
    if len(words) >= 3 and not _HAS_DIGIT.search(words[-1]):
        return SetPrice(plan=" ".join(words[:-2]), amount=words[-2], currency=words[-1])
    if len(words) >= 2 and _HAS_DIGIT.search(words[-1]):
        return SetPrice(plan=" ".join(words[:-1]), amount=words[-1])  # the currency is missing
    return SetPrice(plan=" ".join(words))

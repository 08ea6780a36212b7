"""The channel digest command (F21) as admins type it in a channel, in English, Polish and German, and its parser:
``digest weekly monday 08:00`` / ``digest daily 08:00`` / ``digest off`` (``podsumowanie co tydzień poniedziałek
08:00`` / ``codziennie`` / ``wyłącz``; ``Zusammenfassung wöchentlich Montag 08:00`` / ``täglich`` / ``aus``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kinds.digest.schedule import DAILY, WEEKLY

_WORD = r"(?:digest|podsumowanie|zusammenfassung)"
_DAILY = r"(?:daily|every\s+day|codziennie|taglich|jeden\s+tag)"
_WEEKLY = r"(?:weekly|every\s+week|co\s+tydzien|cotygodniowo|wochentlich|jede\s+woche)"
_OFF = r"(?:off|stop|wylacz|aus|stopp)"
_TIME = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?"
_SET = re.compile(
    rf"^{_WORD}\s+(?:(?P<daily>{_DAILY})|(?P<weekly>{_WEEKLY})\s+(?:on\s+|w\s+|am\s+)?(?P<day>[a-z]+))"
    rf"\s+(?:at\s+|o\s+|um\s+)?{_TIME}(?:\s*uhr)?$"
)
_OFF_PATTERN = re.compile(rf"^{_WORD}\s+{_OFF}$")
_BARE = re.compile(rf"^{_WORD}$")
# Weekday names (without diacritics, as the text is folded), Polish in the nominative and accusative.
_WEEKDAYS = {
    0: ("monday", "mon", "poniedzialek", "pon", "montag", "mo"),
    1: ("tuesday", "tue", "wtorek", "wt", "dienstag", "di"),
    2: ("wednesday", "wed", "sroda", "srode", "sr", "mittwoch", "mi"),
    3: ("thursday", "thu", "czwartek", "czw", "donnerstag", "do"),
    4: ("friday", "fri", "piatek", "pt", "freitag", "fr"),
    5: ("saturday", "sat", "sobota", "sobote", "sob", "samstag", "sonnabend", "sa"),
    6: ("sunday", "sun", "niedziela", "niedziele", "nd", "niedz", "sonntag", "so"),
}
_WEEKDAY_OF = {name: number for number, names in _WEEKDAYS.items() for name in names}


@dataclass(frozen=True, slots=True)
class SetDigest:
    """Post this channel's digest daily, or weekly on ``weekday`` (0 = Monday), at ``at_minute`` after midnight."""

    cadence: str
    at_minute: int
    weekday: int | None = None


@dataclass(frozen=True, slots=True)
class DigestOff:
    """Stop this channel's digest."""


@dataclass(frozen=True, slots=True)
class DigestUsage:
    """"digest" alone, or with a schedule the parser cannot read (a day or an hour that does not exist): how to
    type it."""


DigestCommand = SetDigest | DigestOff | DigestUsage


def _fold(text: str) -> str:
    """Lower case without diacritics ("wyłącz" → "wylacz", "wöchentlich" → "wochentlich")."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().replace("ł", "l"))
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c)))


def parse_digest(text: str, _raw: str | None = None) -> DigestCommand | None:
    folded = _fold(text)
    if _OFF_PATTERN.match(folded):
        return DigestOff()
    if _BARE.match(folded):
        return DigestUsage()
    found = _SET.match(folded)
    if found is None:
        # Starts like the digest command: explain it rather than let "show …" or the suggestions guess.
        return DigestUsage() if re.match(rf"^{_WORD}\s", folded) else None
    hour, minute = int(found["hour"]), int(found["minute"] or 0)
    if hour > 23 or minute > 59:
        return DigestUsage()
    if found["daily"]:
        return SetDigest(DAILY, hour * 60 + minute)
    weekday = _WEEKDAY_OF.get(found["day"])
    if weekday is None:
        return DigestUsage()
    return SetDigest(WEEKLY, hour * 60 + minute, weekday)

"""The message catalogue (English, Polish, German) and locale-aware formatting of dates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

from cards.messages_audit import MESSAGES as AUDIT
from cards.messages_authority import MESSAGES as AUTHORITY
from cards.messages_de import MESSAGES as DE
from cards.messages_en import MESSAGES as EN
from cards.messages_input import MESSAGES as INPUT
from cards.messages_lists import MESSAGES as LISTS
from cards.messages_mailboxes import MESSAGES as MAILBOXES
from cards.messages_names import MESSAGES as NAMES
from cards.messages_pl import MESSAGES as PL
from cards.messages_reports import MESSAGES as REPORTS
from cards.messages_suggestions import MESSAGES as SUGGESTIONS

# Each area's messages live in their own module (reports and alerts F11, lists F1–F5, mailboxes F6, the Teams
# edge's refusals, names, suggestions, authority and the audit chain) and are merged in here.
_AREAS = (REPORTS, LISTS, MAILBOXES, INPUT, NAMES, SUGGESTIONS, AUTHORITY, AUDIT)
CATALOGUE: Mapping[str, Mapping[str, str]] = {
    language: {key: text for messages in (base, *(area[language] for area in _AREAS)) for key, text in messages.items()}
    for language, base in (("en", EN), ("pl", PL), ("de", DE))
}
DEFAULT_LANGUAGE = "en"
_BABEL_LOCALES = {"en": "en_GB", "pl": "pl_PL", "de": "de_DE"}


def language_of(locale: str | None) -> str:
    """Teams sends locales like "pl-PL" or "de"; anything we do not speak falls back to English."""
    if not locale:
        return DEFAULT_LANGUAGE
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in CATALOGUE else DEFAULT_LANGUAGE


class Markdown(str):
    """Text that goes into a message as it is: a message the Translator made, or a value that must not be escaped
    (a link). Any other string given to a message is escaped first."""


# Teams renders bot text and card TextBlocks as markdown: a list typed as "*Team*" came back as an italic "Team".
# These characters start markup there; an underscore inside a word (LIC_Office365_E3, anna_k@…) never does.
_MARKUP = re.compile(r"[\\*~`\[\]]|(?<![^\W_])_|_(?![^\W_])")


def plain(value: object) -> object:
    """A value as it reads in a message: strings (names, typed text) escaped, messages and numbers as they are."""
    if isinstance(value, str) and not isinstance(value, Markdown):
        return _MARKUP.sub(lambda found: "\\" + found.group(0), value)
    return value


def unescaped(text: str) -> str:
    """The text as written, for the card fields that show text as it is (button titles, input labels, choices)."""
    return _ESCAPED.sub(lambda found: found.group(1), text)


_ESCAPED = re.compile(r"\\([\\*~`\[\]_])")


class Translator:
    """Looks up messages in one language and formats dates for one reader."""

    def __init__(self, locale: str | None = None, timezone: str | None = None) -> None:
        self.language = language_of(locale)
        self._messages = CATALOGUE[self.language]
        self._zone = _zone_or_utc(timezone)

    def __call__(self, key: str, /, **params: object) -> Markdown:
        template = self._messages.get(key) or CATALOGUE[DEFAULT_LANGUAGE][key]
        if not params:
            return Markdown(template)
        return Markdown(template.format(**{name: plain(value) for name, value in params.items()}))

    def money(self, amount: Decimal, currency: str) -> str:
        """An amount in the reader's locale: €1,234.50 (en), 1 234,50 € (pl), 1.234,50 € (de)."""
        return format_currency(amount, currency, locale=_BABEL_LOCALES[self.language])

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=_BABEL_LOCALES[self.language])

    def percent(self, ratio: float) -> str:
        """A share as whole percent in the reader's locale: 67% (en, pl), 67 % (de)."""
        return format_percent(ratio, locale=_BABEL_LOCALES[self.language])

    def month(self, day: date) -> str:
        """The month `day` falls in, named as a heading: November 2026, listopad 2026."""
        return format_date(day, "LLLL y", locale=_BABEL_LOCALES[self.language])

    def datetime(self, moment: datetime) -> str:
        return format_datetime(
            moment.astimezone(self._zone), format="short", locale=_BABEL_LOCALES[self.language]
        ) + ("" if self._zone.key != "UTC" else " UTC")


def _zone_or_utc(name: object) -> ZoneInfo:
    """The reader's zone; the client sends it, so anything that is not a known IANA zone name reads as UTC."""
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # ValueError: paths and non-zone files ("../x", "zone.tab"); OSError: names the filesystem refuses.
            pass
    return ZoneInfo("UTC")

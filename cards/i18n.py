"""The message catalogues (English, Polish, German: gettext .po files under cards/locale/, one per area, with plural
forms), the Translator that fills messages in for one reader with markdown escaping, and its locale-aware formatting
of numbers, money and dates."""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import NumberFormatError, format_currency, format_decimal, format_percent, parse_decimal

# cards/locale/<language>/LC_MESSAGES/<area>.po: one file per area (messages: the desk's core; reports, lists,
# mailboxes, input, names, suggestions, authority, audit), each msgid the key the code looks up.
LOCALE_DIRECTORY = Path(__file__).with_name("locale")
LANGUAGES = ("en", "pl", "de")
DEFAULT_LANGUAGE = "en"
_BABEL_LOCALES = {"en": "en_GB", "pl": "pl_PL", "de": "de_DE"}
# A plural entry names the parameter whose number picks its form in an extracted comment ("#. {days} picks the
# plural form"): most messages count with {count}, but some count days, seats or characters under their own name.
_PLURAL_PARAMETER = re.compile(r"\{(\w+)\} picks the plural form")


@dataclass(frozen=True)
class Message:
    """One message: a single text, or one text per plural form of its language and the parameter that picks it."""

    forms: tuple[str, ...]
    plural_by: str | None = None


@dataclass(frozen=True)
class Catalogue:
    """One language's messages, and its rule from a number to the index of a plural form (the Plural-Forms header)."""

    language: str
    messages: Mapping[str, Message]
    plural_form: Callable[[int], int]

    def text(self, key: str, params: Mapping[str, object]) -> str | None:
        """The text of `key` for these parameters; None when this language lacks it (the reader then gets English)."""
        message = self.messages.get(key)
        if message is None:
            return None
        if message.plural_by is None:
            return message.forms[0] or None
        count = _whole_number(params.get(message.plural_by), _BABEL_LOCALES[self.language])
        # A count that is not a whole number (a caller's bug, or no count given) takes the last form, the one
        # for "many" in all three languages, rather than failing the reply.
        return message.forms[-1 if count is None else self.plural_form(count)] or None


@dataclass(frozen=True)
class Catalogues:
    """Every language's catalogue, read from one locale directory."""

    by_language: Mapping[str, Catalogue]

    @classmethod
    def read(cls, directory: Path = LOCALE_DIRECTORY) -> Catalogues:
        return cls({language: _read_language(directory / language / "LC_MESSAGES", language) for language in LANGUAGES})

    def __getitem__(self, language: str) -> Catalogue:
        return self.by_language[language]


@functools.cache
def installed_catalogues() -> Catalogues:
    """The catalogues shipped with the desk, read on the first message a process needs and kept while it runs:
    the files do not change under a running desk, and every Translator (one per reply) shares them."""
    return Catalogues.read(LOCALE_DIRECTORY)


def _read_language(folder: Path, language: str) -> Catalogue:
    messages: dict[str, Message] = {}
    plural_exprs: set[str] = set()
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language, domain=path.stem)
        plural_exprs.add(catalog.plural_expr)
        for entry in catalog:
            if not entry.id:
                continue  # the header
            key = entry.id if isinstance(entry.id, str) else entry.id[0]  # a plural entry's id: (msgid, plural)
            if key in messages:
                raise ValueError(f"{path}: {key} is already in another file of {folder}")
            messages[key] = _message(entry.string, entry.auto_comments, path, key)
    if len(plural_exprs) != 1:
        raise ValueError(f"{folder}: the files disagree on Plural-Forms (or there are none): {plural_exprs}")
    return Catalogue(language, messages, gettext.c2py(plural_exprs.pop()))


def _message(string: str | Sequence[str] | None, comments: list[str], path: Path, key: str) -> Message:
    if string is None or isinstance(string, str):
        return Message((string or "",))
    named = [found.group(1) for comment in comments if (found := _PLURAL_PARAMETER.search(comment))]
    if len(named) != 1:
        raise ValueError(f"{path}: the plural entry {key} must name the parameter that picks its form, once")
    return Message(tuple(string), named[0])


def _whole_number(value: object, babel_locale: str) -> int | None:
    """The count a parameter carries: an int, or a number the caller already formatted for the reader ("1 234")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return abs(value)
    if isinstance(value, str):
        try:
            value = parse_decimal(value, locale=babel_locale)
        except NumberFormatError:
            return None
    if isinstance(value, (Decimal, float)) and value == int(value):
        return abs(int(value))
    return None


def language_of(locale: str | None) -> str:
    """Teams sends locales like "pl-PL" or "de"; anything we do not speak falls back to English."""
    if not locale:
        return DEFAULT_LANGUAGE
    language = locale.replace("_", "-").split("-", 1)[0].lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


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

    def __init__(
        self, locale: str | None = None, timezone: str | None = None, catalogues: Catalogues | None = None
    ) -> None:
        self.language = language_of(locale)
        catalogues = catalogues or installed_catalogues()
        self._messages = catalogues[self.language]
        self._fallback = catalogues[DEFAULT_LANGUAGE]
        self._zone = _zone_or_utc(timezone)

    def __call__(self, key: str, /, **params: object) -> Markdown:
        """The message `key` in the reader's language (English where it lacks one), its plural form picked by the
        count it names, with `params` filled in: strings escaped, Markdown as it is."""
        template = self._messages.text(key, params) or self._fallback.text(key, params)
        if template is None:
            raise KeyError(key)
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

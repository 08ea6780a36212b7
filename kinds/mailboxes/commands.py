"""Shared-mailbox chat commands (F6): typed dataclasses and their parser (en/pl/de).

Accepted phrasings (case-insensitive, the words for "shared mailbox" optional where a mailbox is already implied):
    create shared mailbox <name> [address]        utwórz skrzynkę współdzieloną …   erstelle freigegebenes Postfach …
    delete shared mailbox <mailbox>               usuń skrzynkę współdzieloną …     lösche freigegebenes Postfach …
    grant <access> on <mailbox> to <people> [until YYYY-MM-DD] [without automapping]
        nadaj <dostęp> do <skrzynki> dla <osób> [do …] [bez automapowania]
        gewähre <Zugriff> auf <Postfach> für <Personen> [bis …] [ohne Automapping]  (or "… gewähren" at the end)
    revoke <access> on <mailbox> from <people>    odbierz <dostęp> do … od …       entziehe <Zugriff> auf … von …
    show shared mailbox <mailbox>                 pokaż skrzynkę …                  zeige Postfach … (… anzeigen)
    owners of mailbox <mailbox> are <people>      właściciele skrzynki … to …      Besitzer des Postfachs … sind …
<access> is Full Access, Send As or Send on Behalf in any of the three languages; "grant access" alone (or with
only some parts) opens the grant form. People are addresses or names separated by commas, semicolons or spaces
between addresses.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from m365.ports import Access


class MailboxCommand:
    """Base of every shared-mailbox command; kinds/mailboxes/routes.py hands each to its handler."""


@dataclass(frozen=True, slots=True)
class CreateMailbox(MailboxCommand):
    """Opens the create form, prefilled with what was typed."""

    name: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class DeleteMailbox(MailboxCommand):
    mailbox: str


@dataclass(frozen=True, slots=True)
class GrantAccess(MailboxCommand):
    """Complete (access, mailbox, people) → a request; anything missing → the grant form, prefilled."""

    access: Access | None = None
    mailbox: str = ""
    people: tuple[str, ...] = ()
    until: str = ""  # as typed; the handler validates it
    auto_mapping: bool = True

    @property
    def complete(self) -> bool:
        return self.access is not None and bool(self.mailbox) and bool(self.people)


@dataclass(frozen=True, slots=True)
class RevokeAccess(MailboxCommand):
    access: Access | None
    mailbox: str
    people: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ShowMailbox(MailboxCommand):
    mailbox: str


@dataclass(frozen=True, slots=True)
class SetMailboxOwners(MailboxCommand):
    """An admin records who owns an existing shared mailbox (Exchange has no such notion; the desk keeps it)."""

    mailbox: str
    people: tuple[str, ...]


_I = re.IGNORECASE

# Every spelling of each delegation, longest first so "send on behalf" is not read as "send" + rest.
_ACCESS_WORDS: tuple[tuple[Access, str], ...] = (
    (Access.SEND_ON_BEHALF, r"send[\s-]+on[\s-]+behalf(?:\s+of)?|sendonbehalf(?:to)?|sob"),
    (Access.SEND_ON_BEHALF, r"(?:prawo\s+(?:do\s+)?)?wysy[łl]ani[ae]\s+w\s+imieniu|wy[śs]lij\s+w\s+imieniu"),
    (Access.SEND_ON_BEHALF, r"senden\s+im\s+auftrag(?:\s+von)?|im\s+auftrag\s+senden"),
    (Access.SEND_AS, r"send[\s-]*as"),
    (Access.SEND_AS, r"(?:prawo\s+(?:do\s+)?)?wysy[łl]ani[ae]\s+jako|wy[śs]lij\s+jako"),
    (Access.SEND_AS, r"senden\s+als"),
    (Access.FULL_ACCESS, r"full[\s-]*access|full|pe[łl]n[ye]\s+dost[ęe]p|pe[łl]en\s+dost[ęe]p"),
    (Access.FULL_ACCESS, r"voll(?:en|er)?[\s-]*zugriff(?:srechte?)?|vollzugriff(?:srechte?)?"),
)
_ACCESS = "|".join(f"(?:{words})" for _, words in _ACCESS_WORDS)
_GENERIC_ACCESS = r"(?:mailbox\s+)?(?:access|permissions?|dost[ęe]p(?:u)?|uprawnieni[ae]|zugriff(?:srechte?)?|rechte)"

_MAILBOX_WORD = (
    r"(?:(?:the|a|das|ein|dem|des)\s+)?"
    r"(?:(?:shared\s+)?mailbox|skrzynk[aęiy](?:\s+(?:wsp[óo][łl]dzielon[aąeej]+|wsp[óo]ln[aąeej]+|pocztow[aąeej]+))?"
    r"|(?:freigegeben(?:e|es|en)\s+|gemeinsam(?:e|es|en)\s+)?postfach(?:s|es)?)"
)
_SHARED_MAILBOX = (
    r"(?:(?:a\s+|the\s+)?(?:new\s+)?shared\s+mailbox"
    r"|(?:now[aąy]\s+)?skrzynk[aęi]\s+(?:wsp[óo][łl]dzielon[aąeej]+|wsp[óo]ln[aąeej]+)"
    r"|(?:ein(?:en)?\s+|das\s+)?(?:neue[sn]?\s+)?(?:freigegeben(?:e|es|en)|gemeinsam(?:e|es|en))\s+postfach)"
)
_TO_MAILBOX = r"(?:on|to|for|at|in|of|do|na|w|dla|auf|f[üu]r|fuer|zu|an|von|im)"
_TO_PEOPLE = r"(?:to|for|from|dla|od|f[üu]r|fuer|an|von|bei)"

_GRANT_VERB = r"(?:grant|give|add|allow|nadaj|przyznaj|daj|dodaj|gew[äa]hre|gewaehre|erteile|gib|vergib)"
_GRANT_VERB_END = r"(?:gew[äa]hren|gewaehren|erteilen|geben|vergeben|hinzuf[üu]gen)"
_REVOKE_VERB = (
    r"(?:revoke|remove|take\s+away|withdraw|odbierz|cofnij|usu[ńn]|zabierz|entziehe|entferne|widerrufe|nimm)"
)
_REVOKE_VERB_END = r"(?:entziehen|entfernen|widerrufen|wegnehmen)"

_UNTIL = re.compile(
    r"\s+(?:until|till|through|expires?|expiring|do|bis(?:\s+zum)?|ważn[ey]\s+do|wazn[ey]\s+do)\s+"
    r"(?P<until>[^\s@]*\d[^\s@]*)$",
    _I,
)
_NO_AUTOMAP = re.compile(
    r"\s+(?:without|no|bez|ohne)\s+(?:auto[\s-]*mapp?(?:ing|owania|ung)?|automapowania|automapping)$", _I
)
_WITH_AUTOMAP = re.compile(r"\s+(?:with|z|mit)\s+(?:auto[\s-]*mapp?(?:ing|owaniem|ung)?|automapowaniem)$", _I)

_CREATE = re.compile(
    rf"^(?:(?:create|make|add|new|request|utw[óo]rz|stw[óo]rz|za[łl][óo][żz]|dodaj|erstelle|erzeuge|lege|neues?)\s+)?"
    rf"{_SHARED_MAILBOX}(?:\s+(?:an)?legen|\s+erstellen|\s+anlegen)?(?:\s+(?P<rest>.+?))?"
    rf"(?:\s+(?:erstellen|anlegen))?$",
    _I,
)
_CREATE_VERB_REQUIRED = re.compile(
    r"^(?:create|make|add|new|request|utw[óo]rz|stw[óo]rz|za[łl][óo][żz]|dodaj|erstelle|erzeuge|lege|neue|nowa)\b"
    r"|(?:erstellen|anlegen)$",
    _I,
)
_DELETE = re.compile(
    rf"^(?:delete|remove|drop|usu[ńn]|skasuj|l[öo]sche|loesche|entferne)\s+{_MAILBOX_WORD}\s+(?P<mailbox>.+)$", _I
)
_SHOW = re.compile(
    rf"^(?:show|open|display|details\s+of|poka[żz]|otw[óo]rz|zeige?|[öo]ffne)\s+{_MAILBOX_WORD}\s+(?P<mailbox>.+)$", _I
)
_SHOW_DE_END = re.compile(rf"^{_MAILBOX_WORD}\s+(?P<mailbox>.+?)\s+(?:anzeigen|zeigen|[öo]ffnen)$", _I)
_DELETE_DE_END = re.compile(rf"^{_MAILBOX_WORD}\s+(?P<mailbox>.+?)\s+(?:l[öo]schen|loeschen|entfernen)$", _I)
_OWNERS = (
    re.compile(
        rf"^(?:set\s+)?owners?\s+of\s+{_MAILBOX_WORD}?\s*(?P<mailbox>.+?)\s+(?:are|is|to|=|:)\s+(?P<people>.+)$", _I
    ),
    re.compile(
        rf"^(?:ustaw\s+)?w[łl]a[śs]ciciel(?:e|i|a)?\s+{_MAILBOX_WORD}?\s*(?P<mailbox>.+?)\s+(?:to|s[ąa]|jest|na|=|:)\s+"
        rf"(?P<people>.+)$",
        _I,
    ),
    re.compile(
        rf"^(?:setze\s+)?(?:besitzer|eigent[üu]mer)\s+(?:des\s+|von\s+)?{_MAILBOX_WORD}?\s*(?P<mailbox>.+?)\s+"
        rf"(?:sind|ist|auf|=|:)\s+(?P<people>.+)$",
        _I,
    ),
)
_SEPARATORS = re.compile(r"[,;\n]")
_BULLET = re.compile(r"^(?:[-*•·]+|\d{1,3}[.)])\s*")
_AND = re.compile(r"\s+(?:and|i|und|oraz)\s+", _I)


def parse_mailbox_command(text: str, raw: str | None = None) -> MailboxCommand | None:
    """The command, or None when the text is not about shared mailboxes.

    ``raw`` (what Teams sent, with its line breaks) lets a pasted list of names after "to" count as several people.
    """
    text = text.strip()
    if not text:
        return None
    extra: tuple[str, ...] = ()
    lines = _lines(raw)
    if len(lines) > 1:
        # A pasted list: the command (and maybe the first people) on the first line, one person per line after.
        text, extra = lines[0].rstrip(".!"), tuple(lines[1:])
    found = _DELETE.match(text) or _DELETE_DE_END.match(text)
    # "remove mailbox access on x from y" is a revoke, not a deletion of a mailbox called "access on x …".
    if found and not _ACCESS_RE.match(found.group("mailbox")) and not _GENERIC_RE.match(found.group("mailbox")):
        return DeleteMailbox(mailbox=_unquote(found.group("mailbox")))
    if (found := _CREATE.match(text)) and _CREATE_VERB_REQUIRED.search(text):
        name, address = _name_and_address(found.group("rest") or "")
        return CreateMailbox(name=name, address=address)
    if found := _SHOW.match(text) or _SHOW_DE_END.match(text):
        return ShowMailbox(mailbox=_unquote(found.group("mailbox")))
    for pattern in _OWNERS:
        if found := pattern.match(text):
            people = people_of(found.group("people"), extra)
            return SetMailboxOwners(mailbox=_unquote(found.group("mailbox")), people=people)
    return _grant_or_revoke(text, extra)


_ACCESS_RE = re.compile(rf"^(?:{_ACCESS})\b", _I)
_GENERIC_RE = re.compile(rf"^{_GENERIC_ACCESS}\b", _I)


def access_of(words: str) -> Access | None:
    """The delegation a phrase names ("full access", "Senden als", "w imieniu"), or None."""
    phrase = words.strip()
    for access, pattern in _ACCESS_WORDS:
        if re.fullmatch(pattern, phrase, _I):
            return access
    return None


def _grant_or_revoke(text: str, extra: tuple[str, ...]) -> MailboxCommand | None:
    body, revoke = _strip_verb(text)
    if body is None:
        return None
    auto_mapping = True
    until = ""
    # Options come last, in either order.
    for _ in range(2):
        if found := _NO_AUTOMAP.search(body):
            auto_mapping, body = False, body[: found.start()]
        elif found := _WITH_AUTOMAP.search(body):
            body = body[: found.start()]
        elif found := _UNTIL.search(body):
            until, body = found.group("until").rstrip(".,;"), body[: found.start()]
    access_match = re.match(rf"^(?P<access>{_ACCESS})(?:\b|$)\s*(?:rights?|permissions?|prawo|recht)?", body, _I)
    if access_match:
        access = access_of(access_match.group("access"))
        rest = body[access_match.end():].strip()
    elif generic := re.match(rf"^{_GENERIC_ACCESS}\b\s*", body, _I):
        access, rest = None, body[generic.end():].strip()
    else:
        return None
    mailbox, people_text = _mailbox_and_people(rest)
    people = people_of(people_text, extra)
    if revoke:
        return RevokeAccess(access=access, mailbox=mailbox, people=people)
    return GrantAccess(access=access, mailbox=mailbox, people=people, until=until, auto_mapping=auto_mapping)


def _strip_verb(text: str) -> tuple[str | None, bool]:
    """The sentence without its verb, and whether it takes access away; None when it is neither verb."""
    if found := re.match(rf"^{_GRANT_VERB}\s+(?P<body>.+)$", text, _I):
        return found.group("body"), False
    if found := re.match(rf"^{_REVOKE_VERB}\s+(?P<body>.+)$", text, _I):
        return found.group("body"), True
    # German puts the verb last: "Vollzugriff auf X für Y gewähren".
    if found := re.match(rf"^(?P<body>.+?)\s+{_GRANT_VERB_END}$", text, _I):
        return found.group("body"), False
    if found := re.match(rf"^(?P<body>.+?)\s+{_REVOKE_VERB_END}$", text, _I):
        return found.group("body"), True
    if re.match(rf"^(?:{_GENERIC_ACCESS})$", text, _I):
        return text, False  # "mailbox access" alone: the form
    return None, False


def _mailbox_and_people(rest: str) -> tuple[str, str]:
    """"on sales@x to anna@x, jan@x" → ("sales@x", "anna@x, jan@x"); the mailbox is what comes before the first
    word that introduces people."""
    rest = re.sub(rf"^{_TO_MAILBOX}\s+", "", rest, flags=_I)
    rest = re.sub(rf"^{_MAILBOX_WORD}(?:\s+|$)", "", rest, flags=_I)
    rest = re.sub(rf"\s+{_TO_PEOPLE}:?$", "", rest, flags=_I)  # "… to" ending a line a pasted list follows
    found = re.match(rf"^(?P<mailbox>.+?)\s+{_TO_PEOPLE}:?\s+(?P<people>.+)$", rest, _I)
    if found:
        return _unquote(found.group("mailbox")), found.group("people")
    return _unquote(rest), ""


def people_of(text: str, extra_lines: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The people of a list as typed: one entry per comma, semicolon, "and", pasted line, or address."""
    people: list[str] = []
    for chunk in (text, *extra_lines):
        for part in _SEPARATORS.split(_AND.sub(",", chunk)):
            entry = _unquote(_BULLET.sub("", part.strip()))
            words = entry.split()
            # "anna@contoso.com jan@contoso.com" on one line is two people; "Anna Kowalska" is one.
            if len(words) > 1 and all("@" in word for word in words):
                people.extend(word.strip("<>") for word in words)
            elif entry:
                people.append(entry)
    unique: dict[str, str] = {}
    for person in people:
        unique.setdefault(person.casefold(), person)
    return tuple(unique.values())


def _lines(raw: str | None) -> list[str]:
    """Teams sends a pasted list as HTML paragraphs or <br>s (or plain newlines): its non-empty lines, as text."""
    parts = re.split(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|\r\n|\r|\n", raw or "", flags=_I)
    lines = (re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", part))).strip() for part in parts)
    return [line for line in lines if line]


def _name_and_address(rest: str) -> tuple[str, str]:
    words = _unquote(rest).split()
    if words and "@" in words[-1]:
        return " ".join(words[:-1]).strip().strip("\"'„”“"), words[-1].strip("<>()")
    return " ".join(words), ""


def _unquote(value: str) -> str:
    return value.strip().strip("\"'„”“<>").strip()

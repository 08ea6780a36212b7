"""The lists family's chat commands (F1–F5) in en/pl/de: joining, browsing, showing, leaving, member changes,
create/modify/delete — their typed dataclasses and the parsers the registry runs."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUOTES = "\"'„”“«»"


class ListCommand:
    """Base of every list and browsing command (kinds/lists/__init__.py routes each one to its handler)."""


@dataclass(frozen=True, slots=True)
class JoinList(ListCommand):
    list_name: str


@dataclass(frozen=True, slots=True)
class FindDirectory(ListCommand):
    """Search lists and shared mailboxes by name, description or address (F1); "" lists everything."""

    query: str
    kind: str = "all"  # all | lists | mailboxes


@dataclass(frozen=True, slots=True)
class MyLists(ListCommand):
    """Lists the person owns (F2)."""


@dataclass(frozen=True, slots=True)
class MyMemberships(ListCommand):
    """Lists the person is a member of (F2)."""


@dataclass(frozen=True, slots=True)
class MyMailboxes(ListCommand):
    """Shared mailboxes the person owns or holds a delegation on (F2)."""


@dataclass(frozen=True, slots=True)
class ShowList(ListCommand):
    list_name: str


@dataclass(frozen=True, slots=True)
class ShowAnything(ListCommand):
    """"show X" without saying whether X is a list or a shared mailbox."""

    name: str


@dataclass(frozen=True, slots=True)
class LeaveList(ListCommand):
    list_name: str


@dataclass(frozen=True, slots=True)
class ChangeMembers(ListCommand):
    """An owner's (or admin's) "add a@x, b@y to List" / "remove a@x from List", also as a pasted list."""

    list_name: str
    add: bool
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreateList(ListCommand):
    name: str = ""


@dataclass(frozen=True, slots=True)
class ModifyList(ListCommand):
    list_name: str


@dataclass(frozen=True, slots=True)
class DeleteList(ListCommand):
    list_name: str


def _name(value: str) -> str:
    return value.strip().strip(_QUOTES).strip()


_LIST_WORD = r"(?:(?:distribution\s+)?list|dl|listę|liste|listy|lista|verteiler(?:liste)?|verteilerliste)"
_FIND = re.compile(r"^(?:find|search|lookup|szukaj|znajd[źz]|wyszukaj|suche|such|finde|finden)\s+(?P<q>.+)$", re.I)
_ALL_LISTS = re.compile(
    r"^(?:(?:all|show|browse)\s+)?(?:distribution\s+)?lists$|^(?:wszystkie\s+)?listy(?:\s+dystrybucyjne)?$"
    r"|^(?:alle\s+)?verteiler(?:listen)?$",
    re.I,
)
_ALL_MAILBOXES = re.compile(
    r"^(?:(?:all|show|browse)\s+)?shared\s+mailboxes$|^(?:wszystkie\s+)?skrzynki(?:\s+wsp[óo]lne)?$"
    r"|^(?:alle\s+)?(?:freigegebenen?\s+)?postf[äa]cher$",
    re.I,
)
_MY_LISTS = re.compile(r"^(?:my\s+lists|moje\s+listy|meine\s+(?:listen|verteiler(?:listen)?))$", re.I)
_MY_MEMBERSHIPS = re.compile(
    r"^(?:my\s+memberships|member\s+of|moje\s+cz[łl]onkostwa|meine\s+mitgliedschaften)$", re.I
)
_MY_MAILBOXES = re.compile(
    r"^(?:my\s+(?:shared\s+)?mailboxes|moje\s+skrzynki(?:\s+wsp[óo]lne)?|meine\s+(?:freigegebenen\s+)?postf[äa]cher)$",
    re.I,
)
_SHOW = re.compile(
    rf"^(?:show|open|details\s+of|poka[żz]|otw[óo]rz|zeige?|[öo]ffne)\s+{_LIST_WORD}\s+(?P<name>.+)$", re.I
)
_SHOW_DE_END = re.compile(rf"^{_LIST_WORD}\s+(?P<name>.+?)\s+(?:anzeigen|zeigen|[öo]ffnen)$", re.I)
_LEAVE = (
    re.compile(rf"^(?:leave|quit|unsubscribe\s+from)\s+(?:{_LIST_WORD}\s+)?(?P<name>.+)$", re.I),
    re.compile(rf"^(?:opu[śs][ćc]|wypisz\s+mnie\s+z)\s+(?:{_LIST_WORD}\s+)?(?P<name>.+)$", re.I),
    re.compile(rf"^(?:verlasse|austreten\s+aus)\s+(?:{_LIST_WORD}\s+)?(?P<name>.+)$", re.I),
    re.compile(r"^(?P<name>.+?)\s+verlassen$", re.I),
)
_CREATE = re.compile(
    rf"^(?:create|new|add|utw[óo]rz|nowa|za[łl][óo][żz]|erstelle|neue[rn]?|anlegen)\s+{_LIST_WORD}(?:\s+(?P<name>.+))?$",
    re.I,
)
_MODIFY = re.compile(
    rf"^(?:modify|edit|change|update|zmie[ńn]|edytuj|[äa]ndere|bearbeite)\s+{_LIST_WORD}\s+(?P<name>.+)$", re.I
)
_DELETE = re.compile(rf"^(?:delete|remove|usu[ńn]|l[öo]sche|entferne)\s+{_LIST_WORD}\s+(?P<name>.+)$", re.I)
# Member changes name the list after "to/from" (do/z, zu/aus) and the people before it, or on the lines below.
_MEMBERS = (
    (True, re.compile(r"^(?:add|dodaj|f[üu]ge)\s+(?P<who>.*?)\s*(?:to|do|zu)\s+(?P<name>[^\n:]+?)(?:\s+hinzu)?"
                      r"\s*(?::\s*(?P<rest>.*))?$", re.I | re.S)),
    (False, re.compile(r"^(?:remove|usu[ńn]|entferne)\s+(?P<who>.*?)\s*(?:from|z|aus)\s+(?P<name>[^\n:]+?)"
                       r"\s*(?::\s*(?P<rest>.*))?$", re.I | re.S)),
)
_SEPARATORS = re.compile(r"[\s,;]+")
_JOIN_PATTERNS = (
    re.compile(r"^join\s+(?:the\s+)?(?:list\s+)?(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^do[łl][aą]cz\s+(?:do\s+)?(?:listy\s+)?(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?:beitreten|tritt\s+bei)\s+(?P<name>.+)$", re.IGNORECASE),
    re.compile(r"^(?P<name>.+?)\s+beitreten$", re.IGNORECASE),
)


_SHOW_ANYTHING = (
    re.compile(r"^(?:show|open|display|details\s+of|poka[żz]|otw[óo]rz|zeige?|[öo]ffne)\s+(?P<name>.+)$", re.I),
    re.compile(r"^(?P<name>.+?)\s+(?:anzeigen|zeigen|[öo]ffnen)$", re.I),
)


def parse_show_anything(text: str, _raw: str | None = None) -> ShowAnything | None:
    """The last resort of the parser ("show Sales DACH"), so that "show plans" and the like keep their meaning."""
    for pattern in _SHOW_ANYTHING:
        if found := pattern.match(text):
            return ShowAnything(name=_name(found.group("name")))
    return None


def parse_list_command(text: str, raw: str | None = None) -> ListCommand | None:
    """The command, or None when the text is not about lists or browsing. ``raw`` keeps pasted line breaks."""
    if found := _FIND.match(text):
        return FindDirectory(query=_name(found.group("q")))
    if _ALL_LISTS.match(text):
        return FindDirectory(query="", kind="lists")
    if _ALL_MAILBOXES.match(text):
        return FindDirectory(query="", kind="mailboxes")
    if _MY_LISTS.match(text):
        return MyLists()
    if _MY_MEMBERSHIPS.match(text):
        return MyMemberships()
    if _MY_MAILBOXES.match(text):
        return MyMailboxes()
    if members := _member_change(raw if raw and "\n" in raw else text):
        return members
    if found := _CREATE.match(text):
        return CreateList(name=_name(found.group("name") or ""))
    if found := _MODIFY.match(text):
        return ModifyList(list_name=_name(found.group("name")))
    if found := _DELETE.match(text):
        return DeleteList(list_name=_name(found.group("name")))
    if found := _SHOW.match(text) or _SHOW_DE_END.match(text):
        return ShowList(list_name=_name(found.group("name")))
    for pattern in _LEAVE:
        if found := pattern.match(text):
            return LeaveList(list_name=_name(found.group("name")))
    return None


def _member_change(text: str) -> ChangeMembers | None:
    """Only when at least one person is written as an address: "remove license E3 from anna" is not a list change.

    Tokens without an "@" are kept, so the handler can report each one that is not a valid address.
    """
    stripped = re.sub(r"<[^>]+>", " ", text).strip()
    for add, pattern in _MEMBERS:
        found = pattern.match(stripped)
        if not found:
            continue
        who = f"{found.group('who') or ''} {found.group('rest') or ''}"
        tokens = tuple(dict.fromkeys(t.strip(_QUOTES + "<>()") for t in _SEPARATORS.split(who) if t.strip()))
        tokens = tuple(t for t in tokens if t)
        if not any("@" in token for token in tokens):
            return None
        name = _name(re.sub(rf"^{_LIST_WORD}\s+", "", found.group("name").strip(), flags=re.I))
        return ChangeMembers(list_name=name, add=add, members=tokens)
    return None


def parse_join(text: str, _raw: str | None = None) -> JoinList | None:
    for pattern in _JOIN_PATTERNS:
        if found := pattern.match(text):
            return JoinList(list_name=found.group("name").strip().strip("\"'„”“"))
    return None

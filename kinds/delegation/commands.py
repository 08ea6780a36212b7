"""The delegation and re-routing commands (F15) as typed in English, Polish and German, and their parsers:
``delegate my approvals to X until 2027-01-15`` (short: ``delegate to X until …``, pl ``zastępstwo: X do …``, de
``Vertretung: X bis …``, as the Teams command menu offers them), ``stop delegating``, and the admins' ``reassign
REQ-… to X`` and ``add approver X to REQ-…``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_ID = r"(?P<id>REQ-\d{4}-\d{1,12})"
_DATE = r"(?P<date>\S+)"


@dataclass(frozen=True, slots=True)
class Delegate:
    """``who`` as typed; ``until`` None when the date is not one (the handler explains the format)."""

    who: str
    until: date | None
    until_text: str


@dataclass(frozen=True, slots=True)
class StopDelegating:
    pass


@dataclass(frozen=True, slots=True)
class Reassign:
    """``replace``: the person becomes the only approver (reassign); else they join the approvers (add approver)."""

    request_id: str
    who: str
    replace: bool


_DELEGATE = (
    re.compile(rf"^delegate\s+(?:(?:all\s+)?(?:my\s+)?approvals?\s+)?to\s+(?P<who>.+?)\s+until\s+{_DATE}$", re.I),
    re.compile(rf"^(?:przeka[żz]|deleguj)\s+(?:moje\s+)?(?:zatwierdzenia|zatwierdzanie|akceptacje)\s+"
               rf"(?:(?:dla|osobie)\s+)?(?P<who>.+?)\s+do\s+{_DATE}$", re.I),
    re.compile(rf"^zast[ęe]pstwo:?\s+(?P<who>.+?)\s+do\s+{_DATE}$", re.I),
    re.compile(rf"^vertretung:?\s+(?P<who>.+?)\s+bis\s+(?:zum\s+)?{_DATE}$", re.I),
    re.compile(rf"^(?:delegiere|übertrage|uebertrage)\s+meine\s+genehmigungen\s+an\s+(?P<who>.+?)\s+bis\s+"
               rf"(?:zum\s+)?{_DATE}$", re.I),
    re.compile(rf"^meine\s+genehmigungen\s+an\s+(?P<who>.+?)\s+bis\s+(?:zum\s+)?{_DATE}\s+delegieren$", re.I),
)
_STOP = re.compile(
    r"^(?:stop\s+delegat(?:ing|ion)|end\s+delegation|zako[ńn]cz\s+(?:przekazywanie|zast[ęe]pstwo|delegowanie)"
    r"|przesta[ńn]\s+przekazywa[ćc]|(?:die\s+)?delegierung\s+beenden|beende\s+(?:die\s+)?delegierung"
    r"|delegieren\s+beenden)$",
    re.I,
)
_REASSIGN = (
    re.compile(rf"^reassign\s+{_ID}\s+to\s+(?P<who>.+)$", re.I),
    re.compile(rf"^(?:przypisz|przeka[żz])\s+(?:wniosek\s+)?{_ID}\s+(?:do|dla|osobie)\s+(?P<who>.+)$", re.I),
    re.compile(rf"^(?:übertrage|uebertrage|weise)\s+(?:antrag\s+)?{_ID}\s+(?:an\s+)?(?P<who>.+?)(?:\s+zu)?$", re.I),
    re.compile(rf"^(?:antrag\s+)?{_ID}\s+an\s+(?P<who>.+?)\s+(?:übertragen|uebertragen)$", re.I),
)
_ADD = (
    re.compile(rf"^add\s+approver\s+(?P<who>.+?)\s+to\s+{_ID}$", re.I),
    re.compile(rf"^dodaj\s+(?:zatwierdzaj[ąa]cego|zatwierdzaj[ąa]c[ąa])\s+(?P<who>.+?)\s+do\s+{_ID}$", re.I),
    re.compile(rf"^f[üu]ge\s+(?:genehmiger(?:in)?|genehmigende[nr]?)\s+(?P<who>.+?)\s+zu\s+{_ID}\s+hinzu$", re.I),
    re.compile(rf"^(?:genehmiger(?:in)?|genehmigende[nr]?)\s+(?P<who>.+?)\s+zu\s+{_ID}\s+hinzuf[üu]gen$", re.I),
)
_DOTTED = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")


def parse_date(text: str) -> date | None:
    """2027-01-15 (ISO, every language) or 15.01.2027 (as written in Poland and Germany); None otherwise."""
    value = text.strip().rstrip(".")
    try:
        if dotted := _DOTTED.match(value):
            return date(int(dotted["y"]), int(dotted["m"]), int(dotted["d"]))
        return date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


def parse_delegate(text: str, _raw: str | None = None) -> Delegate | StopDelegating | None:
    if _STOP.match(text.strip()):
        return StopDelegating()
    for pattern in _DELEGATE:
        if found := pattern.match(text.strip()):
            return Delegate(found["who"].strip(), parse_date(found["date"]), found["date"])
    return None


def parse_reassign(text: str, _raw: str | None = None) -> Reassign | None:
    for patterns, replace in ((_REASSIGN, True), (_ADD, False)):
        for pattern in patterns:
            if found := pattern.match(text.strip()):
                return Reassign(found["id"].upper(), found["who"].strip(), replace)
    return None

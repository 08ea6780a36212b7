"""The incident commands as people type them, in English, Polish and German, and their parsers:
``report a problem: Outlook does not sync`` (``zgłoś problem: …``, ``Problem melden: …``; alone: the form), and the
admins' ``support channel here`` / ``support channel off`` in a channel (``kanał wsparcia tutaj`` / ``wyłącz``,
``Support-Kanal hier`` / ``aus``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kinds.incidents.categories import fold

# Matched on the folded text (no diacritics, lower case); the description is cut from the text as typed.
_REPORT = re.compile(
    r"^(?:report\s+(?:a\s+|an\s+)?(?:problem|issue|incident)|(?:zglos|zgloszenie)\s+(?:problem(?:u)?|awari[ae]"
    r"|incydent)|problem\s+melden|(?:melde|melden)\s+(?:ein(?:en)?\s+)?problem|storung\s+melden)"
    r"(?P<rest>(?:\s*[:\-–—]\s*|\s+).*)?$",
    re.DOTALL,
)
_CHANNEL = re.compile(r"^(?:support\s+channel|kanal\s+wsparcia|support-?\s?kanal)(?:\s+(?P<word>\S+))?$")
_HERE = ("here", "tutaj", "tu", "hier")
_OFF = ("off", "stop", "wylacz", "aus")


@dataclass(frozen=True, slots=True)
class ReportProblem:
    """``text`` empty: the form is shown."""

    text: str = ""


@dataclass(frozen=True, slots=True)
class SupportChannelHere:
    """Post new incidents' cards to this channel."""


@dataclass(frozen=True, slots=True)
class SupportChannelOff:
    """Stop posting to this channel."""


@dataclass(frozen=True, slots=True)
class SupportChannelUsage:
    """"support channel" with a word it does not know: how to type it."""


SupportChannelCommand = SupportChannelHere | SupportChannelOff | SupportChannelUsage


def _fold_keeping_length(text: str) -> str:
    """Lower case without diacritics, one character for each typed one, so a match's offsets cut the typed text."""
    folded = []
    for char in text:
        base = unicodedata.normalize("NFKD", char.replace("ł", "l").replace("Ł", "L"))[:1] or char
        lower = base.lower()
        folded.append(lower if len(lower) == 1 else base)
    return "".join(folded)


def parse_report(text: str, _raw: str | None = None) -> ReportProblem | None:
    typed = text.strip()
    found = _REPORT.match(_fold_keeping_length(typed))
    if found is None:
        return None
    rest = typed[found.start("rest"):] if found["rest"] else ""
    return ReportProblem(rest.strip().lstrip(":-–—").strip())


def parse_support_channel(text: str, _raw: str | None = None) -> SupportChannelCommand | None:
    found = _CHANNEL.match(fold(text))
    if found is None:
        return None
    word = found["word"]
    if word in _HERE:
        return SupportChannelHere()
    if word in _OFF:
        return SupportChannelOff()
    return SupportChannelUsage()

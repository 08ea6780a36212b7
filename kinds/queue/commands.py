"""The queue's chat commands as typed in English, Polish and German, and their parsers: "pending [kind or family]
[for person]" (also "queue", "oczekujące", "kolejka", "ausstehend", "Warteschlange"), "show REQ-…" and
"show INC-…"."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShowPending:
    """ "pending lists for anna@contoso.com": the kind or family as typed ("" = all) and the approver as typed
    ("" = nobody in particular); the handler resolves both."""

    kind: str = ""
    approver: str = ""


@dataclass(frozen=True, slots=True)
class ShowTimeline:
    """ "show REQ-2026-000123": one request's timeline."""

    request_id: str


@dataclass(frozen=True, slots=True)
class ShowIncidentTimeline:
    """ "show INC-2026-000042": one incident's timeline."""

    incident_id: str


_PENDING = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?"
    r"(?:pending|queue|oczekuj[ąa]ce|kolejka|kolejk[ęe]|ausstehende?|warteschlange)"
    r"(?:\s+(?P<kind>(?!(?:for|dla|f[üu]r|fuer)\s)\S+))?"
    r"(?:\s+(?:for|dla|f[üu]r|fuer)\s+(?P<approver>.+))?$",
    re.IGNORECASE,
)
_TIMELINE = re.compile(
    r"^(?:show|poka[żz]|zeige?)\s+(?:(?:request|wniosek|antrag)\s+)?(?P<id>REQ-\d{4}-\d{1,12})$", re.IGNORECASE
)

_INCIDENT_TIMELINE = re.compile(
    r"^(?:show|poka[żz]|zeige?)\s+(?:(?:incident|zg[łl]oszenie|incydent|st[öo]rung)\s+)?(?P<id>INC-\d{4}-\d{1,12})$",
    re.IGNORECASE,
)


def parse_pending(text: str, _raw: str | None = None) -> ShowPending | None:
    found = _PENDING.match(text.strip())
    if found is None:
        return None
    return ShowPending(kind=found.group("kind") or "", approver=(found.group("approver") or "").strip())


def parse_timeline(text: str, _raw: str | None = None) -> ShowTimeline | None:
    found = _TIMELINE.match(text.strip())
    return ShowTimeline(request_id=found.group("id").upper()) if found else None


def parse_incident_timeline(text: str, _raw: str | None = None) -> ShowIncidentTimeline | None:
    found = _INCIDENT_TIMELINE.match(text.strip())
    return ShowIncidentTimeline(incident_id=found.group("id").upper()) if found else None

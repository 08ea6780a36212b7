"""The admins' keep commands (F20) as typed in English, Polish and German, and their parser: ``keeps`` lists what
the desk does not ask about because someone kept it, ``cancel keep <list or mailbox>`` ends one of those keeps."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShowKeeps:
    """ "keeps" (pl "zachowane", de "behaltene")."""


@dataclass(frozen=True, slots=True)
class CancelKeep:
    """ "cancel keep Sales Team" (pl "anuluj zachowanie …", de "Behalten aufheben …"): a list's or mailbox's name or
    address as typed; "" when none was given."""

    name: str = ""


_SHOW = re.compile(r"^(?:(?:show|list|poka[żz]|zeige?)\s+)?(?:keeps|zachowane|behaltene)$", re.IGNORECASE)
_CANCEL = re.compile(
    r"^(?:cancel\s+keep|anuluj\s+zachowanie|behalten\s+aufheben)(?:\s+(?P<name>.+))?$", re.IGNORECASE | re.DOTALL
)


def parse_keeps(text: str, _raw: str | None = None) -> ShowKeeps | CancelKeep | None:
    """The command, or None when ``text`` is not one of them."""
    cleaned = text.strip()
    if _SHOW.match(cleaned):
        return ShowKeeps()
    found = _CANCEL.match(cleaned)
    if found is None:
        return None
    return CancelKeep(name=(found.group("name") or "").strip())

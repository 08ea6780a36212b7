"""The admins' ``orphaned`` command (F20) as typed in English, Polish and German, and its parser."""

from __future__ import annotations

import re
from dataclasses import dataclass

LISTS, MAILBOXES, BOTH = "lists", "mailboxes", "all"


@dataclass(frozen=True, slots=True)
class ShowOrphaned:
    """ "orphaned [lists|mailboxes] [csv]": which resources, and whether the CSV link is wanted."""

    what: str = BOTH
    csv: bool = False


_ORPHANED = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?(?:orphaned|osierocone|verwaiste?)(?P<rest>(?:\s+\S+)*)$", re.IGNORECASE
)
# The resource words per language; anything else after the command is not this command.
_WHAT = {
    "lists": LISTS, "list": LISTS, "listy": LISTS, "listen": LISTS,
    "mailboxes": MAILBOXES, "mailbox": MAILBOXES, "skrzynki": MAILBOXES, "postfächer": MAILBOXES,
    "postfaecher": MAILBOXES,
}


def parse_orphaned(text: str, _raw: str | None = None) -> ShowOrphaned | None:
    """The command, or None when ``text`` is not it; "csv" and the resource word may come in either order."""
    found = _ORPHANED.match(text.strip())
    if found is None:
        return None
    what, wants_csv = BOTH, False
    for word in found.group("rest").split():
        folded = word.casefold()
        if folded == "csv":
            wants_csv = True
        elif folded in _WHAT and what == BOTH:
            what = _WHAT[folded]
        else:
            return None
    return ShowOrphaned(what=what, csv=wants_csv)

"""The admins' ``unused lists`` / ``unused mailboxes`` commands (F20) as typed in English, Polish and German."""

from __future__ import annotations

import re
from dataclasses import dataclass

LISTS, MAILBOXES = "lists", "mailboxes"
# The defaults the issue names: a list quiet for 90 days, a mailbox for 60.
DEFAULT_DAYS = {LISTS: 90, MAILBOXES: 60}
MAX_DAYS = 3650


@dataclass(frozen=True, slots=True)
class ShowUnused:
    """ "unused lists [90d] [csv]": which resources, the quiet period as typed ("" = the default), the CSV link."""

    what: str
    days: str = ""
    csv: bool = False


_UNUSED = re.compile(
    r"^(?:(?:show|poka[żz]|zeige?)\s+)?(?:unused|nieu[żz]ywane|ungenutzte?)\s+(?P<what>\S+)(?P<rest>(?:\s+\S+)*)$",
    re.IGNORECASE,
)
_WHAT = {
    "lists": LISTS, "listy": LISTS, "listen": LISTS,
    "mailboxes": MAILBOXES, "skrzynki": MAILBOXES, "postfächer": MAILBOXES, "postfaecher": MAILBOXES,
}
# "90d", "90", "90 days" / "90 dni" / "90 Tage": the word after a number is only a unit.
_DAYS = re.compile(r"^(?P<n>\d+)d?$")
_UNIT_WORDS = {"d", "days", "day", "dni", "dzień", "tage", "tag"}


def parse_unused(text: str, _raw: str | None = None) -> ShowUnused | None:
    """The command, or None when ``text`` is not it. A period that is not a number is kept as typed, so the
    handler can name it back instead of the desk saying it did not understand."""
    found = _UNUSED.match(text.strip())
    if found is None:
        return None
    what = _WHAT.get(found.group("what").casefold())
    if what is None:
        return None
    days, wants_csv = "", False
    for word in found.group("rest").split():
        folded = word.casefold()
        if folded == "csv":
            wants_csv = True
        elif folded in _UNIT_WORDS and days:
            continue
        elif not days:
            number = _DAYS.match(folded)
            days = number.group("n") if number is not None else word
        else:
            return None
    return ShowUnused(what=what, days=days, csv=wants_csv)


def period_days(command: ShowUnused) -> int | None:
    """The quiet period in days: the default when none was typed; None when it is not a whole number 1..3650."""
    text = command.days.strip()
    if not text:
        return DEFAULT_DAYS[command.what]
    if not text.isascii() or not text.isdigit():
        return None
    days = int(text)
    return days if 1 <= days <= MAX_DAYS else None

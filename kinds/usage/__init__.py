"""The usage family (F20): the admins' ``unused lists`` / ``unused mailboxes`` report (report.py) from message trace
and the mailbox usage report, and the daily "last mail seen" collection (collect.py)."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Command, Family, HelpTopic, VerbRoute
from kinds.usage.commands import parse_unused
from kinds.usage.report import UsagePageClick, page_clicked, show_unused

HELP = "help.usage"


def family() -> Family:
    return Family(
        name="usage",
        # Before the list and mailbox commands (50 and on) and "show …" (140), which would read "unused lists" as
        # a list's name.
        commands=(Command("unused", 29, parse_unused, show_unused),),
        verbs=(VerbRoute(Verb.USAGE_PAGE, UsagePageClick, page_clicked),),
        help=(HelpTopic(87, HELP),),
    )

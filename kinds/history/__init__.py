"""The admins' searchable request history (F21): the `history` command with its filters in en/pl/de, paged result
cards, and the CSV behind a signed short-lived link. Reads only: nothing here changes a request."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Command, Family, HelpTopic, VerbRoute
from kinds.history.grammar import parse_history
from kinds.history.search import HistoryPage, page_clicked, show_history


def family() -> Family:
    return Family(
        name="history",
        commands=(Command("history", 27, parse_history, show_history),),
        verbs=(VerbRoute(Verb.HISTORY_PAGE, HistoryPage, page_clicked),),
        help=(HelpTopic(85, "help.history"),),
    )

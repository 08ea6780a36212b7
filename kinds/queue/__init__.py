"""The queue family (F19, F21): the admins' pending queue ("pending", "queue"; a person's own "pending for me")
and one request's timeline ("show REQ-…"). It files no requests of its own: it reads everyone else's."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Command, Family, HelpTopic, VerbRoute
from kinds.queue import pending, timeline
from kinds.queue.commands import parse_pending, parse_timeline

HELP = "help.queue"


def family() -> Family:
    return Family(
        name="queue",
        commands=(
            # Before every other "show …" command: "show REQ-…" names a request, never a list or a mailbox.
            Command("request_timeline", 25, parse_timeline, timeline.show_timeline),
            Command("pending", 26, parse_pending, pending.show_pending),
        ),
        verbs=(
            VerbRoute(Verb.QUEUE_PAGE, pending.QueuePageClick, pending.page_clicked),
            VerbRoute(Verb.QUEUE_OPEN, pending.QueueOpenClick, pending.open_clicked),
        ),
        help=(HelpTopic(85, HELP),),
    )

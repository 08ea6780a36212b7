"""The queue family (F19, F21): the admins' pending queue ("pending", "queue"; a person's own "pending for me") with
open incidents beside the requests, one request's timeline ("show REQ-…") and one incident's ("show INC-…"). It
files no requests of its own: it reads everyone else's."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Command, Family, HelpTopic, VerbRoute
from kinds.incidents.policy import IncidentPolicy
from kinds.queue import pending, timeline
from kinds.queue.commands import parse_incident_timeline, parse_pending, parse_timeline
from kinds.queue.incidents import IncidentReaders

HELP = "help.queue"


def family(incident_policy: IncidentPolicy | None = None) -> Family:
    """``incident_policy``: who supports incidents, so may read them (app.py builds it, as for the incidents)."""
    queue = pending.Queue(IncidentReaders(incident_policy or IncidentPolicy()))
    return Family(
        name="queue",
        commands=(
            # Before every other "show …" command: "show REQ-…" names a request, "show INC-…" an incident, never a
            # list or a mailbox.
            Command("incident_timeline", 24, parse_incident_timeline, queue.incidents.show_timeline),
            Command("request_timeline", 25, parse_timeline, timeline.show_timeline),
            Command("pending", 26, parse_pending, pending.show_pending),
        ),
        verbs=(
            VerbRoute(Verb.QUEUE_PAGE, pending.QueuePageClick, pending.page_clicked),
            VerbRoute(Verb.QUEUE_OPEN, pending.QueueOpenClick, queue.open_clicked),
        ),
        help=(HelpTopic(85, HELP),),
    )

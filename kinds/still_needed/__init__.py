"""The still-needed family (F20): still.needed, the request the desk files for each list or shared mailbox quiet
for the admins' period, asking its owners (else the admins) to keep it or delete it (kinds/still_needed/ask.py);
reminders, escalation and the daily loop are kinds/still_needed/follow_up.py."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Approvers, Family, HelpTopic, Kind, VerbRoute
from kinds.still_needed import ask
from kinds.still_needed.ask import StillNeededClick

HELP = "help.still_needed"


def family() -> Family:
    return Family(
        name="still_needed",
        kinds=(
            # Routed to the resource's owners (Kind.owns re-checks them at each click), else the admins.
            Kind(id=ask.KIND, sla_days=10, approvers=Approvers.OWNERS_ELSE_ADMINS, help=HELP, steps=ask.STEPS,
                 owns=ask.owns_resource, approver_card=ask.decider_card, decided_by_choice=True),
        ),
        verbs=(
            VerbRoute(Verb.STILL_NEEDED_KEEP, StillNeededClick, ask.keep_it),
            VerbRoute(Verb.STILL_NEEDED_DELETE, StillNeededClick, ask.delete_it),
        ),
        help=(HelpTopic(88, HELP),),
    )

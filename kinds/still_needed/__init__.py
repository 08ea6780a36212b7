"""The still-needed family (F20): still.needed, the request the desk files for each list or shared mailbox quiet
for the admins' period, asking its owners (else the admins) to keep it or delete it (kinds/still_needed/ask.py);
reminders, escalation and the daily loop are kinds/still_needed/follow_up.py; the admins' ``keeps`` and
``cancel keep …`` (this question's keeps and the orphan clean-up's) are kinds/still_needed/keeps.py."""

from __future__ import annotations

from kinds.desk_filed.choosing import choice_routes
from kinds.family import Approvers, Command, Family, HelpTopic, Kind
from kinds.still_needed import ask, keeps
from kinds.still_needed.commands import parse_keeps

HELP = "help.still_needed"
KEEPS_HELP = "help.keeps"


def family() -> Family:
    return Family(
        name="still_needed",
        kinds=(
            # Routed to the resource's owners (Kind.owns re-checks them at each click), else the admins.
            Kind(id=ask.KIND, sla_days=10, approvers=Approvers.OWNERS_ELSE_ADMINS, help=HELP, steps=ask.STEPS,
                 owns=ask.owns_resource, approver_card=ask.decider_card, decided_by_choice=True),
        ),
        # Among the admins' commands (orphaned 31, digest 32, …), before the mailbox (40) and list (50) commands.
        commands=(Command("keeps", 37, parse_keeps, keeps.handle_keeps),),
        verbs=choice_routes(ask.STILL_NEEDED),
        help=(HelpTopic(88, HELP), HelpTopic(89, KEEPS_HELP)),
    )

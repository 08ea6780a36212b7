"""The orphans family (F20): the admins' ``orphaned`` report of lists and shared mailboxes whose owners are all
gone, and orphan.cleanup, the request the desk files for each newly orphaned one (kinds/orphans/cleanup.py)."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.desk_filed.choosing import choice_routes
from kinds.family import Approvers, Command, Family, HelpTopic, Kind, VerbRoute
from kinds.orphans import cleanup
from kinds.orphans.commands import parse_orphaned
from kinds.orphans.report import OrphanPageClick, page_clicked, show_orphaned

HELP = "help.orphans"


def family() -> Family:
    return Family(
        name="orphans",
        kinds=(
            # Routed to the former owner's manager ("owners": Kind.owns checks them at each click), else the admins.
            Kind(id=cleanup.KIND, sla_days=5, approvers=Approvers.OWNERS_ELSE_ADMINS, help=HELP, steps=cleanup.STEPS,
                 owns=cleanup.is_deciding_manager, approver_card=cleanup.decider_card, decided_by_choice=True),
        ),
        # Before "show …" (140) and the list commands (50), which would read "orphaned lists" as a list's name.
        commands=(Command("orphaned", 31, parse_orphaned, show_orphaned),),
        verbs=(VerbRoute(Verb.ORPHANS_PAGE, OrphanPageClick, page_clicked), *choice_routes(cleanup.CLEANUP)),
        help=(HelpTopic(85, HELP),),
    )

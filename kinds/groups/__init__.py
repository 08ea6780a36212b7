"""The groups family: group.leave, leaving a licensing group (offered when a license comes from a group)."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Approvers, Family, Kind, VerbRoute
from kinds.groups.leave import KIND, LeaveClick, leave_clicked
from kinds.groups.steps import LeaveGroup


def family() -> Family:
    return Family(
        name="groups",
        # Offered on the refusal to remove a license that a group gives, which help.license_changes explains.
        kinds=(
            Kind(id=KIND, sla_days=1, approvers=Approvers.ADMINS, steps=(LeaveGroup,), help="help.license_changes"),
        ),
        verbs=(VerbRoute(Verb.GROUP_LEAVE, LeaveClick, leave_clicked),),
    )

"""The incidents family (F12, F18): "report a problem" (en/pl/de, or the form) files an incident with its own INC id,
category, priority and SLA; the admins' "support channel here" says where their cards go; support claims, asks the
reporter, escalates to second level and resolves on the channel's card, the reporter comments, reopens or confirms
on theirs; resolved incidents close by themselves (kinds/incidents/auto_close.py, run from runtime/background.py).

Incidents are not requests: nothing is approved or applied to the tenant, so the family declares no Kind."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Command, Family, HelpTopic, ManifestCommand, VerbRoute
from kinds.incidents.actions import Actions, IncidentClick
from kinds.incidents.commands import parse_report, parse_support_channel
from kinds.incidents.filing import Filing, ReportForm, handle_support_channel
from kinds.incidents.policy import IncidentPolicy

HELP = "help.incidents"


def family(policy: IncidentPolicy | None = None) -> Family:
    """``policy``: support groups, SLA targets per priority, auto-close (app.py builds it from settings)."""
    policy = policy or IncidentPolicy()
    filing, actions = Filing(policy), Actions(policy)
    return Family(
        name="incidents",
        # Before "show …" (140) and the desk's own commands: "report a problem" is not a report (reports: 30s).
        commands=(
            Command("report a problem", 21, parse_report, filing.report),
            Command("support channel", 36, parse_support_channel, handle_support_channel, in_channels=True),
        ),
        verbs=(
            VerbRoute(Verb.INCIDENT_SUBMIT, ReportForm, filing.submit),
            VerbRoute(Verb.INCIDENT_COMMENT, IncidentClick, actions.comment),
            VerbRoute(Verb.INCIDENT_CATEGORY, IncidentClick, actions.category),
            VerbRoute(Verb.INCIDENT_REOPEN, IncidentClick, actions.reopen),
            VerbRoute(Verb.INCIDENT_CONFIRM, IncidentClick, actions.confirm),
            VerbRoute(Verb.INCIDENT_CLAIM, IncidentClick, actions.claim),
            VerbRoute(Verb.INCIDENT_PRIORITY, IncidentClick, actions.priority),
            VerbRoute(Verb.INCIDENT_WAIT, IncidentClick, actions.wait),
            VerbRoute(Verb.INCIDENT_ESCALATE, IncidentClick, actions.escalate),
            VerbRoute(Verb.INCIDENT_RESOLVE, IncidentClick, actions.resolve),
        ),
        help=(HelpTopic(88, HELP),),
        manifest=(
            ManifestCommand(
                60,
                titles={"en": "report a problem", "pl": "zgłoś problem", "de": "Problem melden"},
                descriptions={
                    "en": "Tell support what is not working: you get an incident number and hear how it goes",
                    "pl": "Opisz wsparciu, co nie działa: dostaniesz numer zgłoszenia i informacje o jego postępach",
                    "de": "Melden Sie dem Support, was nicht funktioniert: Sie erhalten eine Vorgangsnummer und "
                          "Nachricht zum Stand",
                },
            ),
        ),
    )

"""The licenses family: license.assign (typed or from the form), license.assign_bulk (a pasted list),
license.change and license.remove, with the plans catalogue, an admin's price and the license report."""

from __future__ import annotations

from cards.verbs import Verb
from handlers.context import Actor, Reply
from handlers.services import Services
from kinds.family import Approvers, Command, Family, HelpTopic, Kind, ManifestCommand, VerbRoute
from kinds.licenses import assign, bulk, catalogue, changes, edit, reports
from kinds.licenses.assign import LicenseFormClick
from kinds.licenses.commands import (
    ChangeLicense,
    RemoveLicense,
    RequestLicenseBulk,
    parse_license_change,
    parse_license_request,
    parse_plans,
    parse_price,
)
from kinds.licenses.report_commands import parse_report
from kinds.licenses.steps import AssignLicense, SetUsageLocation, SwapLicense, UnassignLicense


async def change_typed(
    services: Services, actor: Actor, command: RemoveLicense | ChangeLicense | RequestLicenseBulk
) -> Reply:
    """One parser reads removals, plan changes and pasted lists (a pasted list is told apart by its line breaks)."""
    match command:
        case RemoveLicense():
            return await changes.request_removal(services, actor, command)
        case ChangeLicense():
            return await changes.request_change(services, actor, command)
        case RequestLicenseBulk():
            return await bulk.request_bulk(services, actor, command)
    raise AssertionError(f"unhandled license command {command!r}")


# The help card's lines: asking for a license; removing, changing and pasting a list of people.
ASK_HELP, CHANGE_HELP = "help.license", "help.license_changes"


def family() -> Family:
    return Family(
        name="licenses",
        kinds=(
            Kind(id=assign.KIND, sla_days=3, approvers=Approvers.ADMINS, help=ASK_HELP,
                 steps=(SetUsageLocation, AssignLicense), editor=edit.editor()),
            Kind(id=bulk.KIND, sla_days=1, approvers=Approvers.ADMINS, help=CHANGE_HELP,
                 steps=(SetUsageLocation, AssignLicense)),
            Kind(id=changes.CHANGE_KIND, sla_days=3, approvers=Approvers.ADMINS, help=CHANGE_HELP,
                 steps=(SetUsageLocation, SwapLicense)),
            Kind(id=changes.REMOVE_KIND, sla_days=3, approvers=Approvers.ADMINS, help=CHANGE_HELP,
                 steps=(UnassignLicense,)),
        ),
        commands=(
            Command("plans", 60, parse_plans, catalogue.show_plans),
            Command("price", 70, parse_price, catalogue.set_price),
            Command("license_report", 90, parse_report, reports.show_report),
            # Before the request: "Lizenz E3 entfernen" would otherwise ask for a plan called "E3 entfernen".
            Command("license_change", 110, parse_license_change, change_typed),
            Command("license_request", 120, parse_license_request, assign.request_license),
        ),
        verbs=(VerbRoute(Verb.LICENSE_SUBMIT, LicenseFormClick, assign.form_submitted),),
        help=(
            HelpTopic(10, ASK_HELP),
            HelpTopic(20, CHANGE_HELP),
            HelpTopic(40, "help.licenses"),
        ),
        manifest=(
            ManifestCommand(
                20,
                titles={"en": "request license E3", "pl": "poproś o licencję E3", "de": "Lizenz E3 anfordern"},
                descriptions={
                    "en": "Ask for an E3 license (or any plan the tenant has); the request goes to an approver",
                    "pl": "Poproś o licencję E3 (lub inny plan organizacji); wniosek trafi do osoby zatwierdzającej",
                    "de": "Eine E3-Lizenz (oder einen anderen Plan des Mandanten) anfordern; der Antrag geht an eine "
                    "genehmigende Person",
                },
            ),
            ManifestCommand(
                50,
                titles={"en": "licenses", "pl": "licencje", "de": "Lizenzen"},
                descriptions={
                    "en": "The tenant's license plans: seats in use, free seats and monthly cost",
                    "pl": "Plany licencyjne organizacji: licencje w użyciu, wolne licencje i koszt miesięczny",
                    "de": "Die Lizenzpläne des Mandanten: vergebene und freie Lizenzen, monatliche Kosten",
                },
            ),
        ),
    )

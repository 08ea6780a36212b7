"""The desk's own commands and verbs, shared by every kind: help, my requests, withdraw, the SLA report, the
approver's Approve/Reject, and the "did you mean …?" buttons."""

from __future__ import annotations

from dataclasses import dataclass

from cards.help import help_card
from cards.verbs import Verb
from handlers import approvals, sla_report, withdrawal
from handlers.commands import (
    WithdrawRequest,
    parse,
    parse_help,
    parse_my_requests,
    parse_sla,
    parse_withdraw,
)
from handlers.context import Actor, Reply, actor_translator
from handlers.dispatch import dispatch_command
from handlers.my_requests import my_requests
from handlers.services import Services
from handlers.suggestions import MAX_COMMAND_LENGTH
from kinds.card_data import NoData, bounded
from kinds.family import Command, Family, HelpTopic, ManifestCommand, VerbRoute

# Longer than any request id on purpose: a forged or oversized id is refused like a missing one and audited as a
# guess (cut to 40 characters) by handlers.access, so the bound here is only the activity body's own.
_REQUEST_ID = 64_000


@dataclass(frozen=True, slots=True)
class DecisionClick:
    """Approve or Reject on an approval card: which request, at which version, and the approver's reason."""

    request_id: str = bounded(_REQUEST_ID)
    version: int | None = None
    reason: str | None = bounded(4_000, optional=True)


@dataclass(frozen=True, slots=True)
class RequestClick:
    """A button about one request (withdraw it)."""

    request_id: str = bounded(_REQUEST_ID)


@dataclass(frozen=True, slots=True)
class TypedCommand:
    """A "did you mean …?" button: its text is only a wish, parsed and checked like a typed message."""

    text: str = bounded(MAX_COMMAND_LENGTH)


async def show_help(services: Services, actor: Actor, _command: object) -> Reply:
    return Reply(card=help_card(actor_translator(actor), services.kinds.help_topics()))


async def show_my_requests(services: Services, actor: Actor, _command: object) -> Reply:
    return await my_requests(services, actor)


async def withdraw_typed(services: Services, actor: Actor, command: WithdrawRequest) -> Reply:
    return await withdrawal.withdraw(services, actor, public_id=command.request_id)


async def withdraw_clicked(services: Services, actor: Actor, data: RequestClick) -> Reply:
    return await withdrawal.withdraw(services, actor, public_id=data.request_id)


async def approve(services: Services, actor: Actor, data: DecisionClick) -> Reply:
    return await approvals.decide(
        services, actor, public_id=data.request_id, version=data.version, approve=True, reason=data.reason
    )


async def reject(services: Services, actor: Actor, data: DecisionClick) -> Reply:
    return await approvals.decide(
        services, actor, public_id=data.request_id, version=data.version, approve=False, reason=data.reason
    )


async def run_command(services: Services, actor: Actor, data: TypedCommand) -> Reply:
    return await dispatch_command(services, actor, parse(data.text, services.kinds))


def family() -> Family:
    return Family(
        name="desk",
        commands=(
            Command("help", 10, parse_help, show_help),
            Command("my_requests", 20, parse_my_requests, show_my_requests),
            Command("withdraw", 30, parse_withdraw, withdraw_typed),
            Command("sla", 80, parse_sla, sla_report.show_sla),
        ),
        verbs=(
            VerbRoute(Verb.APPROVE, DecisionClick, approve),
            VerbRoute(Verb.REJECT, DecisionClick, reject),
            VerbRoute(Verb.WITHDRAW, RequestClick, withdraw_clicked),
            VerbRoute(Verb.MY_REQUESTS, NoData, show_my_requests),
            VerbRoute(Verb.SHOW_HELP, NoData, show_help),
            # An old card's refresh: the desk answers with the help card.
            VerbRoute(Verb.REFRESH, NoData, show_help),
            VerbRoute(Verb.RUN_COMMAND, TypedCommand, run_command),
        ),
        help=(HelpTopic(90, "help.my_requests"), HelpTopic(100, "help.help")),
        manifest=(
            ManifestCommand(
                10,
                titles={"en": "help", "pl": "pomoc", "de": "hilfe"},
                descriptions={
                    "en": "Show what M365 Desk can do for you",
                    "pl": "Pokaż, w czym może pomóc M365 Desk",
                    "de": "Zeigt, wobei M365 Desk Ihnen helfen kann",
                },
            ),
            ManifestCommand(
                40,
                titles={"en": "my requests", "pl": "moje wnioski", "de": "meine Anträge"},
                descriptions={
                    "en": "See your requests and where each one stands",
                    "pl": "Zobacz swoje wnioski i stan każdego z nich",
                    "de": "Ihre Anfragen und deren aktuellen Stand anzeigen",
                },
            ),
        ),
    )


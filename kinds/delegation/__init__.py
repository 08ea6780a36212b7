"""The delegation family (F15): ``delegate my approvals to X until …`` / ``stop delegating`` for everyone, the
admins' ``reassign REQ-… to X`` and ``add approver X to REQ-…``, and "Ask again" on an expired request. The
reminders, escalation and expiry that make requests expire run in the background (handlers/escalation.py)."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.delegation.ask_again import AskAgainClick, ask_again
from kinds.delegation.commands import parse_delegate, parse_reassign
from kinds.delegation.delegate import handle_delegation
from kinds.delegation.reassign import handle_reassign
from kinds.family import Command, Family, HelpTopic, ManifestCommand, VerbRoute


def family() -> Family:
    return Family(
        name="delegation",
        # Before the list commands (50): "add approver X to REQ-…" is not a member change of a list.
        commands=(
            Command("delegate", 34, parse_delegate, handle_delegation),
            Command("reassign", 35, parse_reassign, handle_reassign),
        ),
        verbs=(VerbRoute(Verb.ASK_AGAIN, AskAgainClick, ask_again),),
        help=(HelpTopic(88, "help.delegation"), HelpTopic(89, "help.reassign")),
        # Delegation only: reassigning is the admins' and names a request, which a menu entry cannot.
        manifest=(
            ManifestCommand(
                70,
                titles={"en": "delegate to <name> until <date>", "pl": "zastępstwo: <osoba> do <data>",
                        "de": "Vertretung: <Name> bis <Datum>"},
                descriptions={
                    "en": "While you are away, your approval cards go to a colleague, who decides for you until "
                          "that day",
                    "pl": "Na czas nieobecności Twoje karty do zatwierdzenia trafiają do osoby, która do tego dnia "
                          "decyduje za Ciebie",
                    "de": "Während Ihrer Abwesenheit gehen Ihre Genehmigungskarten bis zu diesem Tag an eine "
                          "Vertretung, die für Sie entscheidet",
                },
            ),
        ),
    )

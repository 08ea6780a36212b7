"""What a desk-filed kind decided by a choice declares for the shared machinery of kinds/desk_filed/: the desk's
actor id it files under, its once-only claim keys, its message keys, and its decider's card."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cards.verbs import Verb
from handlers.context import Actor
from kinds.steps import Step

if TYPE_CHECKING:
    from cards.i18n import Translator
    from cards.views import RequestView
    from handlers.services import Services
    from storage.models import Request

DESK_NAME = "M365 Desk"

# The plan a choice makes (typed steps) and the decision's reason in the decider's words.
Plan = tuple[tuple[Step, ...], str]
# A choice's plan for the stored request, given the click's data (the kind's own type, with at least request_id and
# version), or the notice that refuses it (a person who cannot own anything, …).
PlanFor = Callable[["Services", Actor, Verb, Any, "Request"], Awaitable["Plan | str"]]


class DeciderCard(Protocol):
    """Kind.approver_card with a notice on top (a reminder's or a refusal's words): the choices while it waits."""

    def __call__(self, view: RequestView, request: Request, t: Translator, reader_id: str, *,
                 notice: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class DeskFiled:
    """One desk-filed kind: ``claims`` prefixes its once-only claims ("orphan" → "orphan.remind:REQ-…"), message keys
    take ``request_id`` and ``since``; ``choices`` are the card's verbs, each clicked with data of type ``click``
    and made into a plan by ``plan_for``; ``admins_only`` are those only an admin may make."""

    kind: str  # the Kind's id
    desk_id: str  # whose name the desk files these in ("desk:orphans"): never an Entra object id
    claims: str
    pass_key: str  # claimed once per day: one replica runs the day's filing pass
    card: DeciderCard
    choices: tuple[Verb, ...]
    click: type
    plan_for: PlanFor
    not_decider: str  # message key: someone involved, but not a decider, clicked a choice
    reminder: str  # message key of the reminder's notice
    escalated: str  # message key of the notice on the admins' card after escalation
    admins_only: frozenset[Verb] = frozenset()
    admins_only_notice: str = ""  # message key: someone else chose one of ``admins_only``

    def desk_actor(self) -> Actor:
        """The desk as the requester of what it files (no tenant, English for its own records)."""
        return Actor(user_id=self.desk_id, name=DESK_NAME, tenant_id="", locale="en-US")

    def remind_key(self, public_id: str) -> str:
        return f"{self.claims}.remind:{public_id}"

    def escalate_key(self, public_id: str) -> str:
        return f"{self.claims}.escalate:{public_id}"

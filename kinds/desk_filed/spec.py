"""What a desk-filed kind decided by a choice declares for the shared machinery of kinds/desk_filed/: the desk's
actor id it files under, its once-only claim keys, its message keys, and its decider's card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from handlers.context import Actor

if TYPE_CHECKING:
    from cards.i18n import Translator
    from cards.views import RequestView
    from storage.models import Request

DESK_NAME = "M365 Desk"


class DeciderCard(Protocol):
    """Kind.approver_card with a notice on top (a reminder's or a refusal's words): the choices while it waits."""

    def __call__(self, view: RequestView, request: Request, t: Translator, reader_id: str, *,
                 notice: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class DeskFiled:
    """One desk-filed kind: ``claims`` prefixes its once-only claims ("orphan" → "orphan.remind:REQ-…"), message keys
    take ``request_id`` and ``since``; ``admins_only`` are the choices (verbs) only an admin may make."""

    kind: str  # the Kind's id
    desk_id: str  # whose name the desk files these in ("desk:orphans"): never an Entra object id
    claims: str
    pass_key: str  # claimed once per day: one replica runs the day's filing pass
    card: DeciderCard
    not_decider: str  # message key: someone involved, but not a decider, clicked a choice
    reminder: str  # message key of the reminder's notice
    escalated: str  # message key of the notice on the admins' card after escalation
    admins_only: frozenset[str] = frozenset()
    admins_only_notice: str = ""  # message key: someone else chose one of ``admins_only``

    def desk_actor(self) -> Actor:
        """The desk as the requester of what it files (no tenant, English for its own records)."""
        return Actor(user_id=self.desk_id, name=DESK_NAME, tenant_id="", locale="en-US")

    def remind_key(self, public_id: str) -> str:
        return f"{self.claims}.remind:{public_id}"

    def escalate_key(self, public_id: str) -> str:
        return f"{self.claims}.escalate:{public_id}"

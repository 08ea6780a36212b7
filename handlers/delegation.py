"""Who stands in for an approver (F15): their delegate during a delegation's period, or — when their mailbox's
automatic replies are on and they have none — nobody, which sends the request on to the next approver set.

Delivery asks ``stand_ins`` who receives each approver's card and on whose behalf; access asks ``stood_in_for``
whether a person clicking is the delegate of one of a request's current approvers; both read the delegation in
force at that instant, so a delegation that ends stops both at once. One level only: a delegate's own delegate
is never followed, so cards cannot travel in a circle.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards.elements import text
from cards.i18n import Translator
from cards.requests import approval_card
from cards.views import RequestView
from handlers.services import Services
from kinds.family import RoleCard
from m365.errors import M365Error
from storage.models import Request

logger = logging.getLogger(__name__)

DIRECT, DELEGATE, AWAY = "direct", "delegate", "away"
# Why a request went on to the next approver set early: an approver away without a delegate.
AWAY_REASON = "away"


@dataclass(frozen=True, slots=True)
class StandIn:
    """Who receives one approver's card: the approver themself (``direct``), their delegate for them (``delegate``),
    or nobody because they are away without a delegate (``away``: the request goes on to the next approver set)."""

    recipient_id: str
    approver_id: str
    approver_name: str = ""
    how: str = DIRECT

    @property
    def on_behalf_of(self) -> str | None:
        return self.approver_id if self.how == DELEGATE else None


@dataclass(frozen=True, slots=True)
class Principal:
    """The approver a delegate stands in for."""

    id: str
    name: str


async def stand_ins(services: Services, approver_ids: Iterable[str], at: datetime) -> list[StandIn]:
    """For each approver, in order: their delegate when a delegation is in force at ``at``, else ``away`` when
    their automatic replies are on at ``at``, else themselves."""
    wanted = list(dict.fromkeys(approver_ids))
    async with services.uow() as uow:
        delegations = await uow.delegations.active_for(wanted, at)
    routed: list[StandIn] = []
    for approver_id in wanted:
        delegation = delegations.get(approver_id)
        if delegation is not None:
            routed.append(StandIn(delegation.delegate_id, approver_id, delegation.principal_name, DELEGATE))
        elif await is_away(services, approver_id, at):
            routed.append(StandIn(approver_id, approver_id, how=AWAY))
        else:
            routed.append(StandIn(approver_id, approver_id))
    return routed


async def is_away(services: Services, user_id: str, at: datetime) -> bool:
    """Whether the person's automatic replies are on at ``at``. A mailbox that cannot be read counts as in the
    office (logged): a card delivered to someone away is late, one withheld from someone present is lost."""
    mail = services.tenant.mail
    if mail is None or user_id.startswith("desk:"):
        return False
    try:
        return (await mail.automatic_replies(user_id)).on_at(at)
    except (M365Error, OSError):
        logger.warning("automatic replies of %s unreadable; treated as in the office", user_id, exc_info=True)
        return False


async def stood_in_for(
    services: Services, actor_id: str, request: Request, *, entitled: Callable[[str], Awaitable[bool]]
) -> Principal | None:
    """The current approver of ``request`` whose delegate ``actor_id`` is now and who may still decide it
    (``entitled``, access's own re-check for that approver); None when there is none."""
    async with services.uow() as uow:
        delegations = await uow.delegations.principals_of(actor_id, services.clock())
    for delegation in delegations:
        if delegation.principal_id in request.approver_ids and await entitled(delegation.principal_id):
            return Principal(delegation.principal_id, delegation.principal_name)
    return None


def delegate_card(view: RequestView, request: Request, reader_id: str, approver_name: str,
                  t: Translator, notice: str | None = None, *, kind_card: RoleCard | None = None,
                  principal_id: str | None = None) -> dict[str, Any]:
    """The card a delegate gets: the approver's card, saying whose it is; buttons while it waits, never for a
    request the delegate filed or that is for them (the click is re-checked anyway). A kind that draws its own
    approver card (the choices of an orphan clean-up) draws it as for the approver ``principal_id``, so the
    delegate is offered what the approver would be."""
    can_decide = reader_id != request.requester_id and reader_id.casefold() not in view.subjects
    standing = t("delegation.card.for", name=approver_name)
    said = f"{standing} {notice}" if notice else standing
    if kind_card is None or principal_id is None or not can_decide:
        return dict(approval_card(view, t, can_decide=can_decide, notice=said))
    drawn = dict(kind_card(view, request, t, principal_id))
    drawn["body"] = [*drawn.get("body", [])[:1], text(said, color="Attention"), *drawn.get("body", [])[1:]]
    return drawn


async def delegate_card_for(services: Services, view: RequestView, request: Request, reader_id: str,
                            t: Translator) -> dict[str, Any] | None:
    """The delegate's card when ``reader_id`` is not an approver but now stands in for one; None otherwise."""
    if reader_id in request.approver_ids:
        return None
    async with services.uow() as uow:
        delegations = await uow.delegations.principals_of(reader_id, services.clock())
    kind_card = services.kinds.kind(request.kind).approver_card
    for delegation in delegations:
        if delegation.principal_id in request.approver_ids:
            return delegate_card(view, request, reader_id, delegation.principal_name, t, kind_card=kind_card,
                                 principal_id=delegation.principal_id)
    return None


async def display_names(services: Services, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names from the directory (the id itself for someone it no longer knows)."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        try:
            user = await services.tenant.directory.get_user(user_id)
        except M365Error:
            user = None
        names[user_id] = user.display_name if user is not None else user_id
    return names


def names_by_id(request: Request) -> dict[str, str]:
    """The request's approvers' names as routed (payload approver_names goes with approver_ids one for one)."""
    names = list(request.payload.get("approver_names", ()))
    if len(names) != len(request.approver_ids):
        return {}
    return dict(zip(request.approver_ids, names, strict=True))

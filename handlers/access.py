"""Who may see a request and act on it, judged at the moment of the click; the audited refusal for everyone else.

A person is involved in a request when they filed it, when it changes them (its subjects), when they may decide it
now (a listed approver still entitled at click time), when they place seat orders (fulfilment) or when they are an
admin. Everyone else gets one answer that says nothing about the request, the same whether it exists or not.
Every refused click writes one ``click.refused`` audit event with a reason code, within a per-person budget
(handlers.refusals) past which clicks are refused at once and counted into the next event.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass

from handlers import stages
from handlers.context import Actor, Reply, actor_translator
from handlers.delegation import Principal, stood_in_for
from handlers.routing_policy import FULFILLERS, GROUP, MANAGER
from handlers.services import Services, is_admin
from kinds.steps import changes_person
from storage.models import Request

logger = logging.getLogger(__name__)

REFUSED_ACTION = "click.refused"
# The shape of every public id (storage.repositories.requests.format_public_id); anything else cannot exist.
_PUBLIC_ID = re.compile(r"REQ-\d{4}-\d{1,12}")
# Approvers an admin (reassign, add approver) or an escalation put on a request: entitled while they are listed.
ASSIGNED = "assigned_approvers"
# A refused id is recorded as given (it may be a guess), cut so a click cannot grow the audit log at will.
MAX_RECORDED_ID = 40


class Why(enum.StrEnum):
    """The reason codes a refused click is audited with."""

    NOT_FOUND = "not_found"  # no such request (or not one this verb acts on)
    NOT_INVOLVED = "not_involved"  # the request exists, but the person has no part in it
    NO_LONGER_APPROVER = "no_longer_approver"  # listed as an approver, no longer an owner or admin now
    REQUESTER = "requester"  # filed it, so may not decide or fulfil it
    SUBJECT = "subject"  # it changes them, so may not decide it
    NOT_APPROVER = "not_approver"  # involved otherwise, but not an approver of it
    NOT_FULFILLER = "not_fulfiller"  # involved otherwise, but does not place seat orders
    NOT_REQUESTER = "not_requester"  # only the requester withdraws


@dataclass(frozen=True, slots=True)
class Standing:
    """How the actor stands to one request at this moment."""

    requester: bool
    subject: bool
    listed_approver: bool  # in the approvers the request was routed to
    approver: bool  # ... and still entitled now (an owner of the resource, or in the admins group)
    fulfiller: bool  # seat orders only: a member of the fulfillers group now
    admin: bool
    # Not an entitled approver themself, but the delegate now of one who is (F15): decides "X for Y".
    on_behalf_of: Principal | None = None
    # Stages (F14): routed to another stage of the request than the one it waits in (they see it, read-only) …
    stage_approver: bool = False
    decided: bool = False  # … approved a stage of it already (nobody approves twice) …
    last_stage: bool = True  # … and whether it waits in its last stage, the only one an admin may decide unasked

    @property
    def involved(self) -> bool:
        return self.requester or self.subject or self.approver or self.fulfiller or self.admin or self.stage_approver

    @property
    def may_decide(self) -> bool:
        """An entitled approver of the stage the request is in, or any admin at its last stage — but never the
        requester, a person the request changes, or someone who approved one of its stages already."""
        allowed = self.approver or (self.admin and self.last_stage)
        return allowed and not (self.requester or self.subject or self.decided)


def normalise_id(value: object) -> str | None:
    """The public id a click names, upper-cased; None when it cannot name a request at all."""
    if not isinstance(value, str):
        return None
    candidate = value.strip().upper()
    return candidate if _PUBLIC_ID.fullmatch(candidate) else None


async def find(
    services: Services, actor: Actor, public_id: object, verb: str, *, kind: str | None = None
) -> tuple[Request, Standing] | Reply:
    """The request a click names and the actor's standing to it, or the refusal for someone with no part in it.

    The refusal is already audited when this returns it. ``kind`` limits the verb to one kind of request (a seat
    order's fulfilment); a request of another kind is refused like a missing one.
    """
    suppressed = services.refusals.over(actor.user_id)
    if suppressed:
        # Past this person's budget of audited refusals (handlers.refusals): answered at once, counted, and the
        # count written with their next audited refusal. Logged once, not per click.
        if suppressed == 1:
            logger.warning("refusing every click on a request by %s for now: too many refused clicks", actor.user_id)
        return refusal(actor)
    holding = True  # the budget's reservation for this click, until it is let through or audited
    try:
        wanted = normalise_id(public_id)
        request = None
        if wanted is not None:
            async with services.uow() as uow:
                request = await uow.requests.get_by_public_id(wanted)
        # Asked whether or not the request exists, so a missing one is not answered measurably faster.
        admin = await is_admin(services, actor)
        if request is None or (kind is not None and request.kind != kind):
            why = Why.NOT_FOUND
        else:
            standing = await standing_of(services, actor, request, admin=admin)
            if standing.involved:
                return request, standing
            why = Why.NO_LONGER_APPROVER if standing.listed_approver else Why.NOT_INVOLVED
        holding = False
        await record_refusal(services, actor, verb, why, public_id=public_id, request=request, reserved=True)
        return refusal(actor)
    finally:
        if holding:
            services.refusals.release(actor.user_id)


def refusal(actor: Actor) -> Reply:
    """The one answer for a request one may not see: no id, no card, no state, no names."""
    return Reply(text=actor_translator(actor)("authority.refused"))


async def standing_of(services: Services, actor: Actor, request: Request, *, admin: bool) -> Standing:
    listed = actor.user_id in request.approver_ids
    entitled = listed and await still_entitled(services, actor, request)
    principal = None
    if not entitled and request.state == "pending":
        # A delegate of a current approver has that approver's standing (handlers.delegation), checked like theirs.
        async def approver_entitled(principal_id: str) -> bool:
            return await still_entitled(services, Actor(principal_id, "", actor.tenant_id), request)

        principal = await stood_in_for(services, actor.user_id, request, entitled=approver_entitled)
    fulfils = services.kinds.kind(request.kind).fulfils
    return Standing(
        requester=actor.user_id == request.requester_id,
        subject=changes_person(services.kinds.steps.load_plan(request.plan), actor.user_id),
        listed_approver=listed,
        approver=entitled or principal is not None,
        fulfiller=fulfils is not None and await fulfils(services, actor),
        admin=admin,
        on_behalf_of=principal,
        stage_approver=actor.user_id in stages.earlier_approvers(request),
        # While it waits: once decided, "already decided" says more than "you approved a stage of it".
        decided=request.state == "pending" and actor.user_id in stages.deciders(request),
        last_stage=stages.at_last_stage(request),
    )


async def still_entitled(services: Services, actor: Actor, request: Request) -> bool:
    """Whether a listed approver may still decide: the route is re-checked now, not trusted from submission.

    Admins must still be in the admins group. A list's owners are read live from Exchange, which owns ManagedBy:
    the directory cache lags by up to a sync period, exactly the window in which a removed owner must already be
    refused; a shared mailbox's owners are the desk's own record. Each kind says how (``Kind.owns``); a kind
    without that check routed to owners is refused (an admin still passes as an admin).
    """
    route = request.payload.get("route")
    if actor.user_id in request.payload.get(ASSIGNED, ()):
        return True  # put on the request by an admin or by escalation (F15): listed is what entitles them
    if route == "admins":
        return await services.tenant.directory.is_member_of(actor.user_id, services.policy.admins_group_id)
    if route in (MANAGER, GROUP, FULFILLERS):
        # A stage of the routing policy (F14): the requester's manager now, or a member of the stage's group now.
        return await _in_stage_now(services, actor, request, route)
    owns = services.kinds.kind(request.kind).owns
    return route == "owners" and owns is not None and await owns(services, actor, request)


async def _in_stage_now(services: Services, actor: Actor, request: Request, route: str) -> bool:
    directory = services.tenant.directory
    if route == MANAGER:
        if request.requester_id.startswith(stages.DESK_PREFIX):
            return False
        manager_id = await directory.manager_id(request.requester_id)
        return manager_id is not None and manager_id.casefold() == actor.user_id.casefold()
    group_id = services.policy.fulfillers if route == FULFILLERS else stages.current_record(request).get("group_id")
    return isinstance(group_id, str) and bool(group_id) and await directory.is_member_of(actor.user_id, group_id)


async def record_refusal(
    services: Services,
    actor: Actor,
    verb: str,
    why: Why,
    *,
    public_id: object,
    request: Request | None = None,
    reserved: bool = False,
) -> None:
    """One audit event per refused click: who, which request when it exists, which verb, and why (a code).

    In a transaction of its own that writes nothing else, so the audit head is held only for the append. Clicks
    refused unaudited past the person's budget since their last audited one are counted in ``suppressed``.
    ``reserved``: the click holds a reservation of the budget (``find``), which this refusal now uses.
    """
    named: str | None
    if request is not None:
        named = request.public_id
    else:
        named = public_id[:MAX_RECORDED_ID] if isinstance(public_id, str) else None
    detail: dict[str, object] = {"verb": verb, "reason": why.value, "public_id": named}
    suppressed = services.refusals.audited(actor.user_id, reserved=reserved)
    if suppressed:
        detail["suppressed"] = suppressed
    locked = request.public_id if request is not None else normalise_id(public_id)
    async with services.uow() as uow:
        if locked is not None:
            # The event's foreign key locks the request row; taking that lock before the audit head keeps the
            # order every other appender uses (row, then head), so a refusal cannot deadlock with a decision on
            # the same request on PostgreSQL. Asked for a missing request too, so both take the same steps.
            await uow.requests.get_by_public_id(locked, for_update=True)
        await uow.audit.append(
            action=REFUSED_ACTION,
            request_id=request.id if request is not None else None,
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail=detail,
        )
        await uow.commit()
    logger.warning("refused %s on %r by %s: %s", verb, named, actor.user_id, why.value)

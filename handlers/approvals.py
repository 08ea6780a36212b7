"""Who approves what, and the decision on a click — re-checked on the server against the stored request."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from cards.i18n import Translator
from cards.verbs import Verb
from desk_logging import bind as bind_log_context
from handlers import access, stages
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import InvalidTransition, RequestEvent, RequestState, next_state
from handlers.request_views import approver_card_for, request_view
from handlers.routing_policy import ADMINS, OWNERS
from handlers.services import Services
from handlers.stages import STAGE_APPROVAL, STAGE_MOVED
from handlers.submission import DELIVER_JOB, EXECUTE_JOB, card_update_job, record_transition
from m365.ports import DirectoryUser
from storage.errors import StaleVersion
from storage.models import Request
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Approvers:
    ids: list[str]
    names: list[str]
    route: str  # "owners" | "admins": admins are re-checked against the group at click time


async def resolve_approvers(
    services: Services, requester_id: str, *, owners: Iterable[DirectoryUser] = ()
) -> Approvers:
    """Resource owners when there are any (other than the requester), else the admins group; never the requester."""
    people = [owner for owner in owners if owner.id != requester_id and owner.account_enabled]
    route = "owners"
    if not people:
        route = "admins"
        admin_ids = await services.tenant.directory.group_member_ids(services.policy.admins_group_id)
        for admin_id in admin_ids:
            if admin_id == requester_id:
                continue
            admin = await services.tenant.directory.get_user(admin_id)
            if admin and admin.account_enabled:
                people.append(admin)
    unique = {person.id: person for person in people}
    return Approvers(ids=list(unique), names=[person.display_name for person in unique.values()], route=route)


async def decide(
    services: Services, actor: Actor, *, public_id: str, version: object, approve: bool, reason: str | None
) -> Reply:
    """Applies one Approve/Reject click. A person with no part in the request gets the one refusal that says nothing
    about it; anyone else gets the request's current card, with a notice when nothing changed.

    The checks read the request in a short transaction, the directory is asked with no transaction open, and
    the decision itself is a versioned update: whoever changed the request in between makes it refuse.
    """
    t = actor_translator(actor)
    verb = Verb.APPROVE if approve else Verb.REJECT
    reason = (reason or "").strip()[:500] or None
    found = await access.find(services, actor, public_id, verb)
    if isinstance(found, Reply):
        return found
    # As access.find read it, unlocked: enough to refuse early; the change below re-reads the row under a lock.
    seen, standing = found
    public_id = seen.public_id
    bind_log_context(req_id=public_id)
    if not standing.may_decide:
        # Involved, so they may see the request; the card says why they may not decide it.
        why, notice = _why_not(standing, public_id, t)
        await access.record_refusal(services, actor, verb, why, public_id=public_id, request=seen)
        return await _current(services, actor, public_id, notice)
    if seen.state != RequestState.PENDING:
        return await _already_decided(services, actor, public_id, t)
    if not isinstance(version, int) or version != seen.version:
        return await _current(services, actor, public_id, t("approval.stale", request_id=public_id))
    if approve and services.kinds.kind(seen.kind).decided_by_choice:
        # A request whose change is chosen on its own card (an orphaned list: take over, delete, keep) has no plan
        # until then: Approve is not on that card, so this click was made up, and approving it would do nothing.
        return Reply(text=t("error.bad_card"))

    event = RequestEvent.APPROVE if approve else RequestEvent.REJECT
    # A delegate decides for the approver they stand in for (F15): recorded and shown as "X for Y".
    for_whom = standing.on_behalf_of
    # Stages (F14): an approval may leave the request in its "all" stage or move it to the next stage, whose
    # approvers are found now, with no transaction open, from the request as seen at the version clicked.
    approval = stages.plan_approval(seen, actor.user_id) if approve else None
    if approval is not None and approval.outcome == "next":
        approval = await _next_stage(services, seen, actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id, for_update=True)
        assert request is not None  # requests are never deleted
        stage = request.stage or 0
        try:
            if approval is not None and approval.outcome != "final":
                new_state = RequestState.PENDING  # still waiting, at a new version: every card is redrawn
            else:
                new_state = next_state(request.state, event)
            await uow.requests.transition(request, new_state.value, expected_version=version, now=services.clock())
        except (StaleVersion, InvalidTransition):
            # Someone else decided between our check and our write; show them what won.
            await uow.rollback()
            return await _already_decided(services, actor, public_id, t)
        decision = await uow.decisions.add(
            request_id=request.id,
            approver_id=actor.user_id,
            approver_name=actor.name,
            outcome="approved" if approve else "rejected",
            reason=reason,
            at=services.clock(),
            on_behalf_of_id=for_whom.id if for_whom else None,
            on_behalf_of_name=for_whom.name if for_whom else None,
        )
        decision.stage = stage
        delegated = {"on_behalf_of": for_whom.id, "on_behalf_of_name": for_whom.name} if for_whom else {}
        if approval is not None:
            moved = stages.record_approval(request, actor.user_id, actor.name, approval, services.clock())
            if approval.outcome != "final":
                await _record_stage(uow, request, approval, actor, {**moved, **delegated})
        if new_state != RequestState.PENDING:
            if approve:
                await uow.jobs.enqueue(request.id, EXECUTE_JOB)
            await record_transition(uow, request, new_state.value, actor, reason=reason, stage=stage + 1, **delegated)
        await uow.commit()
        view = await request_view(services, uow, request)
    services.wake_jobs()
    logger.info("request %s %s by %s", public_id, new_state.value, actor.user_id)
    return Reply(card=approver_card_for(view, request, actor.user_id, t))


async def _next_stage(services: Services, request: Request, actor: Actor) -> stages.Approval:
    """The next stage with anybody to decide (never the requester, the people the request changes or anyone who
    approved a stage of it, this approver included), else the admins; nobody at all leaves it at its last stage
    with no approvers, for an admin to decide or reassign."""
    records = stages.stage_records(request)
    own = request.payload.get(stages.OWN) or {}
    staffed = await stages.staff(
        services,
        records,
        (request.stage or 0) + 1,
        kind_id=request.kind,
        requester_id=request.requester_id,
        plan=services.kinds.steps.load_plan(request.plan),
        own=stages.Routed(list(own.get("ids", ())), list(own.get("names", ())), own.get("route", OWNERS)),
        decided=stages.deciders(request) | {actor.user_id},
    )
    if staffed is None:
        # Its last stage, so an admin may still decide it (or reassign it) as at any last stage.
        staffed = stages.Staffed(len(records) - 1, stages.Routed([], [], ADMINS), fallback=True)
    return stages.Approval("next", staffed)


async def _record_stage(
    uow: UnitOfWork, request: Request, approval: stages.Approval, actor: Actor, detail: dict[str, object]
) -> None:
    """An approval that leaves the request waiting: audited with the stage it was given at, every card redrawn; a
    new stage's approvers get their cards. Jobs are named by the version reached, so each runs once."""
    moved = approval.outcome == "next"
    await uow.audit.append(
        action="request.stage_advanced" if moved else "request.stage_approved",
        request_id=request.id,
        actor_id=actor.user_id,
        actor_name=actor.name,
        detail={"public_id": request.public_id, "version": request.version, **detail},
    )
    announced = STAGE_MOVED if moved else STAGE_APPROVAL
    await uow.jobs.enqueue(request.id, card_update_job(f"{announced}.v{request.version}"))
    if moved:
        await uow.jobs.enqueue(request.id, f"{DELIVER_JOB}:v{request.version}")


def _why_not(standing: access.Standing, public_id: str, t: Translator) -> tuple[access.Why, str]:
    """The reason code and the notice for an involved person who may not decide."""
    if standing.requester:
        return access.Why.REQUESTER, t("approval.self")
    if standing.subject:
        return access.Why.SUBJECT, t("authority.subject", request_id=public_id)
    if standing.decided:
        return access.Why.NOT_APPROVER, t("stages.already_approved", request_id=public_id)
    if standing.stage_approver or standing.admin:
        return access.Why.NOT_APPROVER, t("stages.not_this_stage", request_id=public_id)
    return access.Why.NOT_APPROVER, t("approval.not_approver", request_id=public_id)


async def _already_decided(services: Services, actor: Actor, public_id: str, t: Translator) -> Reply:
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
    assert request is not None
    if request.state == RequestState.PENDING:
        # Another approver of its stage approved first, or it moved to its next stage: still waiting, card redrawn.
        return await _current(services, actor, public_id, t("approval.stale", request_id=public_id))
    state = t("request.state." + request.state)
    return await _current(services, actor, public_id, t("approval.already_decided", request_id=public_id, state=state))


async def _current(services: Services, actor: Actor, public_id: str, notice: str) -> Reply:
    """The request as it stands now, for this reader, with a notice saying why nothing changed."""
    t = actor_translator(actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        view = await request_view(services, uow, request)
    return Reply(text=notice, card=approver_card_for(view, request, actor.user_id, t, notice=notice))

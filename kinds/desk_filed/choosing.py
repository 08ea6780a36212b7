"""A choice on a desk-filed request's card: checked like a decision (handlers.approvals.decide) — the click's
person against the stored request now, its state and card version — then the chosen plan stored and approved in one
versioned update, so it executes through the shared lifecycle (audited, exactly once): of two choices at once,
exactly one wins. A delegate (F15) chooses with their approver's standing, admin choices included, and the decision
and audit say "X for Y"."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from cards.i18n import Translator
from cards.verbs import Verb
from handlers import access
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import InvalidTransition, RequestEvent, RequestState, next_state
from handlers.request_views import request_view
from handlers.services import Services, is_admin
from handlers.submission import EXECUTE_JOB, record_transition
from kinds.desk_filed.spec import DeskFiled
from kinds.family import VerbRoute
from kinds.steps import dump_plan
from storage.errors import StaleVersion

logger = logging.getLogger(__name__)


def choice_routes(spec: DeskFiled) -> tuple[VerbRoute, ...]:
    """The family's verb routes of the kind's choices."""
    return tuple(VerbRoute(choice, spec.click, partial(_clicked, spec, choice)) for choice in spec.choices)


async def _clicked(spec: DeskFiled, choice: Verb, services: Services, actor: Actor, data: Any) -> Reply:
    return await choose(services, actor, spec, choice, data)


async def choose(services: Services, actor: Actor, spec: DeskFiled, choice: Verb, data: Any) -> Reply:
    """Applies one choice click (``data``: the kind's click type); a person with no part in the request gets the
    refusal that says nothing, anyone else involved the request's current card with a notice when nothing changed."""
    t = actor_translator(actor)
    request_id, version = data.request_id, data.version
    found = await access.find(services, actor, request_id, choice, kind=spec.kind)
    if isinstance(found, Reply):
        return found
    seen, standing = found
    public_id = seen.public_id
    if not standing.may_decide:
        await access.record_refusal(services, actor, choice, access.Why.NOT_APPROVER, public_id=public_id,
                                    request=seen)
        return await _current(services, actor, spec, public_id, t(spec.not_decider))
    if choice in spec.admins_only and not await _as_admin(services, actor, standing):
        await access.record_refusal(services, actor, choice, access.Why.NOT_APPROVER, public_id=public_id,
                                    request=seen)
        return await _current(services, actor, spec, public_id, t(spec.admins_only_notice))
    if seen.state != RequestState.PENDING:
        return await _current(services, actor, spec, public_id, _decided(t, public_id, seen.state))
    if version != seen.version:
        return await _current(services, actor, spec, public_id, t("approval.stale", request_id=public_id))
    plan = await spec.plan_for(services, actor, choice, data, seen)
    if isinstance(plan, str):
        return await _current(services, actor, spec, public_id, plan)
    steps, reason = plan
    for_whom = standing.on_behalf_of
    delegated = {"on_behalf_of": for_whom.id, "on_behalf_of_name": for_whom.name} if for_whom else {}
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id, for_update=True)
        assert request is not None  # requests are never deleted
        request.plan = dump_plan(steps)
        try:
            new_state = next_state(request.state, RequestEvent.APPROVE)
            await uow.requests.transition(request, new_state.value, expected_version=version, now=services.clock())
        except (StaleVersion, InvalidTransition):
            await uow.rollback()
            async with services.uow() as again:
                current = await again.requests.get_by_public_id(public_id)
            state = current.state if current is not None else seen.state
            return await _current(services, actor, spec, public_id, _decided(t, public_id, state))
        await uow.decisions.add(request_id=request.id, approver_id=actor.user_id, approver_name=actor.name,
                                outcome="approved", reason=reason, at=services.clock(),
                                on_behalf_of_id=for_whom.id if for_whom else None,
                                on_behalf_of_name=for_whom.name if for_whom else None)
        await uow.jobs.enqueue(request.id, EXECUTE_JOB)
        await record_transition(uow, request, new_state.value, actor, reason=reason, choice=choice.value,
                                **delegated)
        await uow.commit()
        view = await request_view(services, uow, request)
    services.wake_jobs()
    logger.info("%s %s: %s by %s", spec.kind, public_id, choice.value, actor.user_id)
    return Reply(card=spec.card(view, request, t, actor.user_id))


async def _as_admin(services: Services, actor: Actor, standing: access.Standing) -> bool:
    """An admin, or the delegate now of an approver who is one (their choice is the admin's, made for them)."""
    if standing.admin:
        return True
    principal = standing.on_behalf_of
    return principal is not None and await is_admin(services, Actor(principal.id, principal.name, actor.tenant_id))


def _decided(t: Translator, public_id: str, state: str) -> str:
    return t("approval.already_decided", request_id=public_id, state=t("request.state." + state))


async def _current(services: Services, actor: Actor, spec: DeskFiled, public_id: str, notice: str) -> Reply:
    """The request as it stands now, for this reader, with the notice saying why nothing changed."""
    t = actor_translator(actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        view = await request_view(services, uow, request)
    return Reply(text=notice, card=spec.card(view, request, t, actor.user_id, notice=notice))

"""Filing a request, for every kind: the validated draft, the one commit that stores it, and its job names."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cards.requests import status_card
from desk_logging import bind as bind_log_context
from handlers.asked_as import payload as asked_as_payload
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestEvent, RequestState, next_state
from handlers.request_views import request_view
from handlers.routing_policy import ADMINS, OWNERS
from handlers.services import Services
from handlers.stages import OWN, STAGES, Routed, new_records, record_approval_route, staff
from kinds.steps import Step, changes_person, dump_plan, plan_subjects
from storage.models import Request
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

DELIVER_JOB = "deliver"
EXECUTE_JOB = "execute"
# Stored in the outbox as "sync:<state>" since the first release; "sync" in code means the directory sync only.
CARD_UPDATE_JOB = "sync"
POLICY_APPROVER_ID = "desk:policy"
POLICY_APPROVER_NAME = "M365 Desk"


def card_update_job(state: str) -> str:
    """One card-update job per state a request reaches, so each transition is announced exactly once."""
    return f"{CARD_UPDATE_JOB}:{state}"


async def record_transition(uow: UnitOfWork, request: Request, state: str, actor: Actor, **detail: Any) -> None:
    """In the transaction that moved ``request`` to ``state``: its card-update job and its audit entry by ``actor``."""
    await uow.jobs.enqueue(request.id, card_update_job(state))
    await uow.audit.append(
        action=f"request.{state}",
        request_id=request.id,
        actor_id=actor.user_id,
        actor_name=actor.name,
        detail={"public_id": request.public_id, "version": request.version, **detail},
    )


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated request, ready to store: what it changes (typed plan steps) and who may approve it."""

    kind: str
    target_id: str
    target_label: str
    payload: dict[str, Any]
    plan: tuple[Step, ...]
    approver_ids: list[str]
    approver_names: list[str]
    facts: list[tuple[str, str]]  # extra lines for approvers: (label message key, value)


async def submit(services: Services, actor: Actor, draft: Draft, *, auto_approve: str | None = None) -> Reply:
    """Stores the request with its first audit event and the job that delivers approval cards, in one commit.

    The due time is fixed here, from the routing policy's SLA target for the kind in business time, so later
    changes to the calendar or the policy never move a promise already made.

    ``auto_approve`` names the routing rule (F14) that lets this request through without a person, as a message
    key such as "policy.leave_list": when the routing policy has that rule in force for the kind, the request is
    approved by the desk in the same commit, with the rule as the decision's reason, and its execution is queued
    instead of approval cards; a rule switched off routes the request to people like any other.

    Otherwise the request goes to the first stage of the kind's routing policy that has anybody to decide it
    (handlers.stages): the draft's approvers are the kind's own route, the policy's "owners" stage. The people the
    request changes and its requester are never among its approvers; if that leaves nobody, nothing is stored.
    """
    t = actor_translator(actor)
    services.kinds.kind(draft.kind)  # a kind the registry does not know is a programming error: fail before storing
    policy = services.routing.for_kind(draft.kind)
    rule = auto_approve if auto_approve in policy.auto_approve else None
    records = new_records(policy.stages)
    own = Routed(list(draft.approver_ids), list(draft.approver_names), draft.payload.get("route", OWNERS))
    staffed = None
    if rule is None:
        staffed = await staff(
            services, records, 0, kind_id=draft.kind, requester_id=actor.user_id, plan=draft.plan, own=own
        )
        if staffed is None:
            return Reply(text=t("authority.no_approvers"))
        draft = replace(draft, approver_ids=staffed.routed.ids, approver_names=staffed.routed.names)
        record_approval_route(records, staffed)
    else:
        draft = _without_subjects(draft)
    now = services.clock()
    # In UTC like every stored time (the calculator answers in the calendar's zone).
    due_at = services.calendar.add_business_time(now, services.calendar.business_days(policy.sla_days))
    due_at = due_at.astimezone(UTC)
    plan = dump_plan(draft.plan)
    payload = {
        **draft.payload,
        "approver_names": draft.approver_names,
        "facts": draft.facts,
        **asked_as_payload(),
        STAGES: records,
    }
    if staffed is not None:
        payload.update(route=staffed.routed.route, stage=staffed.index)
    if len(records) > 1:
        payload[OWN] = {"ids": own.ids, "names": own.names, "route": own.route}  # for a later "owners" stage
    async with services.uow() as uow:
        request = Request(
            kind=draft.kind,
            requester_id=actor.user_id,
            requester_name=actor.name,
            target_id=draft.target_id,
            target_label=draft.target_label,
            payload=payload,
            plan=plan,
            approver_ids=draft.approver_ids,
            state=RequestState.PENDING.value,
            version=1,
            locale=actor.locale,
            created_at=now,
            updated_at=now,
            due_at=due_at,
            stage=staffed.index if staffed else 0,
            policy_digest=services.routing.digest,
        )
        await uow.requests.add(request)
        await uow.requests.add_subjects(request, plan_subjects(draft.plan))
        detail: dict[str, Any] = {
            "public_id": request.public_id,
            "kind": draft.kind,
            "plan": plan,
            "approvers": draft.approver_ids,
            "due_at": due_at.isoformat(),
            "sla_business_days": policy.sla_days,
            "policy_digest": services.routing.digest,
            "stages": [record["who"] for record in records],
        }
        if staffed is not None:
            detail.update(stage=staffed.index + 1, route=staffed.routed.route)
            if staffed.skipped:
                detail["skipped_stages"] = [index + 1 for index in staffed.skipped]  # nobody to decide them
            if staffed.fallback:
                detail["fallback"] = ADMINS  # no stage had anybody: the admins decide
        if auto_approve and rule is None:
            detail["rule_off"] = auto_approve  # the kind's rule would have approved it; the policy has it off
        await uow.audit.append(
            action="request.submitted",
            request_id=request.id,
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail=detail,
        )
        if rule:
            await _approve_by_policy(uow, request, t(rule), rule, now)
        else:
            await uow.jobs.enqueue(request.id, DELIVER_JOB)
        await uow.commit()
        view = await request_view(services, uow, request)
    services.wake_jobs()
    bind_log_context(req_id=request.public_id)
    logger.info("request %s submitted", request.public_id, extra={"request_id": request.public_id})
    if rule:
        notice = t("request.auto_approved", request_id=request.public_id, rule=t(rule))
    else:
        notice = t("request.submitted", request_id=request.public_id, approvers=", ".join(draft.approver_names))
    return Reply(text=notice, card=status_card(view, t), status_card_of=request.id)


def _without_subjects(draft: Draft) -> Draft:
    """The person a request is for never approves it: routing may have named them (an admin whose manager asked
    for her license, an owner added to their own list), so they are dropped here, for every kind."""
    ids = [approver for approver in draft.approver_ids if not changes_person(draft.plan, approver)]
    if len(ids) == len(draft.approver_ids):
        return draft
    names = draft.approver_names
    if len(names) == len(draft.approver_ids):  # resolve_approvers' names go with its ids, one for one
        names = [name for approver, name in zip(draft.approver_ids, names, strict=True) if approver in ids]
    return replace(draft, approver_ids=ids, approver_names=names)


async def _approve_by_policy(uow: UnitOfWork, request: Request, reason: str, rule: str, now: datetime) -> None:
    """The desk approves in the requester's words; the audit keeps the rule's stable key."""
    await uow.requests.transition(request, next_state(request.state, RequestEvent.APPROVE).value, now=now)
    await uow.decisions.add(
        request_id=request.id,
        approver_id=POLICY_APPROVER_ID,
        approver_name=POLICY_APPROVER_NAME,
        outcome="approved",
        reason=reason,
        at=now,
    )
    await uow.audit.append(
        action="request.approved",
        request_id=request.id,
        actor_id=POLICY_APPROVER_ID,
        actor_name=POLICY_APPROVER_NAME,
        detail={"public_id": request.public_id, "version": request.version, "policy": rule},
    )
    # No approval cards and no "approved" message: the requester hears once, when the change is done.
    await uow.jobs.enqueue(request.id, EXECUTE_JOB)


async def find_open(uow: UnitOfWork, *, kind: str, requester_id: str, target_id: str, key: str) -> Request | None:
    """A request of the same kind and target still in flight — the desk refuses to file it twice."""
    for request in await uow.requests.list_for_requester(requester_id, limit=200):
        if (
            request.kind == kind
            and request.target_id == target_id
            and request.payload.get("key") == key
            and not RequestState(request.state).is_final
        ):
            return request
    return None

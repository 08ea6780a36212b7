"""The request lifecycle shared by every kind: submit, look up, render, and remember where its cards are."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cards.i18n import Translator
from cards.my_requests import my_requests_card
from cards.requests import approval_card, status_card
from cards.views import DecisionView, MyRequestsView, RequestSummaryView, RequestView, StepView
from desk_logging import bind as bind_log_context
from handlers.context import Actor, Reply, SentActivity, actor_translator
from handlers.lifecycle import RequestEvent, RequestState, next_state
from handlers.services import Services, utc_now
from storage.models import Decision, Request
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

DELIVER_JOB = "deliver"
EXECUTE_JOB = "execute"


def sync_job(state: str) -> str:
    """One card-sync job per state a request reaches, so each transition is announced exactly once."""
    return f"sync:{state}"


async def record_transition(uow: UnitOfWork, request: Request, state: str, actor: Actor, **detail: Any) -> None:
    """In the transaction that moved ``request`` to ``state``: its card-sync job and its audit entry by ``actor``."""
    await uow.jobs.enqueue(request.id, sync_job(state))
    await uow.audit.append(
        action=f"request.{state}",
        request_id=request.id,
        actor_id=actor.user_id,
        actor_name=actor.name,
        detail={"public_id": request.public_id, "version": request.version, **detail},
    )


@dataclass(frozen=True, slots=True)
class Draft:
    """A validated request, ready to store: what it changes (plan) and who may approve it."""

    kind: str
    target_id: str
    target_label: str
    payload: dict[str, Any]
    plan: list[dict[str, Any]]
    approver_ids: list[str]
    approver_names: list[str]
    facts: list[tuple[str, str]]  # extra lines for approvers: (label message key, value)


POLICY_APPROVER_ID = "desk:policy"
POLICY_APPROVER_NAME = "M365 Desk"


async def submit(services: Services, actor: Actor, draft: Draft, *, auto_approve: str | None = None) -> Reply:
    """Stores the request with its first audit event and the job that delivers approval cards, in one commit.

    The due time is fixed here, from the kind's SLA target in business time, so later changes to the calendar
    or the targets never move a promise already made.

    ``auto_approve`` names the routing rule (F14) that lets this request through without a person, as a message
    key such as "policy.leave_list": the request is approved by the desk in the same commit, with the rule as the
    decision's reason, and its execution is queued instead of approval cards.

    The people the request changes are never among its approvers; if that leaves nobody, nothing is stored.
    """
    t = actor_translator(actor)
    routed = draft
    draft = _without_subjects(draft)
    if routed.approver_ids and not draft.approver_ids and not auto_approve:
        return Reply(text=t("authority.no_approvers"))
    now = services.clock()
    # In UTC like every stored time (the calculator answers in the calendar's zone).
    due_at = services.sla.due_at(draft.kind, now, services.calendar).astimezone(UTC)
    async with services.uow() as uow:
        request = Request(
            kind=draft.kind,
            requester_id=actor.user_id,
            requester_name=actor.name,
            target_id=draft.target_id,
            target_label=draft.target_label,
            payload={**draft.payload, "approver_names": draft.approver_names, "facts": draft.facts},
            plan=draft.plan,
            approver_ids=draft.approver_ids,
            state=RequestState.PENDING.value,
            version=1,
            locale=actor.locale,
            created_at=now,
            updated_at=now,
            due_at=due_at,
        )
        await uow.requests.add(request)
        await uow.requests.add_subjects(request, plan_subjects(draft.plan))
        await uow.audit.append(
            action="request.submitted",
            request_id=request.id,
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail={
                "public_id": request.public_id,
                "kind": draft.kind,
                "plan": draft.plan,
                "approvers": draft.approver_ids,
                "due_at": due_at.isoformat(),
                "sla_business_days": services.sla.days_for(draft.kind),
            },
        )
        if auto_approve:
            await _approve_by_policy(uow, request, t(auto_approve), auto_approve, now)
        else:
            await uow.jobs.enqueue(request.id, DELIVER_JOB)
        await uow.commit()
        view = await request_view(uow, request, now=now)
    services.wake_jobs()
    bind_log_context(req_id=request.public_id)
    logger.info("request %s submitted", request.public_id, extra={"request_id": request.public_id})
    if auto_approve:
        notice = t("request.auto_approved", request_id=request.public_id, rule=t(auto_approve))
    else:
        notice = t("request.submitted", request_id=request.public_id, approvers=", ".join(draft.approver_names))
    return Reply(text=notice, card=status_card(view, t), request_id=request.id)


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


async def request_view(uow: UnitOfWork, request: Request, *, now: datetime | None = None) -> RequestView:
    """The request as cards show it; pass `now` from the desk's clock (services.clock()), real time otherwise."""
    decisions = await uow.decisions.for_request(request.id)
    return build_view(request, decisions[-1] if decisions else None, now=now or utc_now())


def build_view(request: Request, decision: Decision | None, *, now: datetime) -> RequestView:
    """`now` decides whether a request still open is past its due time."""
    statuses = {item["index"]: item["status"] for item in (request.result or {}).get("steps", [])}
    steps = tuple(
        StepView(message_key=f"step.{step['op']}", params=step_params(step), status=statuses.get(index))
        for index, step in enumerate(request.plan)
    )
    return RequestView(
        request_id=request.public_id,
        version=request.version,
        kind=request.kind,
        state=request.state,
        requester_name=request.requester_name,
        target_label=request.target_label,
        created_at=request.created_at,
        steps=steps,
        approver_names=tuple(request.payload.get("approver_names", ())),
        decision=(
            DecisionView(
                outcome=decision.outcome,
                approver_name=decision.approver_name,
                decided_at=decision.created_at,
                reason=decision.reason,
            )
            if decision
            else None
        ),
        facts=tuple((label, value) for label, value in request.payload.get("facts", ())),
        error=request.error,
        due_at=request.due_at,
        breached=is_breached(request, now),
    )


def is_breached(request: Request, now: datetime) -> bool:
    """Finished after its due time, or still open and past it; requests without a due time never are.

    A request that ended without running (rejected, cancelled, expired) has no completed_at: its clock stopped at
    the decision, else the last update — the same rule as the SLA report (storage.queries.sla_counts).
    """
    if request.due_at is None:
        return False
    if RequestState(request.state).is_final:
        stopped = request.completed_at or request.decided_at or request.updated_at
        return stopped > request.due_at
    return now > request.due_at


def plan_subjects(plan: list[dict[str, Any]]) -> set[str]:
    """The people a plan changes: every step names them by ``user_id`` (licenses, groups, mailbox access) or
    ``member_id`` (list members)."""
    return {str(step[key]) for step in plan for key in ("user_id", "member_id") if step.get(key)}


def changes_person(plan: list[dict[str, Any]], user_id: str) -> bool:
    """Whether the plan changes this person (ids compared as Entra compares them, without case)."""
    return user_id.casefold() in {subject.casefold() for subject in plan_subjects(plan)}


def step_params(step: dict[str, Any]) -> dict[str, str]:
    """The words a step's message needs; every plan step carries its own human labels."""
    # change, seats: seat orders; address: list creation and deletion; mailbox, access, until: shared mailboxes
    names = ("user", "country", "plan", "list", "member", "member_name", "change", "seats", "address", "mailbox",
             "access", "until")
    return {name: str(step[name]) for name in names if name in step}


def approver_card_for(
    view: RequestView, request: Request, reader_id: str, t: Translator, notice: str | None = None
) -> dict[str, Any]:
    # Neither the requester nor a person the request changes decides it (handlers.access re-checks every click).
    can_decide = (
        reader_id in request.approver_ids
        and reader_id != request.requester_id
        and not changes_person(request.plan, reader_id)
    )
    return approval_card(view, t, can_decide=can_decide, notice=notice)


async def my_requests(services: Services, actor: Actor) -> Reply:
    """The person's own requests, and those others filed that change them (a manager's, an owner's, the desk's)."""
    async with services.uow() as uow:
        mine = await uow.requests.list_for_requester(actor.user_id, limit=20)
        about = await uow.requests.list_about(actor.user_id, limit=10)
    t = actor_translator(actor)
    view = MyRequestsView(items=tuple(_summary(r) for r in mine), about_me=tuple(_summary(r) for r in about))
    return Reply(card=my_requests_card(view, t))


def _summary(request: Request) -> RequestSummaryView:
    return RequestSummaryView(
        request_id=request.public_id,
        kind=request.kind,
        state=request.state,
        target_label=request.target_label,
        created_at=request.created_at,
        requested_by=request.requester_name,
    )


async def remember_card(services: Services, request_id: int, recipient_id: str, role: str, sent: SentActivity) -> None:
    async with services.uow() as uow:
        await uow.cards.add(
            request_id=request_id,
            recipient_id=recipient_id,
            role=role,
            conversation_id=sent.conversation_id,
            service_url=sent.service_url,
            activity_id=sent.activity_id,
        )
        await uow.commit()

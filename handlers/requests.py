"""The request lifecycle shared by every kind: submit, look up, render, and remember where its cards are."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cards.i18n import Translator
from cards.my_requests import my_requests_card
from cards.requests import approval_card, status_card
from cards.views import DecisionView, MyRequestsView, RequestSummaryView, RequestView, StepView
from handlers.context import Actor, Reply, SentActivity, actor_translator
from handlers.lifecycle import RequestState
from handlers.services import Services, utc_now
from storage.models import Decision, Request
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

DELIVER_JOB = "deliver"
EXECUTE_JOB = "execute"


def sync_job(state: str) -> str:
    """One card-sync job per state a request reaches, so each transition is announced exactly once."""
    return f"sync:{state}"


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


async def submit(services: Services, actor: Actor, draft: Draft) -> Reply:
    """Stores the request with its first audit event and the job that delivers approval cards, in one commit.

    The due time is fixed here, from the kind's SLA target in business time, so later changes to the calendar
    or the targets never move a promise already made.
    """
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
        await uow.jobs.enqueue(request.id, DELIVER_JOB)
        await uow.commit()
        view = await request_view(uow, request, now=now)
    services.wake_jobs()
    logger.info("request %s submitted", request.public_id, extra={"request_id": request.public_id})
    t = actor_translator(actor)
    notice = t("request.submitted", request_id=request.public_id, approvers=", ".join(draft.approver_names))
    return Reply(text=notice, card=status_card(view, t), request_id=request.id)


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


def step_params(step: dict[str, Any]) -> dict[str, str]:
    """The words a step's message needs; every plan step carries its own human labels."""
    names = ("user", "country", "plan", "list", "member", "change", "seats")  # change, seats: seat orders
    return {name: str(step[name]) for name in names if name in step}


def approver_card_for(
    view: RequestView, request: Request, reader_id: str, t: Translator, notice: str | None = None
) -> dict[str, Any]:
    can_decide = reader_id in request.approver_ids and reader_id != request.requester_id
    return approval_card(view, t, can_decide=can_decide, notice=notice)


async def my_requests(services: Services, actor: Actor) -> Reply:
    async with services.uow() as uow:
        requests = await uow.requests.list_for_requester(actor.user_id, limit=20)
    t = actor_translator(actor)
    items = tuple(
        RequestSummaryView(
            request_id=r.public_id, kind=r.kind, state=r.state, target_label=r.target_label, created_at=r.created_at
        )
        for r in requests
    )
    return Reply(card=my_requests_card(MyRequestsView(items=items), t))


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

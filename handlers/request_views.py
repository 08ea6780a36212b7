"""A stored request as cards show it: its view (typed plan steps, decision, SLA), and the approver's card."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from cards.i18n import Translator
from cards.requests import approval_card
from cards.views import DecisionView, RequestView, StepView
from handlers.lifecycle import RequestState
from handlers.services import Services
from handlers.stages import at_last_stage, deciders, stage_view
from kinds.steps import Step, plan_subjects
from storage.models import Decision, Request
from storage.uow import UnitOfWork


async def request_view(services: Services, uow: UnitOfWork, request: Request) -> RequestView:
    """The request as cards show it, at the desk's clock (which decides whether it is past its due time)."""
    decisions = await uow.decisions.for_request(request.id)
    steps = services.kinds.steps.load_plan(request.plan)
    view = build_view(request, decisions[-1] if decisions else None, steps, now=services.clock())
    # Edit-and-approve (F13) is offered on the card of a kind that says how its requests are edited.
    return replace(view, editable=services.kinds.kind(request.kind).editor is not None)


def build_view(request: Request, decision: Decision | None, steps: tuple[Step, ...], *, now: datetime) -> RequestView:
    """`now` decides whether a request still open is past its due time."""
    statuses = {item["index"]: item["status"] for item in (request.result or {}).get("steps", [])}
    return RequestView(
        request_id=request.public_id,
        version=request.version,
        kind=request.kind,
        state=request.state,
        requester_name=request.requester_name,
        target_label=request.target_label,
        created_at=request.created_at,
        steps=tuple(
            StepView(message_key=f"step.{step.op}", params=step.params(), status=statuses.get(index))
            for index, step in enumerate(steps)
        ),
        approver_names=tuple(request.payload.get("approver_names", ())),
        decision=(
            DecisionView(
                outcome=decision.outcome,
                approver_name=decision.approver_name,
                decided_at=decision.created_at,
                reason=decision.reason,
                on_behalf_of_name=decision.on_behalf_of_name,
            )
            if decision
            else None
        ),
        stage=stage_view(request),
        facts=tuple((label, value) for label, value in request.payload.get("facts", ())),
        error=request.error,
        due_at=request.due_at,
        breached=is_breached(request, now),
        subjects=frozenset(subject.casefold() for subject in plan_subjects(steps)),
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


def approver_card_for(
    view: RequestView,
    request: Request,
    reader_id: str,
    t: Translator,
    notice: str | None = None,
    *,
    admin: bool = False,
) -> dict[str, Any]:
    """``admin``: the reader is in the admins group now, so may decide any request (the queue's Open button)."""
    # Neither the requester nor a person the request changes decides it (handlers.access re-checks every click).
    # An admin decides unasked only at the last stage; nobody approves two stages of one request (F14).
    can_decide = (
        ((admin and at_last_stage(request)) or reader_id in request.approver_ids)
        and reader_id != request.requester_id
        and reader_id.casefold() not in view.subjects
        and reader_id not in deciders(request)
    )
    return approval_card(view, t, can_decide=can_decide, notice=notice)

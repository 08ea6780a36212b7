"""One request's timeline (F21), "show REQ-…": every audit event of it with who and when (in the reader's zone),
decision reasons, plan steps and their outcomes, and the card copies the desk sent.

Readable by the people involved in the request (its requester, the people it changes, its entitled approvers,
admins: handlers.access.find); anyone else gets the one refusal that says nothing, audited like a refused click.
Refused clicks by others are admins' business: the people involved do not see who else tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cards.i18n import Translator
from cards.queue import CardCopyLine, TimelineEvent, TimelineLine, TimelineView, timeline_card
from handlers import access
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestState
from handlers.request_views import is_breached
from handlers.services import Services
from kinds.queue.commands import ShowTimeline
from kinds.steps import Step
from storage.models import AuditEvent, CardCopy, Request
from storage.uow import UnitOfWork

# The verb a refused look at a timeline is audited with (handlers.access.record_refusal).
TIMELINE_VERB = "request.timeline"
_STEP_ACTIONS = {"step.done": "done", "step.already_done": "already_done", "step.failed": "failed"}
_UNREACHABLE = {
    "approver.unreachable": "approver_id",
    "requester.unreachable": "requester_id",
    "fulfiller.unreachable": "fulfiller_id",
}
_STATES = frozenset(state.value for state in RequestState)
_LONGEST_TEXT = 500  # characters of a stored error or reason shown (the card is not the place for a stack dump)


async def show_timeline(services: Services, actor: Actor, command: ShowTimeline) -> Reply:
    found = await access.find(services, actor, command.request_id, TIMELINE_VERB)
    if isinstance(found, Reply):
        return found
    request, standing = found
    async with services.uow() as uow:
        events = await uow.audit.for_request(request.id)
        copies = await uow.cards.for_request(request.id)
        names = await _names(uow, request, _people_named(events, copies))
    t = actor_translator(actor)
    plan = services.kinds.steps.load_plan(request.plan)
    shown = [event for event in events if standing.admin or event.action != access.REFUSED_ACTION]
    view = TimelineView(
        request_id=request.public_id,
        kind=request.kind,
        state=request.state,
        requester_name=request.requester_name,
        target_label=request.target_label,
        created_at=request.created_at,
        due_at=request.due_at,
        breached=is_breached(request, services.clock()),
        approver_names=tuple(request.payload.get("approver_names", ())),
        events=tuple(timeline_event(event, plan, names, t) for event in shown),
        copies=tuple(
            CardCopyLine(role=copy.role, recipient=names.get(copy.recipient_id, copy.recipient_id),
                         sent_at=copy.created_at)
            for copy in copies
        ),
    )
    return Reply(card=timeline_card(view, t))


def timeline_event(
    event: AuditEvent, plan: tuple[Step, ...], names: Mapping[str, str], t: Translator
) -> TimelineEvent:
    """What one audit event says, in the reader's words; an action this desk does not describe shows its code."""
    detail: Mapping[str, Any] = event.detail or {}
    lines: list[TimelineLine] = []
    params: dict[str, object] = {}
    attention = False
    action = event.action
    if action in _STEP_ACTIONS:
        key = "queue.event.step"
        outcome = _STEP_ACTIONS[action]
        index = detail.get("index")
        step = plan[index] if isinstance(index, int) and 0 <= index < len(plan) else None
        params = {
            "step": t(f"step.{step.op}", **step.params()) if step is not None else str(index),
            "outcome": t("step.status." + outcome),
        }
        attention = outcome == "failed"
    elif action in _UNREACHABLE:
        key = "queue.event.unreachable"
        person = str(detail.get(_UNREACHABLE[action], ""))
        params = {"name": names.get(person, person)}
        attention = True
    elif action == access.REFUSED_ACTION:
        key = "queue.event.refused"
        lines.append(TimelineLine("queue.line.refused", {"verb": str(detail.get("verb", "")),
                                                         "reason": str(detail.get("reason", ""))}))
        attention = True
    elif action == "request.submitted":
        key = "queue.event.submitted"
    elif action == "request.edited":
        # Edit-and-approve (F13): each changed field as it was filed and as the approver left it.
        key = "editing.event.edited"
        lines += [TimelineLine("editing.change", {"field": t(str(item.get("field", ""))),
                                                  "before": str(item.get("before") or "—"),
                                                  "after": str(item.get("after") or "—")})
                  for item in detail.get("diff", ()) if isinstance(item, Mapping)]
    elif action == "request.fulfilled":
        key = "queue.event.fulfilled"
    elif action.startswith("request.") and action.removeprefix("request.") in _STATES:
        state = action.removeprefix("request.")
        key = "queue.event.state"
        params = {"state": t("request.state." + state)}
        attention = state in (RequestState.FAILED.value, RequestState.REJECTED.value)
    else:
        key = "queue.event.other"
        params = {"action": action}
    if isinstance(detail.get("attempt"), int):
        lines.append(TimelineLine("queue.line.attempt", {"attempt": detail["attempt"]}))
    if detail.get("policy"):
        lines.append(TimelineLine("queue.line.policy", {"rule": t(str(detail["policy"]))}))
    elif detail.get("reason") and action != access.REFUSED_ACTION:
        lines.append(TimelineLine("queue.line.reason", {"reason": str(detail["reason"])[:_LONGEST_TEXT]}))
    if detail.get("error"):
        lines.append(TimelineLine("queue.line.error", {"error": str(detail["error"])[:_LONGEST_TEXT]}))
    return TimelineEvent(
        at=event.created_at,
        key=key,
        actor=event.actor_name or "",
        params=params,
        lines=tuple(lines),
        attention=attention,
    )


def _people_named(events: Iterable[AuditEvent], copies: Iterable[CardCopy]) -> set[str]:
    ids = {copy.recipient_id for copy in copies}
    for event in events:
        field = _UNREACHABLE.get(event.action)
        if field and isinstance((event.detail or {}).get(field), str):
            ids.add(event.detail[field])
    return ids


async def _names(uow: UnitOfWork, request: Request, ids: set[str]) -> dict[str, str]:
    """Display names for the people a timeline names by id: the request's own record first (the names it was
    filed and routed with), then the directory cache; an id nobody knows is shown as it is."""
    names = {request.requester_id: request.requester_name}
    approver_names = list(request.payload.get("approver_names", ()))
    if len(approver_names) == len(request.approver_ids):  # resolve_approvers keeps them one for one
        names.update(zip(request.approver_ids, approver_names, strict=True))
    for user_id in sorted(ids - names.keys()):
        cached = await uow.user_cache.get_user(user_id)
        if cached is not None:
            names[user_id] = cached.display_name
    return names

"""The queue's cards (F19, F21): the page of waiting requests with an Open button on each and page buttons, with open
incidents in a section of their own (F18: by priority, then age), one request's timeline (events, decisions, steps,
card copies) and one incident's (its steps and notes), with the view models they render."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.incidents import category_name
from cards.incidents import state_name as incident_state_name
from cards.verbs import Verb


@dataclass(frozen=True, slots=True)
class QueueItem:
    request_id: str
    kind: str
    state: str
    requester_name: str
    target_label: str
    approver_names: tuple[str, ...]
    created_at: datetime
    age_hours: int  # whole hours since it was filed, at the desk's clock
    due_at: datetime | None
    breached: bool


@dataclass(frozen=True, slots=True)
class QueueIncident:
    """An open incident as the queue lists it: ``due_at`` is its first-response due time until support answered,
    then its resolution's."""

    incident_id: str
    priority: str
    state: str
    category: str
    reporter_name: str
    summary: str  # the start of what the reporter wrote
    assignee_name: str | None
    support_level: int
    age_hours: int
    due_at: datetime
    responded: bool
    breached: bool


@dataclass(frozen=True, slots=True)
class QueueView:
    """One page of the queue. ``mine``: the reader's own queue ("pending for me"), not the admins' whole one;
    ``kind_label`` and ``approver_name`` say which filters made it ("" = none); ``page_data`` is what the page
    buttons carry besides the offset, so the next page is read again with the same filters."""

    items: tuple[QueueItem, ...]
    total: int
    offset: int
    page_size: int
    mine: bool
    kind_label: str = ""
    approver_name: str = ""
    page_data: dict[str, Any] = field(default_factory=dict)
    # Open incidents (admins' queue only): a section after the requests, or the whole card for "pending incidents"
    # (``incidents_only``, paged like the requests); ``incidents_total`` counts all of them, not only those shown.
    incidents: tuple[QueueIncident, ...] = ()
    incidents_total: int = 0
    incidents_only: bool = False


@dataclass(frozen=True, slots=True)
class TimelineLine:
    """A detail under an event: a message key and its parameters (a reason, a step and its outcome, an error)."""

    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: datetime
    key: str  # the message key saying what happened
    actor: str  # who did it; "" = the desk itself
    params: dict[str, object] = field(default_factory=dict)
    lines: tuple[TimelineLine, ...] = ()
    attention: bool = False  # a failure or refusal, shown in the attention colour


@dataclass(frozen=True, slots=True)
class CardCopyLine:
    role: str  # approver, requester, fulfiller …
    recipient: str
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class TimelineView:
    request_id: str
    kind: str
    state: str
    requester_name: str
    target_label: str
    created_at: datetime
    due_at: datetime | None
    breached: bool
    approver_names: tuple[str, ...]
    events: tuple[TimelineEvent, ...]
    copies: tuple[CardCopyLine, ...]


def queue_card(view: QueueView, t: Translator) -> Element:
    if view.incidents_only:
        return _incidents_card(view, t)
    heading = t("queue.title.mine") if view.mine else t("queue.title.all")
    body: list[Element] = [title(heading)]
    filters = []
    if view.kind_label:
        filters.append(t("queue.filter.kind", kind=view.kind_label))
    if view.approver_name:
        filters.append(t("queue.filter.approver", name=view.approver_name))
    if filters:
        body.append(text(" · ".join(filters), subtle=True))
    if not view.items:
        body.append(text(t("queue.empty.mine") if view.mine else t("queue.empty.all")))
        return card(body + _incident_section(view, t))
    last = view.offset + len(view.items)
    body.append(text(t("queue.count", count=view.total, first=view.offset + 1, last=last), subtle=True))
    here = {**view.page_data, "offset": view.offset}  # the way back from an opened request
    body += [_item(item, here, t) for item in view.items]
    body += _incident_section(view, t)
    actions: list[Element] = []
    if view.offset > 0:
        previous = max(view.offset - view.page_size, 0)
        actions.append(execute(t("queue.previous"), Verb.QUEUE_PAGE, {**view.page_data, "offset": previous}))
    if last < view.total:
        actions.append(execute(t("queue.next"), Verb.QUEUE_PAGE, {**view.page_data, "offset": last}))
    return card(body, actions)


def _item(item: QueueItem, page_data: dict[str, Any], t: Translator) -> Element:
    heading = f"**{item.request_id}** · {t('request.kind.' + item.kind)}"
    if item.state != "pending":
        heading += f" · {t('request.state.' + item.state)}"
    pairs = [
        (t("request.field.target"), item.target_label),
        (t("request.field.requester"), item.requester_name),
        (t("request.field.approvers"), ", ".join(item.approver_names) or "—"),
        (t("queue.field.age"), _age(item.age_hours, t)),
    ]
    if item.due_at is not None:
        due = t.datetime(item.due_at)
        pairs.append((t("request.field.due"), t("queue.breached", due=due) if item.breached else due))
    items: list[Element] = [
        text(heading, color="Attention" if item.breached else None),
        facts(pairs),
        {
            "type": "ActionSet",
            "actions": [execute(t("queue.open"), Verb.QUEUE_OPEN, {**page_data, "request_id": item.request_id})],
        },
    ]
    return {"type": "Container", "separator": True, "items": items}


def _incident_section(view: QueueView, t: Translator) -> list[Element]:
    """Open incidents under the requests: the first few, by priority then age, and how to see them all."""
    if not view.incidents:
        return []
    here = {**view.page_data, "offset": view.offset}
    body: list[Element] = [
        {**text(t("queue.incidents.title", count=view.incidents_total), weight="Bolder"), "separator": True,
         "spacing": "Large"},
    ]
    body += [_incident(item, here, t) for item in view.incidents]
    if view.incidents_total > len(view.incidents):
        body.append(text(t("queue.incidents.more", count=view.incidents_total - len(view.incidents),
                           example=t("queue.incidents.example")), subtle=True))
    return body


def _incidents_card(view: QueueView, t: Translator) -> Element:
    """ "pending incidents": every open incident, by priority then age, paged."""
    body: list[Element] = [title(t("queue.incidents.title", count=view.incidents_total))]
    if not view.incidents:
        body.append(text(t("queue.incidents.empty")))
        return card(body)
    last = view.offset + len(view.incidents)
    body.append(text(t("queue.incidents.count", count=view.incidents_total, first=view.offset + 1, last=last),
                     subtle=True))
    here = {**view.page_data, "offset": view.offset}
    body += [_incident(item, here, t) for item in view.incidents]
    actions: list[Element] = []
    if view.offset > 0:
        previous = max(view.offset - view.page_size, 0)
        actions.append(execute(t("queue.previous"), Verb.QUEUE_PAGE, {**view.page_data, "offset": previous}))
    if last < view.incidents_total:
        actions.append(execute(t("queue.next"), Verb.QUEUE_PAGE, {**view.page_data, "offset": last}))
    return card(body, actions)


def _incident(item: QueueIncident, page_data: dict[str, Any], t: Translator) -> Element:
    heading = (f"**{item.incident_id}** · {item.priority} · {category_name(item.category, t)} · "
               f"{incident_state_name(item.state, t)}")
    due = t.datetime(item.due_at)
    pairs = [
        (t("queue.incident.summary"), item.summary),
        (t("queue.incident.reporter"), item.reporter_name),
        (t("queue.incident.assignee"), item.assignee_name or t("queue.incident.unassigned")),
        (t("queue.incident.group"), t("queue.incident.group.second" if item.support_level == 2
                                      else "queue.incident.group.first")),
        (t("queue.field.age"), _age(item.age_hours, t)),
        (t("queue.incident.due.resolution" if item.responded else "queue.incident.due.response"),
         t("queue.breached", due=due) if item.breached else due),
    ]
    open_button = execute(t("queue.open"), Verb.QUEUE_OPEN, {**page_data, "request_id": item.incident_id})
    items: list[Element] = [
        text(heading, color="Attention" if item.breached else None),
        facts(pairs),
        {"type": "ActionSet", "actions": [open_button]},
    ]
    return {"type": "Container", "separator": True, "items": items}


def _age(hours: int, t: Translator) -> str:
    if hours < 48:
        return t("queue.age.hours", count=hours)
    return t("queue.age.days", count=hours // 24)


def timeline_card(view: TimelineView, t: Translator) -> Element:
    pairs = [
        (t("request.field.kind"), t("request.kind." + view.kind)),
        (t("request.field.requester"), view.requester_name),
        (t("request.field.target"), view.target_label),
        (t("request.field.created"), t.datetime(view.created_at)),
    ]
    if view.due_at is not None:
        due = t.datetime(view.due_at)
        pairs.append((t("request.field.due"), t("queue.breached", due=due) if view.breached else due))
    if view.approver_names:
        pairs.append((t("request.field.approvers"), ", ".join(view.approver_names)))
    pairs.append((t("request.field.state"), t("request.state." + view.state)))
    body: list[Element] = [
        title(t("queue.timeline.title", request_id=view.request_id)),
        facts(pairs),
        text(t("queue.timeline.events"), weight="Bolder"),
    ]
    body += [_event(event, t) for event in view.events]
    if view.copies:
        body.append(text(t("queue.timeline.copies"), weight="Bolder"))
        body.append(
            facts(
                [
                    (t(_ROLE_KEYS.get(copy.role, "queue.role.other"), role=copy.role),
                     f"{copy.recipient} · {t.datetime(copy.sent_at)}")
                    for copy in view.copies
                ]
            )
        )
    return card(body)


# The roles a card copy is stored under (handlers.delivery, kinds.seats) and their names.
_ROLE_KEYS = {
    "approver": "queue.role.approver",
    "requester": "queue.role.requester",
    "fulfiller": "queue.role.fulfiller",
}


def _event(event: TimelineEvent, t: Translator) -> Element:
    actor = event.actor or t("queue.actor.desk")
    items: list[Element] = [
        text(f"**{t(event.key, **event.params)}**", color="Attention" if event.attention else None),
        text(t("queue.event.by", name=actor, time=t.datetime(event.at)), subtle=True),
    ]
    items += [text(t(line.key, **line.params)) for line in event.lines]
    return {"type": "Container", "separator": True, "items": items}


@dataclass(frozen=True, slots=True)
class IncidentTimelineView:
    """One incident's timeline, "show INC-…": its facts and every step taken on it (TimelineEvent, oldest first)."""

    incident_id: str
    priority: str
    category: str
    state: str
    reporter_name: str
    assignee_name: str | None
    support_level: int
    text: str
    created_at: datetime
    first_response_due_at: datetime
    first_responded_at: datetime | None
    resolution_due_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    events: tuple[TimelineEvent, ...]
    now: datetime  # a due time not kept by now is shown past due


def incident_timeline_card(view: IncidentTimelineView, t: Translator) -> Element:
    pairs = [
        (t("queue.incident.category"), category_name(view.category, t)),
        (t("queue.incident.priority"), view.priority),
        (t("queue.incident.state"), incident_state_name(view.state, t)),
        (t("queue.incident.reporter"), view.reporter_name),
        (t("queue.incident.assignee"), view.assignee_name or t("queue.incident.unassigned")),
        (t("queue.incident.group"), t("queue.incident.group.second" if view.support_level == 2
                                      else "queue.incident.group.first")),
        (t("request.field.created"), t.datetime(view.created_at)),
        (t("queue.incident.due.response"), _met(view.first_response_due_at, view.first_responded_at, view.now, t)),
        (t("queue.incident.due.resolution"), _met(view.resolution_due_at, view.resolved_at, view.now, t)),
    ]
    if view.closed_at is not None:
        pairs.append((t("queue.incident.closed"), t.datetime(view.closed_at)))
    body: list[Element] = [
        title(t("queue.incident.timeline.title", incident_id=view.incident_id)),
        facts(pairs),
        text(view.text),
        text(t("queue.timeline.events"), weight="Bolder"),
    ]
    body += [_event(event, t) for event in view.events]
    return card(body)


def _met(due: datetime, done: datetime | None, now: datetime, t: Translator) -> str:
    """A due time and whether it was kept: the due time (past due, once the clock passed it), "done … (on time)",
    "done … (late)"."""
    if done is None:
        return t("queue.breached", due=t.datetime(due)) if now > due else t.datetime(due)
    return t("queue.incident.on_time" if done <= due else "queue.incident.late", time=t.datetime(done),
             due=t.datetime(due))

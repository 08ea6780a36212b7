"""Incidents in the admins' desk (F18, F19): the queue's section of open incidents, the Open button on one of them,
and one incident's timeline ("show INC-…"), readable by its reporter, the support groups and admins only.

Who may read is asked of the directory at the moment of use (never of card data); anyone else gets the incidents'
one refusal that says nothing, whether the incident exists or not, audited like a refused click.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cards.elements import execute
from cards.i18n import Translator
from cards.incidents import category_name
from cards.queue import IncidentTimelineView, QueueIncident, TimelineEvent, TimelineLine, incident_timeline_card
from cards.verbs import Verb
from handlers.access import Why, record_refusal
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.incidents.actions import is_support, normalise_incident_id
from kinds.incidents.notify import REPORTER, card_for, view_of
from kinds.incidents.policy import FIRST_LEVEL, IncidentPolicy
from kinds.queue.commands import ShowIncidentTimeline
from storage.models_incidents import Incident, IncidentEvent
from storage.queue_queries import OpenIncident
from storage.repositories.incidents import SUPPORT

# The verb a refused look at an incident's timeline or a refused Open is audited with.
TIMELINE_VERB = "incident.timeline"
OPEN_VERB = "incident.open"
# The steps an incident's events record (kinds/incidents: "filed" and the state machine's steps).
_EVENTS = frozenset({"filed", "claim", "wait", "resolve", "escalate", "priority", "category", "comment", "reopen",
                     "confirm", "auto_close"})
_LONGEST_NOTE = 500  # characters of a note shown in the timeline
READER = "reader"  # may read an incident, not act on it (an admin, the other level's support)


def queue_incident(item: OpenIncident, now: datetime) -> QueueIncident:
    """The queue's line of an open incident: due is the first response's until support answered, then the
    resolution's; past it as soon as the desk's clock is."""
    responded = item.first_responded_at is not None
    due = item.resolution_due_at if responded else item.first_response_due_at
    return QueueIncident(
        incident_id=item.public_id,
        priority=item.priority,
        state=item.state,
        category=item.category,
        reporter_name=item.reporter_name,
        summary=item.text,
        assignee_name=item.assignee_name,
        support_level=item.support_level,
        age_hours=max(int((now - item.created_at).total_seconds() // 3600), 0),
        due_at=due,
        responded=responded,
        breached=now > due,
    )


class IncidentReaders:
    """Who may see an incident from the admins' desk: its reporter, the support groups (either level) and admins.
    ``policy``: the incidents' support groups (app.py builds it from settings, as for the incidents family)."""

    def __init__(self, policy: IncidentPolicy) -> None:
        self.policy = policy

    async def standing(self, services: Services, actor: Actor, incident: Incident) -> str | None:
        """SUPPORT for support of the incident's level (who act on its support card), READER for the other level's
        support and admins (who read its timeline), REPORTER for its reporter, else None."""
        if await is_support(services, self.policy, actor, incident.support_level):
            return SUPPORT
        # The first level's check asks both levels' groups (kinds.incidents.actions.is_support).
        if await is_support(services, self.policy, actor, FIRST_LEVEL) or await is_admin(services, actor):
            return READER
        if actor.user_id.casefold() == incident.reporter_id.casefold():
            return REPORTER
        return None

    async def find(self, services: Services, actor: Actor, public_id: str, verb: str) -> tuple[Incident, str] | Reply:
        """The incident and the actor's standing on it, or the refusal that says nothing (audited within the
        person's budget of audited refusals, as every refused click)."""
        t = actor_translator(actor)
        if services.refusals.over(actor.user_id):
            return Reply(text=t("incidents.refused"))
        reserved = True
        try:
            wanted = normalise_incident_id(public_id)
            incident = None
            if wanted is not None:
                async with services.uow() as uow:
                    incident = await uow.incidents.get_by_public_id(wanted)
            standing = await self.standing(services, actor, incident) if incident is not None else None
            if incident is not None and standing is not None:
                return incident, standing
            reserved = False
            why = Why.NOT_FOUND if incident is None else Why.NOT_INVOLVED
            await record_refusal(services, actor, verb, why, public_id=public_id, reserved=True)
            return Reply(text=t("incidents.refused"))
        finally:
            if reserved:
                services.refusals.release(actor.user_id)

    async def show_timeline(self, services: Services, actor: Actor, command: ShowIncidentTimeline) -> Reply:
        found = await self.find(services, actor, command.incident_id, TIMELINE_VERB)
        if isinstance(found, Reply):
            return found
        incident, standing = found
        return Reply(card=await self._timeline(services, incident, actor_translator(actor), standing))

    @staticmethod
    async def _timeline(services: Services, incident: Incident, t: Translator, standing: str) -> dict[str, Any]:
        async with services.uow() as uow:
            events = await uow.incidents.events(incident.id)
        view = IncidentTimelineView(
            incident_id=incident.public_id,
            priority=incident.priority,
            category=incident.category,
            state=incident.state,
            reporter_name=incident.reporter_name,
            assignee_name=incident.assignee_name,
            support_level=incident.support_level,
            text=incident.text,
            created_at=incident.created_at,
            first_response_due_at=incident.first_response_due_at,
            first_responded_at=incident.first_responded_at,
            resolution_due_at=incident.resolution_due_at,
            resolved_at=incident.resolved_at,
            closed_at=incident.closed_at,
            events=tuple(incident_event(event, t, support=standing != REPORTER) for event in events),
            now=services.clock(),
        )
        return incident_timeline_card(view, t)

    async def open_from_queue(self, services: Services, actor: Actor, incident_id: str,
                              back: Mapping[str, Any]) -> Reply:
        """An incident's Open button in the queue: the card of the actor's part in it (support's, with its buttons;
        the reporter's; a reader's timeline), and the way back to the page it was opened from."""
        found = await self.find(services, actor, incident_id, OPEN_VERB)
        if isinstance(found, Reply):
            return found
        incident, standing = found
        t = actor_translator(actor)
        if standing == READER:
            opened = await self._timeline(services, incident, t, standing)
        else:
            opened = card_for(standing, await view_of(services, incident), t)
        button = execute(t("queue.back"), Verb.QUEUE_PAGE, dict(back))
        return Reply(card={**opened, "actions": [*opened.get("actions", []), button]})


def incident_event(event: IncidentEvent, t: Translator, *, support: bool) -> TimelineEvent:
    """One step of an incident in the reader's words. An escalation's reason is support's own business: its reporter
    sees that it was escalated, not why."""
    action = event.action
    detail: Mapping[str, Any] = event.detail or {}
    key = f"queue.incident.event.{action}" if action in _EVENTS else "queue.event.other"
    lines: list[TimelineLine] = []
    if action == "priority" and detail.get("priority"):
        lines.append(TimelineLine("queue.incident.line.priority", {"priority": str(detail["priority"])}))
    if action == "category" and detail.get("category"):
        lines.append(TimelineLine("queue.incident.line.category",
                                  {"category": category_name(str(detail["category"]), t)}))
    if event.note and (support or action != "escalate"):
        lines.append(TimelineLine("queue.incident.line.note", {"note": event.note[:_LONGEST_NOTE]}))
    return TimelineEvent(
        at=event.created_at,
        key=key,
        actor=event.actor_name or "",
        params={} if action in _EVENTS else {"action": action},
        lines=tuple(lines),
        attention=action in ("escalate", "reopen"),
    )

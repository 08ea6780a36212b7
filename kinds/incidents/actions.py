"""Every click on an incident card (F18), re-checked on the server: who may (support of the incident's level, or its
reporter; identity from the activity), in which state (kinds/incidents/states.py) and on which version of the card;
the step stored with its event and audit entry in one transaction, then every copy of the card updated and the
reporter (or the assignee) told. Anyone else gets one refusal that says nothing about the incident."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cards.i18n import Translator
from cards.incidents import CATEGORIES, LEVELS, MAX_TEXT, state_name
from handlers.access import Why, record_refusal
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from kinds.card_data import bounded
from kinds.incidents.notify import REPORTER, card_for, mail_reporter, refresh_copies, reporter_translator, tell, view_of
from kinds.incidents.policy import FIRST_LEVEL, SECOND_LEVEL, IncidentPolicy, priority_of
from kinds.incidents.states import Refused, State, Step, next_state
from storage.errors import StaleVersion
from storage.models_incidents import Incident
from storage.repositories.incidents import SUPPORT
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

_INCIDENT_ID = re.compile(r"INC-\d{4}-\d{1,12}")
# Steps the reporter takes on their own card; every other step is support's.
REPORTER_STEPS = frozenset({Step.COMMENT, Step.CATEGORY, Step.REOPEN, Step.CONFIRM})
NOTE_REQUIRED = frozenset({Step.COMMENT, Step.WAIT, Step.ESCALATE, Step.RESOLVE})
# The reporter's e-mail (cards/mail.py) of a state support changed; the reporter's own steps are not mailed back.
MAILED = {Step.CLAIM: "incident.claimed", Step.WAIT: "incident.waiting", Step.ESCALATE: "incident.escalated",
          Step.RESOLVE: "incident.resolved"}


@dataclass(frozen=True, slots=True)
class IncidentClick:
    """A click on an incident card: which incident and the version the card showed, and the inputs of its form."""

    incident_id: str = bounded(40)
    version: int = 0
    note: str | None = bounded(MAX_TEXT * 2, optional=True)
    category: str | None = bounded(20, optional=True)
    impact: str | None = bounded(10, optional=True)
    urgency: str | None = bounded(10, optional=True)


def normalise_incident_id(value: str) -> str | None:
    candidate = value.strip().upper()
    return candidate if _INCIDENT_ID.fullmatch(candidate) else None


async def is_support(services: Services, policy: IncidentPolicy, actor: Actor, level: int) -> bool:
    """A member, now, of the group that supports at this level; the second level may also act at the first."""
    admins = services.policy.admins_group_id
    groups = [policy.group_of(level, admins)]
    if level == FIRST_LEVEL:
        groups.append(policy.group_of(SECOND_LEVEL, admins))
    for group_id in dict.fromkeys(groups):
        if group_id and await services.tenant.directory.is_member_of(actor.user_id, group_id):
            return True
    return False


class Actions:
    """The card verbs of incidents, each a step of the state machine."""

    def __init__(self, policy: IncidentPolicy) -> None:
        self.policy = policy

    # -- the verbs ---------------------------------------------------------------------------------------------

    async def claim(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.CLAIM)

    async def wait(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.WAIT)

    async def resolve(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.RESOLVE)

    async def escalate(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.ESCALATE)

    async def priority(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.PRIORITY)

    async def comment(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.COMMENT)

    async def category(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.CATEGORY)

    async def reopen(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.REOPEN)

    async def confirm(self, services: Services, actor: Actor, click: IncidentClick) -> Reply:
        return await self._act(services, actor, click, Step.CONFIRM)

    # -- one step ----------------------------------------------------------------------------------------------

    async def _act(self, services: Services, actor: Actor, click: IncidentClick, step: Step) -> Reply:
        t = actor_translator(actor)
        role = REPORTER if step in REPORTER_STEPS else SUPPORT
        found = await self._entitled(services, actor, click, step, role)
        if isinstance(found, Reply):
            return found
        problem = _input_problem(step, click, t)
        if problem is not None:
            return Reply(text=problem)
        now = services.clock()
        async with services.uow() as uow:
            incident = await uow.incidents.get_by_public_id(found.public_id, for_update=True)
            assert incident is not None  # incidents are never deleted
            unchanged = self._why_not(incident, click, step, t)
            before = incident.state
            if unchanged is None:
                values = self._values(services, incident, step, State(incident.state), actor, click, now)
                try:
                    await uow.incidents.step(incident, now=now, **values)
                except StaleVersion:
                    unchanged = str(t("incidents.stale"))
            if unchanged is None:
                await self._record(services, uow, incident, step, before, actor, click, now)
                await uow.commit()
        if unchanged is not None:
            # Nothing was written: leaving the block discarded the transaction (and its write lock on SQLite).
            return await self._as_it_is(services, incident, role, t, unchanged)
        await refresh_copies(services, incident)
        await self._tell(services, incident, step, actor, click)
        view = await view_of(services, incident)
        return Reply(card=card_for(role, view, t, notice=_done(step, t)))

    async def _entitled(self, services: Services, actor: Actor, click: IncidentClick, step: Step,
                        role: str) -> Incident | Reply:
        """The incident, when the actor may take this step's role on it now; else the audited refusal."""
        verb = f"incident.{step.value}"
        suppressed = services.refusals.over(actor.user_id)
        if suppressed:
            return Reply(text=actor_translator(actor)("incidents.refused"))
        holding = True
        try:
            wanted = normalise_incident_id(click.incident_id)
            incident = None
            if wanted is not None:
                async with services.uow() as uow:
                    incident = await uow.incidents.get_by_public_id(wanted)
            if incident is not None:
                if role == REPORTER:
                    allowed = actor.user_id.lower() == incident.reporter_id.lower()
                else:
                    allowed = await is_support(services, self.policy, actor, incident.support_level)
                if allowed:
                    holding = False
                    services.refusals.release(actor.user_id)
                    return incident
            why = Why.NOT_FOUND if incident is None else (
                Why.NOT_REQUESTER if role == REPORTER else Why.NOT_INVOLVED)
            holding = False
            await record_refusal(services, actor, verb, why, public_id=click.incident_id, reserved=True)
            return Reply(text=actor_translator(actor)("incidents.refused"))
        finally:
            if holding:
                services.refusals.release(actor.user_id)

    @staticmethod
    async def _record(services: Services, uow: UnitOfWork, incident: Incident, step: Step, before: str,
                      actor: Actor, click: IncidentClick, now: datetime) -> None:
        """The step's incident event, the reporter's e-mail when support changed the state, and the audit entry (last,
        as every audit append), in the step's transaction."""
        note = click.note if step in (*NOTE_REQUIRED, Step.REOPEN) else None
        detail: dict[str, Any] = {"from": before, "to": incident.state}
        if step == Step.PRIORITY:
            detail.update(impact=incident.impact, urgency=incident.urgency, priority=incident.priority)
        if step == Step.CATEGORY:
            detail["category"] = incident.category
        await uow.incidents.record(incident, action=step.value, actor_id=actor.user_id, actor_name=actor.name,
                                   now=now, note=note, detail=detail)
        template = MAILED.get(step)
        if template is not None and (incident.state != before or step == Step.CLAIM) \
                and actor.user_id != incident.reporter_id:
            await mail_reporter(services, uow, incident, template, name=actor.name, question=click.note or "",
                                note=click.note or "")
        await uow.audit.append(action=f"incident.{step.value}", actor_id=actor.user_id, actor_name=actor.name,
                               detail={"incident": incident.public_id, **detail})

    @staticmethod
    def _why_not(incident: Incident, click: IncidentClick, step: Step, t: Translator) -> str | None:
        """Why the step cannot be taken on the incident as it is now (the notice shown with it), or None."""
        if incident.version != click.version:
            return str(t("incidents.stale"))
        if step == Step.ESCALATE and incident.support_level != FIRST_LEVEL:
            return str(t("incidents.already_escalated"))
        try:
            next_state(step, State(incident.state))
        except Refused:
            return str(t("incidents.not_now", state=state_name(incident.state, t)))
        return None

    def _values(self, services: Services, incident: Incident, step: Step, current: State, actor: Actor,
                click: IncidentClick, now: datetime) -> dict[str, Any]:
        """The columns the step changes."""
        calendar = services.calendar
        target = next_state(step, current)
        values: dict[str, Any] = {"state": target.value}
        if incident.state == State.WAITING_FOR_USER and target != State.WAITING_FOR_USER \
                and incident.waiting_since is not None:
            # The resolution clock stood still while support waited for the reporter: its due time moves by that.
            paused = calendar.business_time_between(incident.waiting_since, now)
            values["resolution_due_at"] = calendar.add_business_time(incident.resolution_due_at, paused)
            values["waiting_since"] = None
        if step in (Step.CLAIM, Step.WAIT, Step.RESOLVE, Step.ESCALATE) and incident.first_responded_at is None:
            values["first_responded_at"] = now
        if step == Step.CLAIM or (step in (Step.WAIT, Step.RESOLVE) and incident.assignee_id is None):
            values.update(assignee_id=actor.user_id, assignee_name=actor.name)
        if step == Step.WAIT:
            values.update(waiting_since=now, question=click.note)
        elif step == Step.RESOLVE:
            values.update(resolved_at=now, resolution=click.note)
        elif step == Step.ESCALATE:
            values.update(support_level=SECOND_LEVEL, escalation_reason=click.note, assignee_id=None,
                          assignee_name=None)
        elif step == Step.REOPEN:
            values.update(resolved_at=None, resolution=None)
        elif step in (Step.CONFIRM, Step.AUTO_CLOSE):
            values["closed_at"] = now
        elif step == Step.CATEGORY:
            values["category"] = click.category
        elif step == Step.PRIORITY:
            impact, urgency = click.impact or incident.impact, click.urgency or incident.urgency
            priority = priority_of(impact, urgency)
            values.update(impact=impact, urgency=urgency, priority=priority)
            if priority != incident.priority:
                values.update(self._moved_due(services, incident, priority))
        return values

    def _moved_due(self, services: Services, incident: Incident, priority: str) -> dict[str, datetime]:
        """Due times counted again from filing with the new priority's targets, keeping any time the resolution
        clock stood still (waiting for the reporter)."""
        calendar = services.calendar
        old, new = (self.policy.due(p, incident.created_at, calendar) for p in (incident.priority, priority))
        paused = calendar.business_time_between(old.resolution, incident.resolution_due_at)
        if paused < timedelta(0):  # due earlier than its targets ever gave (an older policy): nothing to keep
            paused = timedelta(0)
        return {"first_response_due_at": new.first_response,
                "resolution_due_at": calendar.add_business_time(new.resolution, paused)}

    async def _as_it_is(self, services: Services, incident: Incident, role: str, t: Translator,
                        notice: str) -> Reply:
        """Nothing changed: the card as the incident stands now, saying why."""
        async with services.uow() as uow:
            current = await uow.incidents.get(incident.id)
        assert current is not None
        return Reply(card=card_for(role, await view_of(services, current), t, notice=notice))

    async def _tell(self, services: Services, incident: Incident, step: Step, actor: Actor,
                    click: IncidentClick) -> None:
        """The reporter hears of support's steps in their chat; the assignee of the reporter's."""
        if step in REPORTER_STEPS:
            if incident.assignee_id and incident.assignee_id != actor.user_id:
                async with services.uow() as uow:
                    ref = await uow.conversations.get(incident.assignee_id)
                t = Translator(ref.locale if ref else None)
                said = {
                    Step.COMMENT: t("incidents.told.comment", id=incident.public_id, name=actor.name,
                                    note=click.note or ""),
                    Step.REOPEN: t("incidents.told.reopen", id=incident.public_id, name=actor.name),
                    Step.CONFIRM: t("incidents.told.confirm", id=incident.public_id, name=actor.name),
                }
                if step in said:
                    await tell(services, incident.assignee_id, said[step])
            return
        if actor.user_id == incident.reporter_id:
            return
        t = await reporter_translator(services, incident)
        messages = {
            Step.CLAIM: t("incidents.told.claim", id=incident.public_id, name=actor.name),
            Step.WAIT: t("incidents.told.wait", id=incident.public_id, question=click.note or ""),
            Step.RESOLVE: t("incidents.told.resolve", id=incident.public_id, note=click.note or ""),
            Step.ESCALATE: t("incidents.told.escalate", id=incident.public_id),
            Step.PRIORITY: t("incidents.told.priority", id=incident.public_id, priority=incident.priority),
        }
        if step in messages:
            await tell(services, incident.reporter_id, messages[step])


def _input_problem(step: Step, click: IncidentClick, t: Translator) -> str | None:
    """A localized message when the click's inputs cannot be used (nothing is changed then), else None."""
    if step in NOTE_REQUIRED and not click.note:
        return str(t("incidents.note_missing"))
    if click.note is not None and len(click.note) > MAX_TEXT:
        return str(t("incidents.too_long", max=MAX_TEXT))
    if step == Step.CATEGORY and click.category not in CATEGORIES:
        return str(t("error.bad_card"))
    if step == Step.PRIORITY and (click.impact not in LEVELS or click.urgency not in LEVELS):
        return str(t("error.bad_card"))
    return None


def _done(step: Step, t: Translator) -> str:
    return {
        Step.CLAIM: t("incidents.done.claim"),
        Step.WAIT: t("incidents.done.wait"),
        Step.RESOLVE: t("incidents.done.resolve"),
        Step.ESCALATE: t("incidents.done.escalate"),
        Step.PRIORITY: t("incidents.done.priority"),
        Step.COMMENT: t("incidents.done.comment"),
        Step.CATEGORY: t("incidents.done.category"),
        Step.REOPEN: t("incidents.done.reopen"),
    }.get(step, t("incidents.done.confirm"))

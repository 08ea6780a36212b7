"""Filing an incident (F18): "report a problem: …" or the form, validated, stored with its INC id, priority, support
group and SLA due times in one transaction with its event and audit entry; then the reporter's card and the support
channel's card. And the admins' "support channel here|off" that says where the support channel is."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cards.incidents import CATEGORIES, LEVELS, MAX_TEXT, filed_card, report_form, reporter_card
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.card_data import bounded
from kinds.incidents.categories import suggest_category
from kinds.incidents.commands import ReportProblem, SupportChannelCommand, SupportChannelHere, SupportChannelOff
from kinds.incidents.notify import mail_reporter, post_to_support, send_reporter_card, view_of
from kinds.incidents.policy import FIRST_LEVEL, MEDIUM, IncidentPolicy, priority_of
from kinds.incidents.states import State
from m365.errors import M365Error
from storage.models_incidents import Incident

logger = logging.getLogger(__name__)

FILED = "incident.filed"  # the audit action
SUMMARY = 60  # characters of the description in the e-mail's subject


@dataclass(frozen=True, slots=True)
class ReportForm:
    """The submitted form: what happened, and the reporter's category, impact and urgency (checked again here)."""

    text: str | None = bounded(MAX_TEXT * 2, optional=True)
    category: str | None = bounded(20, optional=True)
    impact: str | None = bounded(10, optional=True)
    urgency: str | None = bounded(10, optional=True)


class Filing:
    """The reporter's side of filing, with the policy that sets priority, group and SLA."""

    def __init__(self, policy: IncidentPolicy) -> None:
        self.policy = policy

    async def report(self, services: Services, actor: Actor, command: ReportProblem) -> Reply:
        t = actor_translator(actor)
        if not command.text:
            return Reply(card=report_form(t))
        if len(command.text) > MAX_TEXT:
            return Reply(text=t("incidents.too_long", max=MAX_TEXT))
        return await self._file(services, actor, command.text, suggest_category(command.text), MEDIUM, MEDIUM,
                                from_form=False)

    async def submit(self, services: Services, actor: Actor, form: ReportForm) -> Reply:
        t = actor_translator(actor)
        if not form.text:
            return Reply(text=t("incidents.text_missing"))
        if len(form.text) > MAX_TEXT:
            return Reply(text=t("incidents.too_long", max=MAX_TEXT))
        if (form.category is not None and form.category not in CATEGORIES) or any(
                level is not None and level not in LEVELS for level in (form.impact, form.urgency)):
            return Reply(text=t("error.bad_card"))
        category = form.category or suggest_category(form.text)
        return await self._file(services, actor, form.text, category, form.impact or MEDIUM, form.urgency or MEDIUM,
                                from_form=True)

    async def _file(self, services: Services, actor: Actor, text: str, category: str, impact: str, urgency: str,
                    *, from_form: bool) -> Reply:
        t = actor_translator(actor)
        now = services.clock()
        priority = priority_of(impact, urgency)
        due = self.policy.due(priority, now, services.calendar)
        async with services.uow() as uow:
            incident = await uow.incidents.add(Incident(
                reporter_id=actor.user_id, reporter_name=actor.name, locale=actor.locale, text=text,
                category=category, impact=impact, urgency=urgency, priority=priority, support_level=FIRST_LEVEL,
                state=State.NEW.value, created_at=now, first_response_due_at=due.first_response,
                resolution_due_at=due.resolution,
            ))
            await uow.incidents.record(incident, action="filed", actor_id=actor.user_id, actor_name=actor.name,
                                       now=now, detail={"category": category, "priority": priority})
            await mail_reporter(services, uow, incident, "incident.filed", summary=text[:SUMMARY], priority=priority)
            await uow.audit.append(action=FILED, actor_id=actor.user_id, actor_name=actor.name, detail={
                "incident": incident.public_id, "category": category, "impact": impact, "urgency": urgency,
                "priority": priority, "state": incident.state,
            })
            await uow.commit()
        logger.info("incident %s filed (%s, %s)", incident.public_id, priority, category)
        await post_to_support(services, incident)
        try:
            sent = await send_reporter_card(services, incident)
        except M365Error:
            logger.warning("the reporter's card of %s was not sent", incident.public_id, exc_info=True)
            sent = False
        if from_form:
            return Reply(card=filed_card(incident.public_id, t))
        # The card went to the chat as a message of its own (remembered, so every step updates it); only when it could
        # not, it comes as this reply.
        return Reply() if sent else Reply(card=reporter_card(await view_of(services, incident), t))


async def handle_support_channel(services: Services, actor: Actor, command: SupportChannelCommand) -> Reply:
    """Admins, in a channel: new incidents' cards go to this channel (one support channel: this replaces another)."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("incidents.channel.admins_only"))
    channel = actor.channel
    if channel is None:
        return Reply(text=t("incidents.channel.channel_only"))
    if not isinstance(command, SupportChannelHere | SupportChannelOff):
        return Reply(text=t("incidents.channel.usage"))
    now = services.clock()
    async with services.uow() as uow:
        if isinstance(command, SupportChannelOff):
            had = await uow.incidents.remove_channel(channel.conversation_id)
            if had:
                await uow.audit.append(action="incident.channel_off", actor_id=actor.user_id, actor_name=actor.name,
                                       detail={})
            await uow.commit()
            return Reply(text=t("incidents.channel.off" if had else "incidents.channel.none"))
        await uow.incidents.set_channel(
            conversation_id=channel.conversation_id, service_url=channel.service_url, tenant_id=channel.tenant_id,
            bot_id=channel.bot_id, channel_id=channel.channel_id, locale=actor.locale, set_by=actor.user_id, now=now)
        await uow.audit.append(action="incident.channel_set", actor_id=actor.user_id, actor_name=actor.name,
                               detail={})
        await uow.commit()
    return Reply(text=t("incidents.channel.set"))

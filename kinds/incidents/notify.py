"""Where incident cards go and how they are kept current: the reporter's card in their chat, the support channel's
card, every stored copy updated after a step, and the one-line messages to the reporter and the assignee."""

from __future__ import annotations

import logging
from typing import Any

from cards.i18n import Translator
from cards.incidents import IncidentView, reporter_card, support_card
from handlers.card_delivery import translator_for
from handlers.context import ChannelAddress, SentActivity
from handlers.mail_outbox import enqueue_mail
from handlers.services import Services
from m365.errors import M365Error
from storage.models_incidents import Incident, SupportChannel
from storage.repositories.incidents import SUPPORT
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

REPORTER = "reporter"
POSTED = "posted"  # the alerts table's "day" of the claim that lets one replica post an incident to the channel


async def view_of(services: Services, incident: Incident) -> IncidentView:
    """The card's view of the incident as stored now, with the reporter's latest comment."""
    async with services.uow() as uow:
        events = await uow.incidents.events(incident.id)
    comments = [event for event in events if event.action in ("comment", "reopen") and event.note]
    last = comments[-1] if comments else None
    return IncidentView(
        incident_id=incident.public_id, version=incident.version, text=incident.text,
        reporter_name=incident.reporter_name, category=incident.category, impact=incident.impact,
        urgency=incident.urgency, priority=incident.priority, state=incident.state,
        support_level=incident.support_level, assignee_name=incident.assignee_name, created_at=incident.created_at,
        first_response_due_at=incident.first_response_due_at, first_responded_at=incident.first_responded_at,
        resolution_due_at=incident.resolution_due_at, resolved_at=incident.resolved_at, question=incident.question,
        resolution=incident.resolution, escalation_reason=incident.escalation_reason,
        last_comment=(last.actor_name or "", last.note or "") if last is not None else None, now=services.clock(),
    )


def card_for(role: str, view: IncidentView, t: Translator, *, notice: str | None = None) -> dict[str, Any]:
    return reporter_card(view, t, notice=notice) if role == REPORTER else support_card(view, t, notice=notice)


async def reporter_translator(services: Services, incident: Incident) -> Translator:
    return await translator_for(services, incident.reporter_id, fallback=incident.locale)


def _address(row: SupportChannel) -> ChannelAddress:
    return ChannelAddress(conversation_id=row.conversation_id, service_url=row.service_url, tenant_id=row.tenant_id,
                          bot_id=row.bot_id, channel_id=row.channel_id)


async def send_reporter_card(services: Services, incident: Incident) -> bool:
    """The reporter's own card in their chat, remembered to be updated; False when their chat is out of reach."""
    t = await reporter_translator(services, incident)
    card = reporter_card(await view_of(services, incident), t)
    sent = await services.messenger.send(incident.reporter_id, card=card)
    if sent is None:
        return False
    await _remember(services, incident, REPORTER, incident.reporter_id, t.language, sent)
    return True


async def post_to_support(services: Services, incident: Incident) -> bool:
    """Posts the incident's card to the support channel once across replicas (the alerts' unique key); False when
    no channel is set or it could not be reached (the claim is given back and the periodic pass tries again)."""
    async with services.uow() as uow:
        channel = await uow.incidents.channel()
        if channel is None:
            return False
        if not await uow.alerts.claim(f"incident.post:{incident.public_id}", POSTED, detail={},
                                      now=services.clock()):
            return False
        await uow.commit()
    t = Translator(channel.locale, services.calendar.timezone)
    sent: SentActivity | None
    try:
        sent = await services.messenger.post_to_channel(_address(channel),
                                                        support_card(await view_of(services, incident), t))
    except (M365Error, OSError):
        logger.warning("incident %s not posted to the support channel; the next pass tries again",
                       incident.public_id, exc_info=True)
        sent = None
    if sent is None:
        async with services.uow() as uow:
            await uow.alerts.release(f"incident.post:{incident.public_id}", POSTED)
            await uow.commit()
        return False
    await _remember(services, incident, SUPPORT, None, t.language, sent)
    return True


async def _remember(services: Services, incident: Incident, role: str, recipient_id: str | None, language: str,
                    sent: SentActivity) -> None:
    async with services.uow() as uow:
        await uow.incidents.add_card(incident.id, role=role, recipient_id=recipient_id, locale=language,
                                     conversation_id=sent.conversation_id, service_url=sent.service_url,
                                     activity_id=sent.activity_id, now=services.clock())
        await uow.commit()


async def refresh_copies(services: Services, incident: Incident) -> int:
    """Every stored copy of the incident's card shows it as it is now; returns how many were updated. A copy that
    cannot be updated (the message deleted, Teams away) is logged and left: the next step updates it again."""
    async with services.uow() as uow:
        copies = await uow.incidents.cards(incident.id)
    view = await view_of(services, incident)
    updated = 0
    for copy in copies:
        t = Translator(copy.locale, services.calendar.timezone)
        try:
            await services.messenger.update(SentActivity(copy.conversation_id, copy.service_url, copy.activity_id),
                                            card_for(copy.role, view, t))
            updated += 1
        except (M365Error, OSError):
            logger.warning("a card of incident %s was not updated", incident.public_id, exc_info=True)
    return updated


async def tell(services: Services, user_id: str, text: str) -> None:
    """A one-line message in the person's chat; not being able to reach them is logged, never an error."""
    try:
        sent = await services.messenger.send(user_id, text=text)
    except (M365Error, OSError):
        logger.warning("could not tell %s about an incident: Teams away", user_id, exc_info=True)
        return
    if sent is None:
        logger.info("could not tell %s about an incident: no chat with them", user_id)


async def mail_reporter(services: Services, uow: UnitOfWork, incident: Incident, template: str,
                        **params: str) -> None:
    """The reporter's e-mail of a change of state (cards/mail.py's ``incident.*`` templates), queued in the change's own
    transaction and keyed by the incident's version, so a retried step queues it once (handlers/mail_outbox.py)."""
    await enqueue_mail(services, uow, recipient_id=incident.reporter_id, template=template,
                       params={"incident_id": incident.public_id, "reference": incident.public_id, **params},
                       key=f"incident-{incident.public_id}-v{incident.version}")

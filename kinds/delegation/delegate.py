"""``delegate my approvals to X until 2027-01-15`` and ``stop delegating`` (F15): anyone may hand their approvals
to another enabled person (not themself) for up to a year; the delegate is told and gets the cards waiting for
the person at once. One delegation per person: a new one replaces the old. Audited (``delegation.started``,
``delegation.stopped``)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from handlers.card_delivery import translator_for
from handlers.context import Actor, Reply, actor_translator
from handlers.delivery import deliver_to
from handlers.people import SELF_WORDS, find_person
from handlers.services import Services
from kinds.delegation.commands import Delegate, StopDelegating

logger = logging.getLogger(__name__)

# Entra's approver delegation is time-bound too; a year is long enough for any absence and short enough to review.
MAX_DAYS = 365


async def handle_delegation(services: Services, actor: Actor, command: Delegate | StopDelegating) -> Reply:
    if isinstance(command, StopDelegating):
        return await stop(services, actor)
    return await start(services, actor, command)


async def start(services: Services, actor: Actor, command: Delegate) -> Reply:
    t = actor_translator(actor)
    if command.until is None:
        return Reply(text=t("delegation.bad_date"))
    if command.who.casefold() in SELF_WORDS:
        return Reply(text=t("delegation.not_yourself"))
    person = await find_person(services.tenant.directory, command.who)
    if person is None or not person.account_enabled:
        return Reply(text=t("delegation.unknown_person"))
    if person.id == actor.user_id:
        return Reply(text=t("delegation.not_yourself"))
    now = services.clock()
    today = now.astimezone(services.calendar.zone).date()
    if command.until < today:
        return Reply(text=t("delegation.date_past"))
    if command.until > today + timedelta(days=MAX_DAYS):
        return Reply(text=t("delegation.date_too_far", days=MAX_DAYS,
                             latest=(today + timedelta(days=MAX_DAYS)).isoformat()))
    ends_at = _end_of(services, command.until)
    async with services.uow() as uow:
        _, replaced = await uow.delegations.start(
            principal_id=actor.user_id, principal_name=actor.name, delegate_id=person.id,
            delegate_name=person.display_name, starts_at=now, ends_at=ends_at,
        )
        await uow.audit.append(action="delegation.started", actor_id=actor.user_id, actor_name=actor.name,
                               detail={"delegate_id": person.id, "until": command.until.isoformat(),
                                       "replaced": replaced.delegate_id if replaced else None})
        await uow.commit()
        pending = await uow.requests.pending_for_approver(actor.user_id)
    logger.info("%s delegates approvals to %s until %s", actor.user_id, person.id, command.until)
    told = await translator_for(services, person.id)
    sent = await services.messenger.send(
        person.id, text=told("delegation.you_stand_in", name=actor.name, until=command.until.isoformat())
    )
    if sent is None:
        logger.info("delegate %s not reachable in Teams yet; cards wait for their first message", person.id)
    for request in pending:  # what already waits for the person goes to the delegate now
        await deliver_to(services, request, [actor.user_id])
    return Reply(text=t("delegation.started", name=person.display_name, until=command.until.isoformat()))


async def stop(services: Services, actor: Actor) -> Reply:
    t = actor_translator(actor)
    async with services.uow() as uow:
        ended = await uow.delegations.stop(actor.user_id, services.clock())
        if ended is None:
            return Reply(text=t("delegation.none"))
        await uow.audit.append(action="delegation.stopped", actor_id=actor.user_id, actor_name=actor.name,
                               detail={"delegate_id": ended.delegate_id})
        await uow.commit()
    return Reply(text=t("delegation.stopped", name=ended.delegate_name))


def _end_of(services: Services, day: date) -> datetime:
    """The end of ``day`` in the service zone (the next midnight there), in UTC: "until the 15th" includes it."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=services.calendar.zone).astimezone(UTC)

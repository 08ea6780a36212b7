"""The incidents' periodic pass (F18): resolved incidents the reporter neither confirmed nor reopened close by
themselves after the policy's business days; and incidents whose card never reached the support channel (it was
not set or not reachable when they were filed) are posted there. Safe on several replicas at once: each close is
claimed once in the alerts table (per incident and version) in the transaction that makes it, and guarded by the
incident's version; each post is claimed once (kinds/incidents/notify.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers.services import Services
from handlers.stopping import StopSignal, repeat
from kinds.incidents.notify import mail_reporter, post_to_support, refresh_copies, reporter_translator, tell
from kinds.incidents.policy import IncidentPolicy
from kinds.incidents.states import State, Step, next_state
from storage.errors import StaleVersion
from storage.models_incidents import Incident

logger = logging.getLogger(__name__)

DESK_ID = "m365-desk"  # the audit's actor for what the desk does by itself
DESK_NAME = "M365 Desk"


@dataclass(frozen=True, slots=True)
class PassResult:
    closed: int = 0
    posted: int = 0


def close_key(incident: Incident) -> str:
    return f"incident.close:{incident.public_id}"


async def run_incident_pass(services: Services, policy: IncidentPolicy) -> PassResult:
    closed = await close_resolved(services, policy)
    posted = 0
    async with services.uow() as uow:
        unposted = await uow.incidents.without_support_card() if await uow.incidents.channel() else []
    for incident in unposted:
        posted += await post_to_support(services, incident)
    return PassResult(closed=closed, posted=posted)


async def close_resolved(services: Services, policy: IncidentPolicy) -> int:
    """Closes every resolved incident whose business days ran out; returns how many this call closed."""
    now = services.clock()
    calendar = services.calendar
    async with services.uow() as uow:
        resolved = await uow.incidents.resolved()
    closed = 0
    for incident in resolved:
        assert incident.resolved_at is not None
        if now < calendar.add_business_time(incident.resolved_at, calendar.business_days(policy.auto_close_days)):
            continue
        closed += await _close(services, incident)
    if closed:
        logger.info("incidents: %d closed after resolution", closed)
    return closed


async def _close(services: Services, incident: Incident) -> int:
    now = services.clock()
    async with services.uow() as uow:
        current = await uow.incidents.get_by_public_id(incident.public_id, for_update=True)
        if current is None or current.version != incident.version or current.state != State.RESOLVED:
            return 0  # reopened or confirmed meanwhile
        if not await uow.alerts.claim(close_key(current), f"v{current.version}", detail={}, now=now):
            await uow.rollback()
            return 0
        target = next_state(Step.AUTO_CLOSE, State(current.state))
        try:
            await uow.incidents.step(current, now=now, state=target.value, closed_at=now)
        except StaleVersion:
            await uow.rollback()
            return 0
        await uow.incidents.record(current, action=Step.AUTO_CLOSE.value, actor_id=None, actor_name=None, now=now,
                                   detail={"from": State.RESOLVED.value, "to": target.value})
        await mail_reporter(services, uow, current, "incident.closed")
        await uow.audit.append(action="incident.auto_close", actor_id=DESK_ID, actor_name=DESK_NAME, detail={
            "incident": current.public_id, "from": State.RESOLVED.value, "to": target.value})
        await uow.commit()
    await refresh_copies(services, current)
    t = await reporter_translator(services, current)
    await tell(services, current.reporter_id, t("incidents.told.auto_close", id=current.public_id))
    return 1


async def incident_loop(services: Services, policy: IncidentPolicy, *, every_seconds: float,
                        first_after_seconds: float, stop: StopSignal) -> None:
    """The pass every ``every_seconds`` until ``stop``."""

    async def one_pass() -> PassResult:
        return await run_incident_pass(services, policy)

    await repeat(one_pass, every_seconds=every_seconds, first_after_seconds=first_after_seconds, stop=stop,
                 what="incident pass")

"""Time-bound mailbox grants (F6): tell the holder beforehand, and at expiry file the desk's own revoke request.

Safe on several replicas and across re-runs: the notice and the revoke are each claimed with a conditional update
(storage/repositories/grants.py) before anything is sent or filed, so each happens once; a replica that dies
between claiming and filing leaves a lease that lapses, and the next run files the request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.card_delivery import remember_card, translator_for
from handlers.context import Actor
from handlers.services import Services
from handlers.stopping import StopSignal
from kinds.mailboxes.revoke import request_revoke
from m365.ports import Access
from storage.models_grants import MailboxGrant

logger = logging.getLogger(__name__)

# The desk files expiry revokes in its own name; like POLICY_APPROVER_ID, not an Entra object id.
DESK_EXPIRY_ID = "desk:expiry"
DESK_NAME = "M365 Desk"
DEFAULT_NOTICE = timedelta(days=1)
CLAIM_LEASE = timedelta(minutes=10)
REQUESTER_ROLE = "requester"  # the holder's copy of the revoke's status card is kept current like a requester's


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    notified: int = 0  # holders told their access ends soon
    filed: int = 0  # revoke requests filed
    closed: int = 0  # expiries closed without a request (the access was already gone, or the mailbox)


async def process_expiries(services: Services, *, notice: timedelta = DEFAULT_NOTICE) -> ExpiryRun:
    """One pass: notices for grants ending within ``notice``, revoke requests for grants past their end."""
    now = services.clock()
    notified = filed = closed = 0
    async with services.uow() as uow:
        soon = await uow.grants.due_for_notice(now, notice)
    for grant in soon:
        try:
            notified += await _notify(services, grant)
        except Exception:  # noqa: BLE001 - one holder we cannot reach must not stop the others
            logger.exception("expiry notice for grant %s failed", grant.id)
    async with services.uow() as uow:
        due = await uow.grants.due_for_revoke(now)
    for grant in due:
        try:
            outcome = await _expire(services, grant)
        except Exception:  # noqa: BLE001 - the claim lapses and a later run retries this grant
            logger.exception("expiry of grant %s failed; will retry", grant.id)
            continue
        filed += outcome == "filed"
        closed += outcome == "closed"
    return ExpiryRun(notified=notified, filed=filed, closed=closed)


async def expiry_loop(
    services: Services, interval_seconds: float, *, notice: timedelta = DEFAULT_NOTICE, stop: StopSignal | None = None
) -> None:
    """Runs process_expiries every ``interval_seconds`` until ``stop`` (or cancelled); every replica may run it."""
    stop = stop or StopSignal()
    while True:
        try:
            run = await process_expiries(services, notice=notice)
            if run.notified or run.filed or run.closed:
                logger.info("grant expiries: %s", run)
        except Exception:  # noqa: BLE001 - a failed pass (database away) is logged; the next one tries again
            logger.exception("grant expiry pass failed")
        if await stop.sleep(interval_seconds):
            return


async def _notify(services: Services, grant: MailboxGrant) -> int:
    async with services.uow() as uow:
        won = await uow.grants.claim_notice(grant.id, services.clock())
        await uow.commit()
    if not won:
        return 0  # another replica (or run) tells them
    t = await translator_for(services, grant.person_id)
    day = grant.expires_at.astimezone(ZoneInfo(services.calendar.timezone)).date().isoformat()
    text = t("mailbox.expiry.notice", access=t("mailbox.access." + grant.access), mailbox=grant.mailbox_name, when=day)
    await services.messenger.send(grant.person_id, text=text)
    return 1


async def _expire(services: Services, grant: MailboxGrant) -> str:
    now = services.clock()
    async with services.uow() as uow:
        won = await uow.grants.claim_revoke(grant.id, now, CLAIM_LEASE)
        await uow.commit()
        ref = await uow.conversations.get(grant.person_id)
    if not won:
        return "skipped"
    actor = Actor(user_id=DESK_EXPIRY_ID, name=DESK_NAME, tenant_id="", locale=(ref.locale if ref else None) or "en-US")
    reply = await request_revoke(
        services, actor, Access(grant.access), grant.mailbox_id, (grant.person_address,), desk_actor=True
    )
    async with services.uow() as uow:
        await uow.grants.close_expired(grant.id, reply.status_card_of, services.clock())
        await uow.commit()
    if reply.status_card_of is None:
        # Nothing left to take away (revoked by hand, mailbox gone): the expiry ends without a request.
        logger.info("grant %s expired with nothing to revoke: %s", grant.id, reply.text)
        return "closed"
    t = await translator_for(services, grant.person_id, fallback=actor.locale)
    async with services.uow() as uow:
        request = await uow.requests.get(reply.status_card_of)
    public_id = request.public_id if request else ""
    text = t("mailbox.expiry.revoked", access=t("mailbox.access." + grant.access), mailbox=grant.mailbox_name,
             request_id=public_id)
    sent = await services.messenger.send(grant.person_id, text=text, card=reply.card)
    if sent is not None:
        await remember_card(services, reply.status_card_of, grant.person_id, REQUESTER_ROLE, sent)
    return "filed"

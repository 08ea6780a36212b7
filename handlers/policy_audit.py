"""The routing policy's audit at start (F14): a policy that differs from the last one audited is written to the audit
log once (``policy.changed`` with the old and new digests), however many replicas start with it."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from handlers.services import Services

logger = logging.getLogger(__name__)

CHANGED_ACTION = "policy.changed"
# The sync-state row whose cursor holds the digest last audited (a row of its own, read and written in one commit).
STATE_NAME = "routing-policy"
RETRY_SECONDS = 30.0
BUSY_SECONDS = 2.0
LEASE = timedelta(minutes=1)  # longer than the audit takes; a replica that dies holding it frees it when it ends


class PolicyAuditBusy(RuntimeError):
    """Another replica is auditing the policy right now; ask again shortly."""


async def audit_policy_change(services: Services) -> bool:
    """Audits the policy in force if it is not the one audited last; True when this call wrote the event.

    Replicas starting together take turns under a short lease on the row that keeps the digest last audited, so
    exactly one of them writes the event and the others find it recorded; the row is written before the audit
    log, the order every writer takes its locks in.
    """
    routing = services.routing
    owner = f"policy-audit-{uuid.uuid4().hex}"
    now = services.clock()
    async with services.uow() as uow:
        claimed = await uow.leases.try_claim(STATE_NAME, owner, now + LEASE, now)
        await uow.commit()
    if not claimed:
        raise PolicyAuditBusy(STATE_NAME)
    try:
        async with services.uow() as uow:
            last = await uow.sync_state.cursor(STATE_NAME)
            if last == routing.digest:
                return False
            await uow.sync_state.set_cursor(STATE_NAME, routing.digest)
            await uow.audit.append(
                action=CHANGED_ACTION,
                detail={"old_digest": last, "new_digest": routing.digest, "source": routing.source or "defaults"},
            )
            await uow.commit()
    finally:
        async with services.uow() as uow:
            await uow.leases.release(STATE_NAME, owner)
            await uow.commit()
    logger.info("routing policy changed: %s (was %s)", routing.digest, last or "never audited")
    return True


async def audit_policy_change_until_done(services: Services, *, retry_seconds: float = RETRY_SECONDS) -> None:
    """At start, in the background: a database not reachable yet (or an audit chain not sealed yet) is retried
    until it is, so a changed policy is never left unaudited; the desk serves meanwhile."""
    while True:
        try:
            await audit_policy_change(services)
            return
        except PolicyAuditBusy:
            await asyncio.sleep(BUSY_SECONDS)
        except Exception as error:  # noqa: BLE001 - any failure here is retried, never fatal to the desk
            logger.warning("routing policy audit: %s; retrying in %.0f s", type(error).__name__, retry_seconds)
            await asyncio.sleep(retry_seconds)


async def audit_policy_at_start(services: Services) -> asyncio.Task[None] | None:
    """Audits the policy now; when that cannot be done yet (another replica holds the row, the database is not
    reachable), the background task that retries it, which the caller cancels when the desk stops."""
    try:
        await audit_policy_change(services)
        return None
    except Exception as error:  # noqa: BLE001 - retried in the background, never fatal to the start
        logger.info("routing policy audit deferred: %s", type(error).__name__)
        return asyncio.create_task(audit_policy_change_until_done(services))

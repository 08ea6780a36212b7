"""Audit chain verification: the periodic background check, its once-only alert to the admins, and the CLI's report.

Each verification writes the chain's head (last event id and hash) into the log, so a copy exists outside the
database: deleting events from the end, with the head row moved back to match, cannot be seen from inside the
database, but it can against that copy (`app.py audit verify --expect-head ID:HASH`), and the background loop
compares each run with the head it saw the time before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from handlers.alerts import tell_admins
from handlers.services import Services
from handlers.stopping import StopSignal, repeat
from storage.audit_chain import REASONS, ChainCheck
from storage.uow import UnitOfWorkFactory

logger = logging.getLogger(__name__)

# Alerts are claimed once per (key, day) in alerts_sent; a broken chain is told once, not daily, so its claim is
# made under this fixed "day" rather than a date.
ONCE = "once"


@dataclass(slots=True)
class AuditWatch:
    """What one replica's checks remember between runs: the last head that checked out, kept outside the database."""

    head: tuple[int, str] | None = None


def describe(check: ChainCheck) -> str:
    """One line for operators (the CLI and the log); never a key, never a person's data."""
    if check.stopped:
        return f"audit chain check stopped early after {check.checked} events"
    if check.ok:
        head = f"head event {check.head_id} hash {check.head_hash}" if check.head_id else "no events yet"
        return f"audit chain intact: {check.checked} events checked ({check.keyed_events} keyed); {head}"
    reason = REASONS.get(check.reason or "", check.reason or "unknown")
    return f"audit chain BROKEN at event {check.first_bad_id}: {reason}; {check.checked} events checked"


async def verify_and_report(uow: UnitOfWorkFactory, *, expect: tuple[int, str] | None = None) -> tuple[int, str]:
    """`app.py audit verify`: exit status 0 intact, 1 broken, and the line to print."""
    async with uow() as unit:
        check = await unit.audit.verify(expect=expect)
    return (0 if check.ok else 1), describe(check)


async def seal_and_report(uow: UnitOfWorkFactory) -> tuple[int, str]:
    """`app.py audit seal`: vouch once for the events written before the desk had a key (see storage/audit_chain)."""
    async with uow() as unit:
        before, seal = await unit.audit.seal()
        await unit.commit()
    if seal is not None:
        key = seal.detail["key_id"]
        return 0, f"sealed {before.checked} unkeyed audit events with key {key}; head event {seal.id} hash {seal.hash}"
    if before.ok:
        return 0, "nothing to seal: " + describe(before)
    return 1, "not sealed: " + describe(before)


async def check_audit_chain(services: Services, watch: AuditWatch, *, stop: StopSignal | None = None) -> ChainCheck:
    """One verification: logs the head (or where it broke) and tells the admins once per breakage."""
    async with services.uow() as uow:
        check = await uow.audit.verify(expect=watch.head, stop=(lambda: stop.requested) if stop else None)
    if check.stopped:
        return check
    fields = {
        "audit_events": check.checked,
        "audit_head_id": check.head_id,
        "audit_head_hash": check.head_hash,
    }
    if check.ok:
        if check.head_id is not None:
            watch.head = (check.head_id, check.head_hash or "")
        logger.info(describe(check), extra=fields)
        return check
    broken = {"audit_first_bad_id": check.first_bad_id, "audit_reason": check.reason}
    logger.error(describe(check), extra=fields | broken)
    await _alert_admins_once(services, check)
    return check


async def audit_check_loop(
    services: Services, *, every_seconds: float, first_after_seconds: float, stop: StopSignal | None = None
) -> None:
    """Verifies the chain every ``every_seconds`` until ``stop``; a failed check (database away) is logged and the
    next one runs on time. Every replica may run it: the alert is claimed in the database, so it goes out once."""
    stop = stop or StopSignal()
    watch = AuditWatch()
    await repeat(
        lambda: check_audit_chain(services, watch, stop=stop), every_seconds=every_seconds,
        first_after_seconds=first_after_seconds, stop=stop, what="audit chain check",
    )


async def _alert_admins_once(services: Services, check: ChainCheck) -> None:
    group_id = services.policy.admins_group_id
    if not group_id:
        return
    key = f"audit_chain:{check.reason}:{check.first_bad_id}"
    now = services.clock()
    async with services.uow() as uow:
        claimed = await uow.alerts.claim(
            key, ONCE, detail={"first_bad_id": check.first_bad_id, "reason": check.reason}, now=now
        )
        await uow.commit()
    if not claimed:
        return  # told already (by this replica or another)
    admins = await services.tenant.directory.group_member_ids(group_id)
    delivered, failed = await tell_admins(
        services, admins, lambda t: t("audit.broken", time=t.datetime(now)), what=key
    )
    async with services.uow() as uow:
        if delivered == 0 and failed:
            await uow.alerts.release(key, ONCE)  # nobody was reached: the next check tries again
        else:
            await uow.alerts.record_delivery(key, ONCE, delivered)
        await uow.commit()
    logger.warning("audit chain alert %s: told %d of %d admins", key, delivered, len(admins))



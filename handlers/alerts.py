"""License alerts (F11): low free seats and subscriptions about to end, sent to the admins once per day each."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from cards.i18n import Translator
from handlers.services import Services
from handlers.stopping import StopSignal, repeat
from m365.errors import M365Error
from m365.ports import Sku, Subscription

logger = logging.getLogger(__name__)

LOW_SEATS = "low_seats"
ENDING = "ending"
_ENDED = frozenset({"Deleted"})


@dataclass(frozen=True, slots=True)
class Alert:
    """One condition worth an admin's attention; ``key`` (condition + plan) is what is sent once per day."""

    key: str
    message: str  # message key: alert.low_seats | alert.ending
    params: Mapping[str, Any] = field(default_factory=dict)  # raw values, formatted per reader


def find_alerts(
    skus: Sequence[Sku],
    subscriptions: Sequence[Subscription],
    *,
    name_of: Callable[[str], str],
    free_seats_below: int,
    ending_within_days: int,
    now: datetime,
    today: Callable[[datetime], Any],
) -> list[Alert]:
    """The conditions that hold now: pure, so thresholds and boundaries are testable on known inputs.

    ``today`` maps an instant to the calendar date the desk counts days in (its service-hours zone).
    """
    alerts = []
    for sku in sorted(skus, key=lambda s: s.sku_part_number):
        # Tenant-wide and suspended plans are not handed to people, so their free seats do not matter here.
        if sku.applies_to != "User" or sku.capability_status != "Enabled" or sku.enabled_units <= 0:
            continue
        free = sku.enabled_units - sku.consumed_units
        if free_seats_below > 0 and free < free_seats_below:  # 0 switches seat alerts off
            alerts.append(
                Alert(
                    key=f"{LOW_SEATS}:{sku.sku_part_number}",
                    message="alert.low_seats",
                    params={
                        "plan": name_of(sku.sku_part_number),
                        "free": max(free, 0),
                        "purchased": sku.enabled_units,
                        "assigned": sku.consumed_units,
                        "threshold": free_seats_below,
                    },
                )
            )
    horizon = now + timedelta(days=ending_within_days)
    for sub in sorted(subscriptions, key=lambda s: (s.sku_part_number, s.id)):
        end = sub.next_lifecycle
        if sub.status in _ENDED or end is None or not (now <= end <= horizon):
            continue
        alerts.append(
            Alert(
                key=f"{ENDING}:{sub.sku_part_number or sub.sku_id}",
                message="alert.ending",
                params={
                    "plan": name_of(sub.sku_part_number),
                    "licenses": sub.total_licenses,
                    "status": sub.status,
                    "time": end,
                    "days": (today(end) - today(now)).days,
                },
            )
        )
    return alerts


def render(alert: Alert, t: Translator) -> str:
    params = {
        name: t.datetime(value) if isinstance(value, datetime) else t.number(value) if isinstance(value, int) else value
        for name, value in alert.params.items()
    }
    return t(alert.message, **params)


async def check_alerts(services: Services) -> int:
    """Looks at the tenant now and tells the admins about each new condition; returns how many alerts went out.

    Safe with several replicas and repeated runs: a condition is claimed in the database under (key, day) first,
    and only the one run that claimed it sends it.
    """
    policy = services.reports
    group_id = services.policy.admins_group_id
    if not group_id:
        return 0
    licenses = services.tenant.licenses
    skus, subscriptions = await asyncio.gather(licenses.list_skus(), licenses.subscriptions())
    by_part = {sku.sku_part_number: sku for sku in skus}
    now = services.clock()
    zone = services.calendar.zone
    alerts = find_alerts(
        skus,
        subscriptions,
        name_of=lambda part: services.plans.name(by_part[part]) if part in by_part else part,
        free_seats_below=policy.alert_free_seats,
        ending_within_days=policy.alert_subscription_days,
        now=now,
        today=lambda moment: moment.astimezone(zone).date(),
    )
    if not alerts:
        return 0
    day = now.astimezone(zone).date().isoformat()
    admins = await services.tenant.directory.group_member_ids(group_id)
    sent = 0
    for alert in alerts:
        async with services.uow() as uow:
            detail = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in alert.params.items()}
            claimed = await uow.alerts.claim(alert.key, day, detail=detail, now=now)
            await uow.commit()
        if not claimed:
            continue
        delivered, failed = await tell_admins(services, admins, partial(render, alert), what=alert.key)
        async with services.uow() as uow:
            if delivered == 0 and failed:
                # Nobody was told because Teams failed: give the claim back so the next check tries again.
                await uow.alerts.release(alert.key, day)
            else:
                await uow.alerts.record_delivery(alert.key, day, delivered)
            await uow.commit()
        sent += 1 if delivered else 0
        logger.info("alert %s on %s: told %d of %d admins", alert.key, day, delivered, len(admins))
    return sent


async def run_alerts(
    services: Services, *, every_seconds: float, first_after_seconds: float, stop: StopSignal | None = None
) -> None:
    """The periodic check, until ``stop`` (or cancelled); one failed check is logged and the next one runs on time."""
    await repeat(
        lambda: check_alerts(services), every_seconds=every_seconds, first_after_seconds=first_after_seconds,
        stop=stop or StopSignal(), what="license alert check",
    )


async def tell_admins(
    services: Services, admins: Sequence[str], message: Callable[[Translator], str], *, what: str
) -> tuple[int, int]:
    """Sends each admin ``message`` in their own language; (delivered, failed) so callers can retry when nobody
    was reached. ``what`` names the alert in the log."""
    delivered = failed = 0
    for admin in admins:
        async with services.uow() as uow:
            ref = await uow.conversations.get(admin)
        t = Translator(ref.locale if ref is not None else None, services.calendar.zone.key)
        try:
            if await services.messenger.send(admin, text=message(t)) is not None:
                delivered += 1
        except (M365Error, OSError):
            logger.warning("alert %s could not reach admin %s", what, admin, exc_info=True)
            failed += 1
    return delivered, failed

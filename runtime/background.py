"""Background work for the app's lifetime: each loop a named task, asked to stop on shutdown and cancelled only when
it will not; the job runner, license alerts, directory sync, grant expiries, the audit check, the orphan clean-up
pass, the still-needed pass, the waiting requests' reminders, escalation and expiry, and the mail sender as
cleanup contexts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiohttp import web

from handlers.alerts import run_alerts
from handlers.audit_check import audit_check_loop
from handlers.directory_sync import sync_forever
from handlers.escalation import Intervals, escalation_loop
from handlers.mail_sender import MailSender
from handlers.stopping import StopSignal
from kinds.digest.post import digest_loop
from kinds.incidents.auto_close import incident_loop
from kinds.incidents.policy import IncidentPolicy
from kinds.mailboxes.expiry import expiry_loop
from kinds.orphans.follow_up import FollowUp, orphan_loop
from kinds.still_needed.ask import StillNeededPolicy
from kinds.still_needed.follow_up import still_needed_loop
from kinds.usage.schedule import collect_forever
from runtime.app_keys import RUNNER, SERVICES, SETTINGS

logger = logging.getLogger("desk")

# How long shutdown waits for a cancelled background task (job runner, sync, alerts, expiries) to end.
BACKGROUND_STOP_SECONDS = 10.0

Loop = Callable[[StopSignal], Coroutine[Any, Any, None]]


@contextlib.asynccontextmanager
async def supervised(
    name: str, loop: Loop | None, *, stop_seconds: float = BACKGROUND_STOP_SECONDS
) -> AsyncIterator[None]:
    """Runs ``loop`` as a named task for the app's lifetime and stops it on shutdown; None = switched off.

    Shutdown first asks the loop to stop, so it ends its unit of work (a job, a sync chunk) and returns; only a
    loop still running after ``stop_seconds`` is cancelled.
    """
    stop = StopSignal()
    task = asyncio.create_task(loop(stop), name=name) if loop is not None else None
    try:
        yield
    finally:
        if task is not None:
            stop.request()
            await asyncio.wait([task], timeout=stop_seconds)
            if not task.done():
                logger.warning("background task %s did not stop within %.0f s; cancelling it", name, stop_seconds)
                task.cancel()
                # A task that swallows its cancellation must not hold the shutdown (and a rolling restart) forever.
                await asyncio.wait([task], timeout=stop_seconds)
            if not task.done():
                logger.error("background task %s ignored its cancellation; leaving it behind", name)
            elif not task.cancelled() and task.exception() is not None:
                logger.error("background task %s had failed", name, exc_info=task.exception())


async def job_runner_task(app: web.Application) -> AsyncIterator[None]:
    async with supervised("job-runner", app[RUNNER].run):
        yield


async def alerts_task(app: web.Application) -> AsyncIterator[None]:
    """The license alerts check (F11); every replica may run one, the database lets each alert out once a day."""
    settings, services = app[SETTINGS], app[SERVICES]
    every, first = settings.alert_check_seconds, settings.alert_first_check_seconds

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return run_alerts(services, every_seconds=every, first_after_seconds=first, stop=stop)

    async with supervised("license-alerts", loop if every > 0 else None):
        yield


async def grant_expiry_task(app: web.Application) -> AsyncIterator[None]:
    """Time-bound mailbox grants (F6): holders told a day before, access removed at expiry by a request of its own."""
    settings, services = app[SETTINGS], app[SERVICES]
    notice = timedelta(hours=settings.grant_expiry_notice_hours)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return expiry_loop(services, settings.grant_expiry_check_seconds, notice=notice, stop=stop)

    async with supervised("grant-expiry", loop if settings.grant_expiry_check_seconds > 0 else None):
        yield


async def audit_check_task(app: web.Application) -> AsyncIterator[None]:
    """The audit chain verified in the background: its head logged each time, the admins told once when it breaks."""
    settings, services = app[SETTINGS], app[SERVICES]

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return audit_check_loop(
            services, every_seconds=settings.audit_verify_seconds,
            first_after_seconds=settings.audit_verify_first_seconds, stop=stop,
        )

    async with supervised("audit-check", loop if settings.audit_verify_seconds > 0 else None):
        yield


async def directory_sync_task(app: web.Application) -> AsyncIterator[None]:
    """The periodic directory sync (F7); every replica runs the loop, the database lease lets one work per period."""
    settings, services, replica = app[SETTINGS], app[SERVICES], app[RUNNER].owner

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return sync_forever(
            services, settings.sync_interval_seconds, replica=replica,
            first_after_seconds=settings.sync_first_after_seconds, stop=stop,
        )

    async with supervised("directory-sync", loop if settings.sync_interval_seconds > 0 else None):
        yield


async def usage_collection_task(app: web.Application) -> AsyncIterator[None]:
    """The daily "last mail seen" collection (F20); every replica runs the loop, the lease lets one work per day."""
    settings, services, replica = app[SETTINGS], app[SERVICES], app[RUNNER].owner

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return collect_forever(
            services, settings.usage_collect_seconds, replica=replica,
            first_after_seconds=settings.usage_collect_first_seconds, stop=stop,
        )

    async with supervised("usage-collection", loop if settings.usage_collect_seconds > 0 else None):
        yield


async def orphans_task(app: web.Application) -> AsyncIterator[None]:
    """Orphaned lists and mailboxes (F20): the daily clean-up pass, then reminders and escalations as they fall due;
    every replica may run it, the database lets each filing, reminder and escalation happen once."""
    settings, services = app[SETTINGS], app[SERVICES]
    follow_up = FollowUp(remind_days=settings.orphan_remind_days, escalate_days=settings.orphan_escalate_days)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return orphan_loop(services, every_seconds=settings.orphan_check_seconds,
                           first_after_seconds=settings.orphan_first_check_seconds, follow_up=follow_up, stop=stop)

    async with supervised("orphan-cleanup", loop if settings.orphan_check_seconds > 0 else None):
        yield


async def still_needed_task(app: web.Application) -> AsyncIterator[None]:
    """Still needed? (F20): the daily pass asking the owners of quiet lists and mailboxes, then reminders and
    escalations as they fall due (its own business days, DESK_UNUSED_REMIND_DAYS and DESK_UNUSED_ESCALATE_DAYS);
    each filing, reminder and escalation happens once across replicas."""
    settings, services = app[SETTINGS], app[SERVICES]
    policy = StillNeededPolicy(list_days=settings.unused_list_days, mailbox_days=settings.unused_mailbox_days,
                               keep_days=settings.unused_keep_days)
    follow_up = FollowUp(remind_days=settings.unused_remind_days, escalate_days=settings.unused_escalate_days)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return still_needed_loop(services, every_seconds=settings.unused_check_seconds,
                                 first_after_seconds=settings.unused_first_check_seconds, policy=policy,
                                 follow_up=follow_up, stop=stop)

    async with supervised("still-needed", loop if settings.unused_check_seconds > 0 else None):
        yield


async def mail_sender_task(app: web.Application) -> AsyncIterator[None]:
    """E-mail notifications (F16): the mail outbox sent from the sender mailbox, each e-mail once, within its
    per-minute limit; every replica may run it, a lease lets one send at a time."""
    settings, services = app[SETTINGS], app[SERVICES]
    sender = MailSender(services)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return sender.run(stop, poll_seconds=settings.mail_poll_seconds)

    async with supervised("mail-sender", loop if settings.mail_sender and settings.mail_poll_seconds > 0 else None):
        yield


async def digest_task(app: web.Application) -> AsyncIterator[None]:
    """Channel digests (F21): each check posts the digests whose moment has come; every replica may run it, the
    database lets each channel's digest out once per period."""
    settings, services = app[SETTINGS], app[SERVICES]

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return digest_loop(services, every_seconds=settings.digest_check_seconds,
                           first_after_seconds=settings.digest_check_seconds, stop=stop,
                           chart_link_days=settings.digest_chart_link_days)

    async with supervised("channel-digests", loop if settings.digest_check_seconds > 0 else None):
        yield

async def incidents_task(app: web.Application) -> AsyncIterator[None]:
    """Incidents (F18): resolved ones close after the policy's business days, and cards that never reached the support
    channel are posted; every replica may run it, the database lets each close and post happen once."""
    settings, services = app[SETTINGS], app[SERVICES]
    policy = IncidentPolicy.from_settings(settings)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return incident_loop(services, policy, every_seconds=settings.incident_check_seconds,
                             first_after_seconds=settings.incident_first_check_seconds, stop=stop)

    async with supervised("incidents", loop if settings.incident_check_seconds > 0 else None):
        yield


async def escalation_task(app: web.Application) -> AsyncIterator[None]:
    """Reminders, escalation and expiry of waiting requests (F15) on the business-hours clock; every replica may
    run it, the database lets each reminder round, escalation and expiry happen once."""
    settings, services = app[SETTINGS], app[SERVICES]
    defaults = Intervals(settings.remind_after_hours, settings.escalate_after_hours, settings.expire_after_hours)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return escalation_loop(services, every_seconds=settings.escalation_check_seconds,
                               first_after_seconds=settings.escalation_check_seconds, defaults=defaults, stop=stop)

    async with supervised("reminders-escalation", loop if settings.escalation_check_seconds > 0 else None):
        yield

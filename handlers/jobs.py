"""The job runner: claims outbox jobs with a lease, runs them, retries transient failures with backoff.

The retry budget of a change lives here, and only here. A change (a Graph POST/PATCH/DELETE such as assignLicense,
its $batch, a usage location, a group member's $ref; an Exchange cmdlet that is not Get-*) is sent at most once
per job attempt: the clients never resend it (m365/graph.py ``send_once``, m365/exchange.py), because after a 503,
a 504 or a timeout it may already have been applied. A TransientError ends the attempt; the runner tries the job
again after the Retry-After it carried (else exponential backoff), up to the job's ``max_attempts`` (5), and each
step re-reads before it writes, so a retried attempt never applies a change twice. A change is therefore sent at
most ``max_attempts`` times. Reads (Graph GET, Get-* cmdlets) keep the clients' own retries: they change nothing,
and they make a step's reads robust.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from sqlalchemy.exc import OperationalError

from desk_logging import log_scope
from handlers.services import Services
from handlers.stopping import StopSignal, wait_at_most
from m365.errors import TransientError
from storage.columns import utcnow
from storage.errors import LeaseLost
from storage.models import Job

logger = logging.getLogger(__name__)

JobHandler = Callable[[Services, Job], Awaitable[None]]


class JobRunner:
    """Several replicas may run one each: the database lease decides who runs a job, never this process."""

    def __init__(
        self,
        services: Services,
        handlers: Mapping[str, JobHandler],
        *,
        poll_seconds: float = 1.0,
        lease_seconds: int = 120,
        workers: int = 2,
        owner: str | None = None,
    ) -> None:
        self._services = services
        self._handlers = handlers
        self._poll_seconds = poll_seconds
        self._lease_seconds = lease_seconds
        self._workers = workers
        self.owner = owner or f"runner-{uuid.uuid4().hex[:12]}"
        self._wakeup = asyncio.Event()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self, stop: StopSignal | None = None) -> None:
        """Runs until ``stop`` is requested (each worker ends the job in hand first) or until cancelled."""
        stop = stop or StopSignal()
        stop.also_wakes(self._wakeup)
        await asyncio.gather(*(self._worker(n, stop) for n in range(self._workers)))

    async def _worker(self, number: int, stop: StopSignal) -> None:
        while not stop.requested:
            # Cleared before looking, so a wake() that lands while we look is not lost.
            self._wakeup.clear()
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be briefly unavailable; the runner must outlive that.
                logger.exception("job worker %s: claiming failed", number)
                worked = False
            if not worked and not stop.requested:
                await wait_at_most(self._wakeup, self._poll_seconds)

    async def run_once(self) -> bool:
        """Claims and runs one ready job; False when there is none."""
        services = self._services
        async with services.uow() as uow:
            # Leases and retries run on the wall clock, like enqueue's run time; services.clock is business time
            # (SLA, decisions), which tests move around and which must not stall or hurry the outbox.
            job = await uow.jobs.claim(self.owner, lease_seconds=self._lease_seconds)
            await uow.commit()
        if job is None:
            return False
        with log_scope(job_id=job.id, job_kind=job.kind):  # every line the job logs names it
            await self._run(job)
        return True

    async def drain(self, *, max_jobs: int = 1000) -> int:
        """Runs ready jobs until none is left (for tests, benchmarks and `app.py` one-shot commands)."""
        done = 0
        while done < max_jobs and await self.run_once():
            done += 1
        return done

    async def _run(self, job: Job) -> None:
        services = self._services
        handler = self._handlers.get(job.kind.split(":", 1)[0])
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            await handler(services, job)
        except TransientError as error:
            await self._finish(job, error=f"{type(error).__name__}: {error}", retry=_backoff(job, error))
            return
        except OperationalError as error:
            # The database itself was busy or briefly gone: the job is fine, try it again shortly.
            logger.warning("job %s (%s): database unavailable: %s", job.id, job.kind, error.orig)
            await self._finish(job, error=f"database: {error.orig}", retry=_backoff(job, TransientError("database")))
            return
        except Exception as error:
            logger.exception("job %s (%s) failed", job.id, job.kind)
            await self._finish(job, error=f"{type(error).__name__}: {error}", retry=None)
            return
        await self._finish(job, error=None, retry=None)

    async def _finish(self, job: Job, *, error: str | None, retry: timedelta | None) -> None:
        services = self._services
        async with services.uow() as uow:
            try:
                if error is None:
                    await uow.jobs.complete(job)
                else:
                    attempts_left = job.attempts < job.max_attempts
                    retry_at = utcnow() + retry if retry is not None and attempts_left else None
                    await uow.jobs.fail(job, error, retry_at=retry_at)
                    logger.warning(
                        "job %s (%s) attempt %s: %s; %s",
                        job.id,
                        job.kind,
                        job.attempts,
                        error,
                        f"retry at {retry_at:%H:%M:%S}" if retry_at else "giving up",
                    )
                await uow.commit()
            except LeaseLost:
                logger.warning("job %s: lease lost to another runner; its result stands", job.id)


def _backoff(job: Job, error: TransientError) -> timedelta:
    """Honour Retry-After; otherwise exponential backoff with jitter, capped at five minutes."""
    if error.retry_after is not None:
        return timedelta(seconds=error.retry_after)
    base = min(2 ** max(job.attempts - 1, 0), 300)
    return timedelta(seconds=base * random.uniform(0.5, 1.0))

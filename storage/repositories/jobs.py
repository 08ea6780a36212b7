"""Job repository: the transactional outbox, lease-based claiming, and per-step progress."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from storage.columns import utcnow
from storage.dialect import insert_for, session_is_postgres
from storage.errors import LeaseLost
from storage.models import Job, JobStatus, JobStep

# A claimer whose candidate was taken retries once: on SQLite the failed UPDATE already holds the write
# lock, so the second look is current; on PostgreSQL SKIP LOCKED means the candidate is ours anyway.
_CLAIM_TRIES = 2

# The jobs of one request that speak to people (approval cards, card syncs and the messages with them) run in the
# order they were enqueued, so the requester reads "approved" before "done". Execution is the exception: it never
# waits for Teams and never holds a message back, and whatever it announces is enqueued by it, so comes after it.
UNORDERED_KINDS = ("execute",)
_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(Job.status == JobStatus.QUEUED.value, Job.next_run_at <= now),
        and_(Job.status == JobStatus.RUNNING.value, Job.lease_until < now),
    )


def _its_turn() -> ColumnElement[bool]:
    """No earlier job of the same request is still to finish (one that gave up, FAILED, no longer holds it back).

    Looked up through the (request_id, kind) unique index: a request has a handful of jobs at most.
    """
    earlier = aliased(Job)
    waiting_for = exists().where(
        earlier.request_id == Job.request_id,
        earlier.id < Job.id,
        earlier.kind.not_in(UNORDERED_KINDS),
        earlier.status.in_(_UNFINISHED),
    )
    return or_(Job.kind.in_(UNORDERED_KINDS), ~waiting_for)


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def enqueue(self, request_id: int, kind: str = "execute", *, run_at: datetime | None = None) -> Job:
        """Queue a job for the request, or return the existing one: (request_id, kind) is unique."""
        await self._session.flush()
        now = utcnow()
        stmt = insert_for(self._session, Job.__table__).values(
            request_id=request_id,
            kind=kind,
            status=JobStatus.QUEUED.value,
            attempts=0,
            max_attempts=5,
            next_run_at=run_at or now,
            created_at=now,
            updated_at=now,
        )
        await self._session.execute(stmt.on_conflict_do_nothing(index_elements=["request_id", "kind"]))
        job = await self._load_where(Job.request_id == request_id, Job.kind == kind)
        assert job is not None
        return job

    async def get(self, job_id: int) -> Job | None:
        return await self._load_where(Job.id == job_id)

    async def for_request(self, request_id: int, kind: str = "execute") -> Job | None:
        return await self._load_where(Job.request_id == request_id, Job.kind == kind)

    async def claim(self, owner: str, *, now: datetime | None = None, lease_seconds: float = 60) -> Job | None:
        """Take the oldest due job (queued, or running with an expired lease) whose turn it is; lease it to ``owner``.

        ``attempts`` counts claims, so ``attempts > max_attempts`` tells the runner to give up. Commit
        right after claiming (the lease, not a held transaction, protects the job while it runs) and
        finish it with ``complete``/``fail`` in a later unit of work.
        """
        now = now or utcnow()
        await self._session.flush()
        for _ in range(_CLAIM_TRIES):
            # Only the candidate checks the order: an earlier job can finish meanwhile, never start again.
            candidate = select(Job.id, Job.attempts).where(_claimable(now), _its_turn())
            candidate = candidate.order_by(Job.next_run_at, Job.id).limit(1)
            if session_is_postgres(self._session):
                candidate = candidate.with_for_update(skip_locked=True)
            row = (await self._session.execute(candidate)).first()
            if row is None:
                return None
            # The old attempts value is the compare-and-swap token: every claim bumps it.
            result = await self._session.execute(
                update(Job)
                .where(Job.id == row.id, Job.attempts == row.attempts, _claimable(now))
                .values(
                    status=JobStatus.RUNNING.value,
                    lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    attempts=Job.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
                return await self._load_where(Job.id == row.id)
        return None

    async def extend_lease(self, job: Job, *, now: datetime | None = None, lease_seconds: float = 60) -> None:
        """Keep a long-running job's lease alive; raises ``LeaseLost`` if another runner took it."""
        now = now or utcnow()
        await self._finish(job, lease_until=now + timedelta(seconds=lease_seconds), updated_at=now)

    async def complete(self, job: Job) -> None:
        await self._finish(job, status=JobStatus.DONE.value, lease_owner=None, lease_until=None)

    async def fail(self, job: Job, error: str, *, retry_at: datetime | None) -> None:
        """Record the error; requeue for ``retry_at``, or mark the job failed for good when it is None."""
        values: dict[str, Any] = {"last_error": error, "lease_owner": None, "lease_until": None}
        if retry_at is None:
            values["status"] = JobStatus.FAILED.value
        else:
            values["status"] = JobStatus.QUEUED.value
            values["next_run_at"] = retry_at
        await self._finish(job, **values)

    async def steps(self, job_id: int) -> dict[int, JobStep]:
        stmt = select(JobStep).where(JobStep.job_id == job_id).order_by(JobStep.step_index)
        return {s.step_index: s for s in (await self._session.execute(stmt)).scalars()}

    async def record_step(
        self,
        job_id: int,
        index: int,
        name: str,
        status: str,
        detail: dict[str, Any] | None = None,
    ) -> JobStep:
        """Insert the step's outcome, or overwrite it when the step was recorded before (a re-run)."""
        await self._session.flush()
        values = {"name": name, "status": str(status), "detail": detail or {}, "finished_at": utcnow()}
        stmt = insert_for(self._session, JobStep.__table__).values(job_id=job_id, step_index=index, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["job_id", "step_index"], set_=values)
        await self._session.execute(stmt)
        found = (
            await self._session.execute(
                select(JobStep)
                .where(JobStep.job_id == job_id, JobStep.step_index == index)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return found

    async def _finish(self, job: Job, **values: Any) -> None:
        # Guard on the lease we were given: if it expired and another runner re-claimed the job
        # (bumping attempts), our late write must not clobber theirs.
        values.setdefault("updated_at", utcnow())
        result = await self._session.execute(
            update(Job)
            .where(
                Job.id == job.id,
                Job.status == JobStatus.RUNNING.value,
                Job.lease_owner == job.lease_owner,
                Job.attempts == job.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # DML gives a CursorResult, typed as Result
            raise LeaseLost(job.id, job.lease_owner)
        # ``job`` may come from an earlier unit of work (claimed in one, finished in another), so
        # mirror the row into the object itself rather than reloading through this session.
        for key, value in values.items():
            set_committed_value(job, key, value)

    async def _load_where(self, *criteria: ColumnElement[bool]) -> Job | None:
        stmt = select(Job).where(*criteria).execution_options(populate_existing=True)
        return (await self._session.execute(stmt)).scalar_one_or_none()

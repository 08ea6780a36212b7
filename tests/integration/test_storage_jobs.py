"""The job outbox: idempotent enqueue, exclusive claims, leases, retries and step records."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest_storage import StorageDB, make_request

from storage.columns import utcnow
from storage.errors import LeaseLost
from storage.models import JobStatus, StepStatus

pytest_plugins = ["storage_fixtures"]


async def _requests(db: StorageDB, n: int) -> list[int]:
    async with db.uow() as uow:
        ids = [(await uow.requests.add(make_request())).id for _ in range(n)]
        await uow.commit()
    return ids


async def test_enqueue_is_idempotent(storage_db: StorageDB) -> None:
    [rid] = await _requests(storage_db, 1)
    async with storage_db.uow() as uow:
        first = await uow.jobs.enqueue(rid)
        again = await uow.jobs.enqueue(rid)
        await uow.commit()
    async with storage_db.uow() as uow:
        later = await uow.jobs.enqueue(rid, run_at=utcnow() + timedelta(hours=1))
        await uow.commit()
    assert first.id == again.id == later.id
    assert (later.status, later.attempts, later.max_attempts) == ("queued", 0, 5)
    assert later.next_run_at == first.next_run_at  # the existing job is returned untouched

    async def enqueue() -> int:
        async with storage_db.uow() as uow:
            job = await uow.jobs.enqueue(rid, kind="notify")
            await uow.commit()
            return job.id

    assert len(set(await asyncio.gather(*(enqueue() for _ in range(5))))) == 1


async def test_concurrent_claimers_never_share_a_job(storage_db: StorageDB) -> None:
    rids = await _requests(storage_db, 4)
    async with storage_db.uow() as uow:
        for rid in rids:
            await uow.jobs.enqueue(rid)
        await uow.commit()
    now = utcnow() + timedelta(seconds=1)

    async def claim(i: int) -> int | None:
        async with storage_db.uow() as uow:
            job = await uow.jobs.claim(f"runner-{i}", now=now)
            await uow.commit()
            return job.id if job else None

    claimed = await asyncio.wait_for(asyncio.gather(*(claim(i) for i in range(10))), timeout=60)
    got = [c for c in claimed if c is not None]
    assert len(got) == len(set(got))  # never the same job twice
    # Every job is taken at most once; the ones a loser could not reach are still claimable.
    async with storage_db.uow() as uow:
        while (job := await uow.jobs.claim("sweeper", now=now)) is not None:
            got.append(job.id)
        await uow.commit()
    assert len(got) == len(set(got)) == 4


async def test_claim_order_lease_and_reclaim_after_expiry(storage_db: StorageDB) -> None:
    rid_late, rid_early = await _requests(storage_db, 2)
    t0 = utcnow()
    async with storage_db.uow() as uow:
        await uow.jobs.enqueue(rid_late, run_at=t0 + timedelta(minutes=5))
        early = await uow.jobs.enqueue(rid_early, run_at=t0)
        await uow.commit()

    async with storage_db.uow() as uow:
        job = await uow.jobs.claim("runner-a", now=t0, lease_seconds=60)
        await uow.commit()
    assert job is not None and job.id == early.id
    assert (job.status, job.lease_owner, job.attempts) == ("running", "runner-a", 1)
    assert job.lease_until == t0 + timedelta(seconds=60)

    async with storage_db.uow() as uow:
        assert await uow.jobs.claim("runner-b", now=t0 + timedelta(seconds=30)) is None  # leased, late not due

    async with storage_db.uow() as uow:
        stolen = await uow.jobs.claim("runner-b", now=t0 + timedelta(seconds=61))
        await uow.commit()
    assert stolen is not None and stolen.id == early.id
    assert (stolen.lease_owner, stolen.attempts) == ("runner-b", 2)

    async with storage_db.uow() as uow:  # runner-a wakes up late: its lease is gone
        with pytest.raises(LeaseLost):
            await uow.jobs.complete(job)
    async with storage_db.uow() as uow:
        await uow.jobs.extend_lease(stolen, now=t0 + timedelta(seconds=90), lease_seconds=60)
        await uow.jobs.complete(stolen)
        await uow.commit()
    assert (stolen.status, stolen.lease_owner) == ("done", None)
    async with storage_db.uow() as uow:
        assert await uow.jobs.claim("runner-c", now=t0 + timedelta(minutes=2)) is None  # done; late not due
        late = await uow.jobs.claim("runner-c", now=t0 + timedelta(minutes=6))
        assert late is not None and late.request_id == rid_late


async def test_fail_with_retry_requeues_and_without_gives_up(storage_db: StorageDB) -> None:
    [rid] = await _requests(storage_db, 1)
    t0 = utcnow()
    async with storage_db.uow() as uow:
        await uow.jobs.enqueue(rid, run_at=t0)
        await uow.commit()
    async with storage_db.uow() as uow:
        job = await uow.jobs.claim("r", now=t0)
        assert job is not None
        await uow.jobs.fail(job, "429 throttled", retry_at=t0 + timedelta(seconds=10))
        await uow.commit()
    assert (job.status, job.last_error, job.lease_owner) == ("queued", "429 throttled", None)
    assert job.next_run_at == t0 + timedelta(seconds=10)

    async with storage_db.uow() as uow:
        assert await uow.jobs.claim("r", now=t0 + timedelta(seconds=5)) is None
        again = await uow.jobs.claim("r", now=t0 + timedelta(seconds=11))
        assert again is not None and again.attempts == 2
        await uow.jobs.fail(again, "403 forbidden", retry_at=None)
        await uow.commit()
    async with storage_db.uow() as uow:
        assert await uow.jobs.claim("r", now=t0 + timedelta(days=1)) is None
        stored = await uow.jobs.for_request(rid)
    assert stored is not None and (stored.status, stored.last_error) == (JobStatus.FAILED, "403 forbidden")


async def test_record_step_and_steps(storage_db: StorageDB) -> None:
    [rid] = await _requests(storage_db, 1)
    async with storage_db.uow() as uow:
        job = await uow.jobs.enqueue(rid)
        await uow.jobs.record_step(job.id, 0, "set_usage_location", StepStatus.DONE, {"country": "PL"})
        await uow.jobs.record_step(job.id, 1, "assign_license", StepStatus.FAILED, {"error": "429"})
        await uow.commit()
    async with storage_db.uow() as uow:  # the re-run finishes step 1
        step = await uow.jobs.record_step(job.id, 1, "assign_license", StepStatus.ALREADY_DONE)
        assert step.status == "already_done"
        await uow.commit()
    async with storage_db.uow() as uow:
        steps = await uow.jobs.steps(job.id)
    assert sorted(steps) == [0, 1]
    assert (steps[0].status, steps[0].detail) == ("done", {"country": "PL"})
    assert (steps[1].status, steps[1].detail) == ("already_done", {})
    assert steps[1].finished_at.tzinfo is not None

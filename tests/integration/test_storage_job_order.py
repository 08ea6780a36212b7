"""The outbox runs the jobs of one request that speak to people in the order they were enqueued, on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conftest_storage import StorageDB, make_request
from sqlalchemy import event

from storage.columns import utcnow
from storage.models import Job

pytest_plugins = ["storage_fixtures"]


async def _request(db: StorageDB) -> int:
    async with db.uow() as uow:
        request_id = (await uow.requests.add(make_request())).id
        await uow.commit()
    return request_id


async def _enqueue(db: StorageDB, request_id: int, *kinds: str, run_at: datetime | None = None) -> list[int]:
    async with db.uow() as uow:
        ids = [(await uow.jobs.enqueue(request_id, kind, run_at=run_at)).id for kind in kinds]
        await uow.commit()
    return ids


async def _claim(db: StorageDB, now: datetime, owner: str = "runner") -> Job | None:
    async with db.uow() as uow:
        job = await uow.jobs.claim(owner, now=now)
        await uow.commit()
    return job


async def _complete(db: StorageDB, job: Job) -> None:
    async with db.uow() as uow:
        await uow.jobs.complete(job)
        await uow.commit()


async def test_the_jobs_of_one_request_run_one_after_another_in_enqueue_order(storage_db: StorageDB) -> None:
    request_id = await _request(storage_db)
    now = utcnow() + timedelta(seconds=1)
    deliver, approved, completed = await _enqueue(storage_db, request_id, "deliver", "sync:approved",
                                                  "sync:completed")
    first = await _claim(storage_db, now)
    assert first is not None and first.id == deliver
    assert await _claim(storage_db, now, "another runner") is None  # both later ones wait while it runs
    await _complete(storage_db, first)
    second = await _claim(storage_db, now)
    assert second is not None and second.id == approved
    assert await _claim(storage_db, now, "another runner") is None
    await _complete(storage_db, second)
    third = await _claim(storage_db, now)
    assert third is not None and third.id == completed


async def test_other_requests_and_execution_are_not_held_back(storage_db: StorageDB) -> None:
    busy, other = await _request(storage_db), await _request(storage_db)
    now = utcnow() + timedelta(seconds=1)
    [deliver] = await _enqueue(storage_db, busy, "deliver")
    running = await _claim(storage_db, now)
    assert running is not None and running.id == deliver
    [execute, approved] = await _enqueue(storage_db, busy, "execute", "sync:approved")
    [elsewhere] = await _enqueue(storage_db, other, "deliver")
    # The change itself never waits for Teams; another request's messages never wait for this one's.
    claimed = {(await _claim(storage_db, now, f"runner-{n}")).id for n in range(2)}  # type: ignore[union-attr]
    assert claimed == {execute, elsewhere}
    assert await _claim(storage_db, now, "runner-3") is None  # sync:approved still waits for deliver
    # ... and an execution still running holds no message back.
    await _complete(storage_db, running)
    after = await _claim(storage_db, now)
    assert after is not None and after.id == approved


async def test_a_job_that_gave_up_lets_the_next_one_run_and_one_waiting_to_retry_does_not(
    storage_db: StorageDB,
) -> None:
    request_id = await _request(storage_db)
    t0 = utcnow() + timedelta(seconds=1)
    approved, completed = await _enqueue(storage_db, request_id, "sync:approved", "sync:completed", run_at=t0)
    job = await _claim(storage_db, t0)
    assert job is not None and job.id == approved
    async with storage_db.uow() as uow:  # Teams is down: retry in a minute
        await uow.jobs.fail(job, "TransientError: Bot Connector answered 503", retry_at=t0 + timedelta(minutes=1))
        await uow.commit()
    assert await _claim(storage_db, t0 + timedelta(seconds=30)) is None  # "done" must not overtake "approved"

    job = await _claim(storage_db, t0 + timedelta(minutes=2))
    assert job is not None and job.id == approved
    async with storage_db.uow() as uow:  # the last attempt: given up for good
        await uow.jobs.fail(job, "TransientError: Bot Connector answered 503", retry_at=None)
        await uow.commit()
    last = await _claim(storage_db, t0 + timedelta(minutes=2))
    assert last is not None and last.id == completed


async def test_a_job_whose_runner_vanished_holds_the_next_one_only_until_its_lease_runs_out(
    storage_db: StorageDB,
) -> None:
    request_id = await _request(storage_db)
    t0 = utcnow() + timedelta(seconds=1)
    approved, completed = await _enqueue(storage_db, request_id, "sync:approved", "sync:completed", run_at=t0)
    async with storage_db.uow() as uow:
        lost = await uow.jobs.claim("a runner that crashes", now=t0, lease_seconds=60)
        await uow.commit()
    assert lost is not None and lost.id == approved
    assert await _claim(storage_db, t0 + timedelta(seconds=30)) is None
    again = await _claim(storage_db, t0 + timedelta(seconds=61))  # the lease ran out: the same job, not the next
    assert again is not None and again.id == approved and again.attempts == 2
    await _complete(storage_db, again)
    last = await _claim(storage_db, t0 + timedelta(seconds=61))
    assert last is not None and last.id == completed


async def test_the_order_check_is_an_indexed_lookup_inside_the_one_claim_query(storage_db: StorageDB) -> None:
    """The candidate is still picked by one statement, and its earlier-job probe goes through the (request_id, kind)
    index rather than scanning the outbox (a seq scan is switched off on PostgreSQL, where tiny tables invite one)."""
    request_id = await _request(storage_db)
    await _enqueue(storage_db, request_id, "deliver", "sync:approved")
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    async with storage_db.uow() as uow:
        connection = await uow.session.connection()
        event.listen(connection.sync_connection, "before_cursor_execute", record)
        await uow.jobs.claim("runner", now=utcnow() + timedelta(seconds=1))
        event.remove(connection.sync_connection, "before_cursor_execute", record)
        [(select, parameters)] = [(s, p) for s, p in seen if "EXISTS" in s.upper() and "FROM jobs" in s]
        if storage_db.backend == "sqlite":
            plan = (await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + select, parameters)).all()
        else:
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = (await connection.exec_driver_sql("EXPLAIN " + select, parameters)).all()
        await uow.rollback()
    lines = [str(row[-1]) for row in plan]
    probe = [line for line in lines if "jobs_1" in line]
    assert probe and all("index" in line.lower() for line in probe), lines

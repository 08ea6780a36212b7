"""Crashes, restarts and upstream failures lose no request and apply no change twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data

from app import RUNNER
from cards.verbs import Verb
from handlers.directory_sync_run import LEASE
from handlers.directory_sync_users import USERS
from handlers.stopping import StopSignal
from storage.models import Job


async def _approved_request_for(desk: Desk, person) -> None:
    admin = desk.tenant.seed.demo_admin
    await desk.say(person, "request license E3")
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)


async def _wait_until(done: Callable[[], bool], what: str, *, seconds: float = 20.0) -> None:
    """Polls ``done``; generous, because CI machines run slower than ours. Fails naming what never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not done():
        if loop.time() > deadline:
            raise AssertionError(f"waited {seconds:.0f} s for {what}")
        await asyncio.sleep(0.02)


def _calls(desk: Desk, method: str, suffix: str) -> int:
    return len([c for c in desk.tenant.state.calls("graph") if c.method == method and c.path.endswith(suffix)])


async def test_transient_graph_failure_is_retried_and_each_step_applied_once(tenant, database_url: str) -> None:
    # The Graph client's own retries are off here, so the 503 reaches the job, which has to come back later.
    desk = await start_desk(tenant, desk_settings(tenant, database_url, graph_max_retries=0))
    try:
        await _transient_failure_scenario(desk)
    finally:
        await desk.client.close()


async def _transient_failure_scenario(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    person = seed.employee_without_usage_location
    await _approved_request_for(desk, person)
    desk.tenant.faults.set("graph", status=503, retry_after=0, times=1, path_contains="assignLicense")
    await desk.run_jobs()

    user = state.user(person.id)
    assert user["usageLocation"] == person.country
    assert state.sku("ENTERPRISEPACK")["skuId"] in [lic["skuId"] for lic in user["assignedLicenses"]]
    assert _calls(desk, "PATCH", f"/users/{person.id}") == 1, "the finished step was not repeated"
    async with desk.uow() as uow:
        [request] = await uow.requests.list_for_requester(person.id)
        assert request.state == "completed"
        job = await uow.jobs.for_request(request.id, "execute")
        assert job is not None and job.attempts == 2 and job.status == "done"
        actions = [event.action for event in await uow.audit.for_request(request.id)]
    assert actions.count("step.done") == 2


async def test_a_throttled_write_is_sent_once_per_attempt_and_completes_through_the_job(
    tenant, database_url: str
) -> None:
    # The Graph client keeps its retries for reads, but a change is sent once: the 429 reaches the job runner,
    # which comes back after Retry-After, re-reads, and sends it again. So one assignLicense per job attempt.
    desk = await start_desk(tenant, desk_settings(tenant, database_url))
    try:
        person = tenant.seed.demo_employee
        await _approved_request_for(desk, person)
        tenant.state.reset_call_log()
        tenant.faults.set("graph", status=429, retry_after=0, times=1, path_contains="assignLicense")
        await desk.run_jobs()
        assert [c.status for c in tenant.state.calls("graph") if c.path.endswith("/assignLicense")] == [429, 200]
        async with desk.uow() as uow:
            [request] = await uow.requests.list_for_requester(person.id)
            job = await uow.jobs.for_request(request.id, "execute")
        assert request.state == "completed"
        assert job is not None and job.attempts == 2 and job.status == "done"
    finally:
        await desk.client.close()


async def test_runner_crash_after_applying_a_step_resumes_without_repeating_it(tenant, database_url: str) -> None:
    seed, state = tenant.seed, tenant.state
    person = seed.employee_without_usage_location
    first = await start_desk(tenant, desk_settings(tenant, database_url))
    try:
        await _approved_request_for(first, person)
        # A runner claims the execute job, applies step 0 in the tenant, and dies before recording it.
        async with first.uow() as uow:
            job: Job | None = await uow.jobs.claim("runner-that-dies", lease_seconds=0)
            assert job is not None and job.kind == "execute"
            await uow.commit()
        state.user(person.id)["usageLocation"] = person.country
    finally:
        await first.client.close()

    state.reset_call_log()
    second = await start_desk(tenant, desk_settings(tenant, database_url))  # the restart
    try:
        await asyncio.sleep(0.01)  # the dead runner's lease is over
        await second.run_jobs()
        assert _calls(second, "PATCH", f"/users/{person.id}") == 0
        assert _calls(second, "POST", "/assignLicense") == 1
        async with second.uow() as uow:
            [request] = await uow.requests.list_for_requester(person.id)
            assert request.state == "completed"
            steps = await uow.jobs.steps((await uow.jobs.for_request(request.id, "execute")).id)
        assert [steps[i].status for i in sorted(steps)] == ["already_done", "done"]
        assert any("Done" in text for text in second.texts(person))
    finally:
        await second.client.close()


async def test_background_runner_delivers_without_being_asked(tenant, database_url: str) -> None:
    desk = await start_desk(tenant, desk_settings(tenant, database_url), run_jobs=True)
    try:
        await desk.say(tenant.seed.demo_employee, "request license E3")
        admin = tenant.seed.demo_admin
        await _wait_until(lambda: any("Approval needed" in str(c) for _, c in desk.cards(admin)), "an approval card")
    finally:
        await desk.client.close()


async def test_shutdown_lets_a_running_sync_end_its_page_and_leaves_nothing_behind(
    tenant, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A cancellation that lands inside a database call makes SQLAlchemy terminate the connection; with aiosqlite
    # that left a task behind which never ended, and the event loop's own shutdown then hung (CI, twice).
    # So shutdown asks the loops to stop and they end their unit of work; here the sync is mid-page when asked.
    slow_delta = tenant.faults.set("graph", latency_ms=700, path_contains="/users/delta")
    settings = desk_settings(tenant, database_url, sync_first_after_seconds=0)
    desk = await start_desk(tenant, settings, run_jobs=True)
    try:
        await _wait_until(lambda: slow_delta.hits > 0, "the sync to start")
    finally:
        with caplog.at_level(logging.INFO):
            await desk.client.close()
    assert "directory sync stopped for the shutdown" in caplog.text
    assert "cancelling it" not in caplog.text
    me = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() if t is not me and "sqlalchemy" in t.get_coro().cr_code.co_filename]
    assert not left, f"tasks left behind by the shutdown: {left}"

    tenant.faults.clear()
    again = await start_desk(tenant, settings)
    try:
        async with again.uow() as uow:
            state = await uow.sync_state.state(LEASE)
            cursor = await uow.sync_state.cursor(USERS)
        assert state is not None and state.lease_owner is None, "the stopped run hands its lease back"
        assert state.last_run is None, "a stopped run is not recorded as a run"
        assert cursor, "the page it finished is kept: the next run resumes after it"
    finally:
        await again.client.close()


async def test_unreachable_approver_is_audited_and_served_on_install(desk: Desk) -> None:
    seed = desk.tenant.seed
    await desk.say(seed.demo_employee, "request license E3")
    # Teams refuses to open a chat with someone who has not installed the app (403).
    desk.tenant.faults.set("connector", status=403, path_contains="/v3/conversations")
    await desk.run_jobs()
    desk.tenant.faults.clear()
    async with desk.uow() as uow:
        [request] = await uow.requests.list_for_requester(seed.demo_employee.id)
        actions = [e.action for e in await uow.audit.for_request(request.id)]
    assert request.state == "pending"
    assert "approver.unreachable" in actions
    assert not desk.cards(seed.demo_admin)
    # Installing the app (or opening the chat) hands over the cards that could not be delivered.
    activity = desk._base(seed.demo_admin, "en-US") | {"type": "installationUpdate", "action": "add"}
    activity.pop("text", None)
    await desk.post(activity)
    assert any(request.public_id in str(card) for _, card in desk.cards(seed.demo_admin))


def test_backoff_honours_retry_after() -> None:
    from handlers.jobs import _backoff
    from m365.errors import Throttled

    job = Job(attempts=3)
    assert _backoff(job, Throttled("slow down", retry_after=7)) == timedelta(seconds=7)
    assert timedelta(seconds=2) <= _backoff(job, Throttled("slow down")) <= timedelta(seconds=4)


async def test_runner_stops_when_cancelled_at_the_moment_it_is_woken(desk: Desk) -> None:
    # Python 3.11's asyncio.wait_for swallows a cancellation that lands while the awaited thing has just finished;
    # a runner woken in the same instant as the app shuts down then ran on forever and the shutdown never ended.
    runner = desk.app[RUNNER]
    for attempt in range(40):
        ticks = attempt % 4
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(0.03)  # the workers look for work, find none and wait to be woken
        runner.wake()
        for _ in range(ticks):
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=5)
        assert task in done, f"the runner ignored its cancellation ({ticks} loop turns after the wake-up)"


async def test_a_stopped_runner_finishes_the_execution_in_hand_and_then_returns(desk: Desk) -> None:
    # Shutdown asks the runner to stop instead of cancelling it: an approved change being applied is finished and
    # recorded, not cut between Graph and the database (the next replica would redo it, but the user would wait).
    employee = desk.tenant.seed.demo_employee
    await _approved_request_for(desk, employee)
    slow_assign = desk.tenant.faults.set("graph", latency_ms=400, path_contains="/assignLicense")
    runner, stop = desk.app[RUNNER], StopSignal()
    task = asyncio.create_task(runner.run(stop))
    await _wait_until(lambda: slow_assign.hits > 0, "the execution to start")
    stop.request()
    done, _ = await asyncio.wait([task], timeout=10)
    assert task in done and not task.cancelled() and task.exception() is None
    async with desk.uow() as uow:
        [request] = await uow.requests.list_for_requester(employee.id)
    assert request.state == "completed", "the execution in hand was finished before the runner returned"
    assert _calls(desk, "POST", "/assignLicense") == 1

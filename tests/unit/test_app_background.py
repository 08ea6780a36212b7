"""The app's background tasks: asked to stop on shutdown, cancelled only when they will not, and never able to hold
the shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from handlers.stopping import StopSignal
from runtime.background import supervised


async def test_a_loop_asked_to_stop_finishes_its_unit_of_work_and_returns() -> None:
    started, finished = asyncio.Event(), []

    async def loop(stop: StopSignal) -> None:
        while True:
            started.set()
            await asyncio.sleep(0.05)  # a unit of work that must not be cut (a job, a sync page)
            finished.append("unit")
            if await stop.sleep(3600):
                return

    async with asyncio.timeout(5):
        async with supervised("worker", loop):
            await started.wait()
            [task] = [t for t in asyncio.all_tasks() if t.get_name() == "worker"]
            assert not task.done()
    assert task.done() and not task.cancelled()
    assert finished == ["unit"]


async def test_a_loop_that_does_not_stop_in_time_is_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    async def deaf(stop: StopSignal) -> None:
        await asyncio.sleep(3600)

    with caplog.at_level(logging.WARNING, logger="desk"):
        async with asyncio.timeout(5):
            async with supervised("deaf", deaf, stop_seconds=0.1):
                await asyncio.sleep(0)
                [task] = [t for t in asyncio.all_tasks() if t.get_name() == "deaf"]
    assert task.cancelled()
    assert "deaf did not stop within" in caplog.text


async def test_a_task_that_swallows_its_cancellation_does_not_hold_the_shutdown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def stubborn(stop: StopSignal) -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # what asyncio.wait_for on 3.11 could do
                await asyncio.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="desk"):
        async with asyncio.timeout(5):
            async with supervised("stubborn", stubborn, stop_seconds=0.2):
                await asyncio.sleep(0.05)
    assert "stubborn ignored its cancellation" in caplog.text
    release.set()
    await asyncio.sleep(0.05)


async def test_a_failed_loop_is_logged_at_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(stop: StopSignal) -> None:
        raise RuntimeError("database gone")

    with caplog.at_level(logging.ERROR, logger="desk"):
        async with supervised("broken", broken):
            await asyncio.sleep(0.01)
    assert "broken had failed" in caplog.text and "database gone" in caplog.text


async def test_switched_off_work_starts_nothing() -> None:
    before = set(asyncio.all_tasks())
    async with supervised("off", None):
        assert set(asyncio.all_tasks()) == before


async def test_a_stop_wakes_a_sleeping_loop_and_events_it_was_told_about() -> None:
    stop, wakeup = StopSignal(), asyncio.Event()
    stop.also_wakes(wakeup)
    sleeper = asyncio.create_task(stop.sleep(3600))
    await asyncio.sleep(0)
    assert not await stop.sleep(0.01)
    stop.request()
    async with asyncio.timeout(1):
        assert await sleeper
    assert wakeup.is_set()
    late = asyncio.Event()
    stop.also_wakes(late)
    assert late.is_set(), "an event registered after the stop is set at once"

"""The app's background tasks: cancelled on shutdown, and a task that will not stop cannot hold the shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from app import _background


async def test_a_background_task_runs_for_the_lifetime_and_is_cancelled_after() -> None:
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        await asyncio.sleep(3600)

    async with _background("worker", work()):
        await asyncio.wait_for(started.wait(), 1)
        [task] = [t for t in asyncio.all_tasks() if t.get_name() == "worker"]
        assert not task.done()
    assert task.cancelled()


async def test_a_task_that_swallows_its_cancellation_does_not_hold_the_shutdown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # what asyncio.wait_for on 3.11 could do
                await asyncio.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="desk"):
        async with asyncio.timeout(5):
            async with _background("stubborn", stubborn(), stop_seconds=0.2):
                await asyncio.sleep(0.05)
    assert "stubborn ignored its cancellation" in caplog.text
    release.set()
    await asyncio.sleep(0.05)


async def test_switched_off_work_starts_nothing() -> None:
    before = set(asyncio.all_tasks())
    async with _background("off", None):
        assert set(asyncio.all_tasks()) == before

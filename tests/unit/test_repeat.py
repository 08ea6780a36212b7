"""The background loops' shared rhythm: a pass each period, a failed pass logged, not fatal; a stop between passes."""

from __future__ import annotations

import asyncio

import pytest

from handlers.stopping import StopSignal, repeat


async def test_a_failed_pass_is_logged_and_the_next_runs_until_stopped(caplog: pytest.LogCaptureFixture) -> None:
    stop = StopSignal()
    passes: list[int] = []

    async def work() -> None:
        passes.append(len(passes))
        if len(passes) == 1:
            raise RuntimeError("database away")
        if len(passes) == 3:
            stop.request()

    await asyncio.wait_for(repeat(work, every_seconds=0.01, stop=stop, what="test pass"), timeout=5)

    assert passes == [0, 1, 2]  # the failure did not end the loop; the stop ended it after the pass in hand
    assert [record.getMessage() for record in caplog.records] == ["test pass failed"]


async def test_a_stop_during_the_first_wait_runs_no_pass() -> None:
    stop = StopSignal()
    ran: list[bool] = []

    async def work() -> None:
        ran.append(True)

    task = asyncio.create_task(repeat(work, every_seconds=1, first_after_seconds=30, stop=stop, what="test pass"))
    await asyncio.sleep(0.01)
    stop.request()
    await asyncio.wait_for(task, timeout=5)
    assert ran == []

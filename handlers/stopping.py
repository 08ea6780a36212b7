"""A cooperative stop for the background loops: shutdown asks, each loop ends its unit of work and returns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class StopSignal:
    """Set once, on shutdown; loops look at it between units of work and sleep through ``sleep``.

    Why not just cancel: a cancellation that lands inside a database call makes SQLAlchemy terminate the
    connection, and with aiosqlite that termination can leave a task behind that never ends (it waits on a
    connection thread that has already stopped), which then hangs the event loop's own shutdown. A loop that
    is asked to stop finishes its job, sync page or check, returns, and leaves nothing behind.
    """

    def __init__(self) -> None:
        self._stopped = asyncio.Event()
        self._also_wake: list[asyncio.Event] = []

    @property
    def requested(self) -> bool:
        return self._stopped.is_set()

    def request(self) -> None:
        self._stopped.set()
        for event in self._also_wake:
            event.set()

    def also_wakes(self, event: asyncio.Event) -> None:
        """Sets ``event`` when a stop is requested, for a loop that waits on a wake-up event of its own."""
        self._also_wake.append(event)
        if self.requested:
            event.set()

    async def sleep(self, seconds: float) -> bool:
        """Sleeps ``seconds``, or less when a stop is requested meanwhile; True when it was."""
        await wait_at_most(self._stopped, seconds)
        return self.requested


async def wait_at_most(event: asyncio.Event, seconds: float) -> None:
    """Waits until ``event`` is set or ``seconds`` pass, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that lands just as the
        # event is set, and a loop waiting that way once ran on after shutdown, which then waited for it forever.
        async with asyncio.timeout(seconds):
            await event.wait()


async def repeat(
    work: Callable[[], Awaitable[object]],
    *,
    every_seconds: float,
    stop: StopSignal,
    what: str,
    first_after_seconds: float = 0,
) -> None:
    """Runs ``work`` every ``every_seconds`` until ``stop``: a failed pass (the database away) is logged and the next
    one runs on time; a stop ends the loop between passes, never inside one."""
    if await stop.sleep(first_after_seconds):
        return
    while True:
        try:
            await work()
        except Exception:  # noqa: BLE001 - one failed pass must not end the loop
            logger.exception("%s failed", what)
        if await stop.sleep(every_seconds):
            return

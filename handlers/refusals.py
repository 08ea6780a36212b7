"""The per-person budget of audited refusals: past it, a person's clicks on requests are refused at once, and counted.

A refused click costs a request lookup, a directory call and an audit event under the chain's head lock. One person
clicking in a loop (guessing request ids) must not be able to queue everyone's writes behind theirs, so each
person gets ``limit`` audited refusals per ``window``; past that, any click of theirs that names a request gets the
same refusal without touching the database or the directory, and the clicks refused that way are counted. The
count is written into that person's next audited refusal (``suppressed``), and the first click over the budget is
logged, so the audit log still accounts for every refused click. The budget lives in the process: with several
replicas, each has its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_LIMIT = 20  # a person who is refused this often within a minute is not clicking cards by hand
DEFAULT_WINDOW_S = 60.0
# People tracked at most; past it, windows that have ended are dropped first (a flood from many accounts
# cannot grow the process without bound).
MAX_PEOPLE = 10_000


@dataclass(slots=True)
class _Window:
    started: float
    audited: int = 0
    in_flight: int = 0  # clicks being checked now: each may become an audited refusal
    suppressed: int = 0  # refused unaudited in this window or carried over from an earlier one


class RefusalBudget:
    """Counts each person's audited refusals in fixed windows; ``over`` says when to stop auditing one by one."""

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._people: dict[str, _Window] = {}

    def over(self, user_id: str) -> int:
        """0 while this person has audited refusals left in the window, and the click is then checked under a
        reservation that ``release`` ends; past the budget, the click is counted and the number of this person's
        clicks refused unaudited so far is returned (1 for the first).

        Clicks being checked count against the budget, so a burst of simultaneous clicks cannot all slip past it.
        """
        window = self._window(user_id)
        if window.audited + window.in_flight >= self.limit:
            window.suppressed += 1
            return window.suppressed
        window.in_flight += 1
        return 0

    def release(self, user_id: str) -> None:
        """The click ``over`` let through was not refused: its reservation ends."""
        window = self._people.get(user_id)
        if window is not None and window.in_flight:
            window.in_flight -= 1

    def audited(self, user_id: str, *, reserved: bool = False) -> int:
        """Records one audited refusal (``reserved``: of a click ``over`` let through, whose reservation it uses
        up, so ``release`` is not called for it); returns how many of this person's refusals went unaudited
        before it."""
        window = self._window(user_id)
        if reserved and window.in_flight:
            window.in_flight -= 1
        window.audited += 1
        carried, window.suppressed = window.suppressed, 0
        return carried

    def __len__(self) -> int:
        """People tracked now."""
        return len(self._people)

    def _window(self, user_id: str) -> _Window:
        """This person's current window, opened now if they have none."""
        window = self._current(user_id)
        if window is None:
            self._forget_ended()
            window = self._people[user_id] = _Window(started=self._clock())
        return window

    def _current(self, user_id: str) -> _Window | None:
        window = self._people.get(user_id)
        if window is None:
            return None
        if self._clock() - window.started >= self.window_s:
            # A new window: the count of clicks refused unaudited is carried into it until it is written.
            window.started, window.audited = self._clock(), 0
        return window

    def _forget_ended(self) -> None:
        if len(self._people) < MAX_PEOPLE:
            return
        now = self._clock()
        ended = [uid for uid, w in self._people.items()
                 if now - w.started >= self.window_s and not w.suppressed and not w.in_flight]
        for user_id in ended:
            del self._people[user_id]
        if len(self._people) >= MAX_PEOPLE:  # all active: the oldest window goes (its count is in the log)
            del self._people[min(self._people, key=lambda uid: self._people[uid].started)]

"""The incident state machine (F18): which step may happen in which state, and the state it leads to.

    new ──claim──▶ in_progress ──wait──▶ waiting_for_user ──comment (the reporter answers) / claim──▶ in_progress
    in_progress / waiting_for_user ──resolve──▶ resolved ──confirm / auto-close──▶ closed
    resolved ──reopen──▶ in_progress
    new / in_progress / waiting_for_user ──escalate (first level only)──▶ new (unclaimed, at the second level)

Priority, category and comments change an open incident without moving it (a comment on one waiting for the
reporter answers the question and puts it back in progress). Anything else is refused and changes nothing.
"""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_USER = "waiting_for_user"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Step(enum.StrEnum):
    CLAIM = "claim"
    WAIT = "wait"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    PRIORITY = "priority"
    CATEGORY = "category"
    COMMENT = "comment"
    REOPEN = "reopen"
    CONFIRM = "confirm"
    AUTO_CLOSE = "auto_close"


OPEN_STATES = frozenset({State.NEW, State.IN_PROGRESS, State.WAITING_FOR_USER})
_SAME = None  # the step leaves the state as it is

# step → {from state: to state (None = unchanged)}
TRANSITIONS: dict[Step, dict[State, State | None]] = {
    Step.CLAIM: {State.NEW: State.IN_PROGRESS, State.IN_PROGRESS: _SAME,
                 State.WAITING_FOR_USER: State.IN_PROGRESS},
    Step.WAIT: {State.IN_PROGRESS: State.WAITING_FOR_USER},
    Step.RESOLVE: {State.IN_PROGRESS: State.RESOLVED, State.WAITING_FOR_USER: State.RESOLVED},
    Step.ESCALATE: {state: State.NEW for state in OPEN_STATES},
    Step.PRIORITY: {state: _SAME for state in OPEN_STATES},
    Step.CATEGORY: {state: _SAME for state in OPEN_STATES},
    Step.COMMENT: {State.NEW: _SAME, State.IN_PROGRESS: _SAME, State.WAITING_FOR_USER: State.IN_PROGRESS},
    Step.REOPEN: {State.RESOLVED: State.IN_PROGRESS},
    Step.CONFIRM: {State.RESOLVED: State.CLOSED},
    Step.AUTO_CLOSE: {State.RESOLVED: State.CLOSED},
}


class Refused(Exception):
    """The step is not allowed in the incident's state."""

    def __init__(self, step: Step, state: State) -> None:
        super().__init__(f"{step} is not allowed in state {state}")
        self.step = step
        self.state = state


def next_state(step: Step, state: State) -> State:
    """The state the step leads to from ``state``, or Refused."""
    allowed = TRANSITIONS[step]
    if state not in allowed:
        raise Refused(step, state)
    target = allowed[state]
    return state if target is None else target


def allowed(step: Step, state: State) -> bool:
    return state in TRANSITIONS[step]

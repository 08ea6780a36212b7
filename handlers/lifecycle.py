"""The request state machine: which event moves a request from which state to which. Pure, no I/O."""

from __future__ import annotations

import enum


class RequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EXECUTING = "executing"
    # Approved seat orders (license.seats): Graph cannot buy seats, so a person (the CSP partner) places the order
    # and marks it fulfilled; the request stays open, and its SLA clock runs, until then.
    AWAITING_FULFILMENT = "awaiting_fulfilment"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


class RequestEvent(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    EXPIRE = "expire"
    START = "start"
    SUCCEED = "succeed"
    FAIL = "fail"
    AWAIT_FULFILMENT = "await_fulfilment"
    FULFIL = "fulfil"


_FINAL = frozenset(
    {RequestState.COMPLETED, RequestState.FAILED, RequestState.REJECTED, RequestState.CANCELLED, RequestState.EXPIRED}
)

_TRANSITIONS: dict[tuple[RequestState, RequestEvent], RequestState] = {
    (RequestState.PENDING, RequestEvent.APPROVE): RequestState.APPROVED,
    (RequestState.PENDING, RequestEvent.REJECT): RequestState.REJECTED,
    (RequestState.PENDING, RequestEvent.CANCEL): RequestState.CANCELLED,
    (RequestState.PENDING, RequestEvent.EXPIRE): RequestState.EXPIRED,
    (RequestState.APPROVED, RequestEvent.START): RequestState.EXECUTING,
    # A job whose lease expired mid-run is started again: executing → executing is a resume, not a repeat,
    # because every step is idempotent and finished steps are skipped.
    (RequestState.EXECUTING, RequestEvent.START): RequestState.EXECUTING,
    (RequestState.EXECUTING, RequestEvent.SUCCEED): RequestState.COMPLETED,
    (RequestState.EXECUTING, RequestEvent.FAIL): RequestState.FAILED,
    # Seat orders: the execute job hands the approved order to the fulfillers instead of applying it.
    (RequestState.APPROVED, RequestEvent.AWAIT_FULFILMENT): RequestState.AWAITING_FULFILMENT,
    (RequestState.AWAITING_FULFILMENT, RequestEvent.FULFIL): RequestState.COMPLETED,
    # The partner could not place the order ("could not fulfil"), or it was withdrawn before it was placed.
    (RequestState.AWAITING_FULFILMENT, RequestEvent.FAIL): RequestState.FAILED,
    (RequestState.AWAITING_FULFILMENT, RequestEvent.CANCEL): RequestState.CANCELLED,
}


class InvalidTransition(Exception):
    def __init__(self, state: RequestState, event: RequestEvent) -> None:
        super().__init__(f"cannot {event.value} a request that is {state.value}")
        self.state = state
        self.event = event


def next_state(state: RequestState | str, event: RequestEvent) -> RequestState:
    """The state after ``event``; raises InvalidTransition when the event is not allowed in ``state``."""
    current = RequestState(state)
    try:
        return _TRANSITIONS[(current, event)]
    except KeyError:
        raise InvalidTransition(current, event) from None

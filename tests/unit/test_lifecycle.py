"""The request state machine allows exactly the documented transitions."""

import pytest

from handlers.lifecycle import InvalidTransition, RequestEvent, RequestState, next_state


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        ("pending", RequestEvent.APPROVE, RequestState.APPROVED),
        ("pending", RequestEvent.REJECT, RequestState.REJECTED),
        ("pending", RequestEvent.CANCEL, RequestState.CANCELLED),
        ("pending", RequestEvent.EXPIRE, RequestState.EXPIRED),
        ("approved", RequestEvent.START, RequestState.EXECUTING),
        ("executing", RequestEvent.START, RequestState.EXECUTING),
        ("executing", RequestEvent.SUCCEED, RequestState.COMPLETED),
        ("executing", RequestEvent.FAIL, RequestState.FAILED),
    ],
)
def test_allowed_transitions(state: str, event: RequestEvent, expected: RequestState) -> None:
    assert next_state(state, event) is expected


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("approved", RequestEvent.APPROVE),
        ("rejected", RequestEvent.APPROVE),
        ("completed", RequestEvent.START),
        ("pending", RequestEvent.START),
        ("pending", RequestEvent.SUCCEED),
        ("failed", RequestEvent.SUCCEED),
        ("cancelled", RequestEvent.APPROVE),
    ],
)
def test_forbidden_transitions_raise(state: str, event: RequestEvent) -> None:
    with pytest.raises(InvalidTransition):
        next_state(state, event)


def test_every_final_state_accepts_no_event() -> None:
    finals = [s for s in RequestState if s.is_final]
    assert set(finals) == {"completed", "failed", "rejected", "cancelled", "expired"}
    for state in finals:
        for event in RequestEvent:
            with pytest.raises(InvalidTransition):
                next_state(state, event)

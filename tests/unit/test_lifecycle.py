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
        # Seat orders: handed to a person, who fulfils them (or cannot); they may be withdrawn while they wait.
        ("approved", RequestEvent.AWAIT_FULFILMENT, RequestState.AWAITING_FULFILMENT),
        ("awaiting_fulfilment", RequestEvent.FULFIL, RequestState.COMPLETED),
        ("awaiting_fulfilment", RequestEvent.FAIL, RequestState.FAILED),
        ("awaiting_fulfilment", RequestEvent.CANCEL, RequestState.CANCELLED),
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
        ("pending", RequestEvent.AWAIT_FULFILMENT),
        ("executing", RequestEvent.AWAIT_FULFILMENT),
        ("approved", RequestEvent.FULFIL),
        ("executing", RequestEvent.FULFIL),
        ("awaiting_fulfilment", RequestEvent.START),
        ("awaiting_fulfilment", RequestEvent.SUCCEED),
        ("awaiting_fulfilment", RequestEvent.APPROVE),
        ("awaiting_fulfilment", RequestEvent.AWAIT_FULFILMENT),
        ("completed", RequestEvent.FULFIL),
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


def test_awaiting_fulfilment_is_open_for_the_sla_clock() -> None:
    # Open states keep the SLA clock running (handlers.requests.is_breached, storage.queries.sla_counts).
    assert not RequestState.AWAITING_FULFILMENT.is_final
    assert len(RequestState.AWAITING_FULFILMENT.value) <= 20  # the requests.state column

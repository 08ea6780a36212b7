"""Generated activities and Action.Execute clicks over HTTP: no 5xx, no traceback, invalid ones change nothing."""

from __future__ import annotations

import logging

import pytest
from desk_harness import Desk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import ENGINE
from bench.fuzz_activities import Case, Tally, Target, TracebackCounter, cases, send_and_check

# A few hundred in CI; `make fuzz` (bench/fuzz_activities.py) runs the same generator 10,000 times and more.
EXAMPLES = 250


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the contract is the same on PostgreSQL
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    # One desk for all examples: state carries over, so each example compares its own before and after.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
async def test_any_activity_gets_a_clear_answer_and_invalid_ones_change_nothing(
    desk: Desk, data: st.DataObject
) -> None:
    case: Case = data.draw(cases(Target.of(desk.tenant)), label="case")
    tally = Tally()
    counter = TracebackCounter()
    logging.getLogger().addHandler(counter)
    try:
        status = await send_and_check(desk.client, desk.app[ENGINE], desk.tenant, case, tally)
    finally:
        logging.getLogger().removeHandler(counter)
    assert status < 500, tally.examples
    assert tally.invalid_state_changes == 0, tally.examples
    assert tally.wrong_status == 0, tally.examples
    assert [record.getMessage() for record in counter.records] == [], case.what

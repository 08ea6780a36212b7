"""devtenant's Graph identity write limit: a token bucket of 3,000 writes per 150 s per app and tenant."""

from __future__ import annotations

import pytest

from devtenant.faults import WRITE_LIMIT, WRITE_WINDOW_S, FaultInjector, WriteThrottle, is_identity_write


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_documented_limit_is_twenty_writes_a_second() -> None:
    throttle = WriteThrottle()
    assert (throttle.limit, throttle.window_s, throttle.rate) == (WRITE_LIMIT, WRITE_WINDOW_S, 20.0)


def test_a_full_bucket_takes_a_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    throttle = WriteThrottle(limit=3000, window_s=150, clock=clock)
    assert all(throttle.take("app/tenant") is None for _ in range(3000))
    assert throttle.take("app/tenant") == 1.0  # Retry-After in whole seconds, as Graph sends it
    clock.now += 1.0
    assert all(throttle.take("app/tenant") is None for _ in range(20))
    assert throttle.take("app/tenant") is not None
    assert (throttle.allowed, throttle.throttled) == (3020, 2)


def test_an_empty_start_paces_writes_from_the_first_one() -> None:
    clock = Clock()
    throttle = WriteThrottle(limit=10, window_s=5, start_tokens=0, clock=clock)  # 2 writes/s
    assert throttle.take("k") == 1.0
    clock.now += 0.5
    assert throttle.take("k") is None and throttle.take("k") == 1.0
    clock.now += 100
    assert sum(throttle.take("k") is None for _ in range(20)) == 10  # never more than the bucket holds


def test_buckets_are_per_app_and_tenant() -> None:
    throttle = WriteThrottle(limit=1, window_s=60, clock=Clock())
    assert throttle.take("app-a/t") is None and throttle.take("app-a/t") is not None
    assert throttle.take("app-b/t") is None


@pytest.mark.parametrize(
    ("method", "path", "counted"),
    [
        ("POST", "/v1.0/users/u1/assignLicense", True),
        ("PATCH", "/v1.0/users/u1", True),
        ("POST", "/v1.0/groups/g1/members/$ref", True),
        ("DELETE", "/v1.0/groups/g1/members/u1/$ref", True),
        ("GET", "/v1.0/users/u1", False),
        ("POST", "/v1.0/users/u1/checkMemberGroups", False),
        ("POST", "/v1.0/$batch", False),  # each item inside is counted on its own
        ("POST", "/v1.0/subscribedSkus", False),
        ("POST", "/v1.0/users/desk@contoso.com/messages", False),  # mail has Outlook's limits, not identity writes
        ("POST", "/v1.0/users/desk@contoso.com/messages/m1/send", False),
        ("POST", "/v1.0/users/desk@contoso.com/sendMail", False),
    ],
)
def test_which_requests_are_identity_writes(method: str, path: str, counted: bool) -> None:
    assert is_identity_write(method, path) is counted


def test_switched_on_and_off_with_the_other_faults() -> None:
    faults = FaultInjector()
    assert faults.write_throttle is None
    throttle = faults.throttle_writes_from_json({"limit": 100, "window_s": 10, "start_tokens": 0})
    assert faults.write_throttle is throttle and throttle.rate == 10
    faults.clear("exchange")
    assert faults.write_throttle is throttle
    faults.clear()
    assert faults.write_throttle is None
    with pytest.raises(ValueError, match="unknown throttle fields"):
        faults.throttle_writes_from_json({"burst": 1})
    with pytest.raises(ValueError):
        faults.throttle_writes(limit=10, start_tokens=11)

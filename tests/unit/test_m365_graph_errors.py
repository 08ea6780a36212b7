"""Graph statuses and error texts become the right typed errors."""

from __future__ import annotations

import pytest

from m365.errors import (
    GroupAssignedLicense,
    InvalidRequest,
    NoFreeSeats,
    NotFound,
    PermissionDenied,
    Throttled,
    TransientError,
    UsageLocationMissing,
)
from m365.graph import map_api_error, map_graph_error, retry_after_seconds


def test_missing_usage_location() -> None:
    error = map_graph_error(
        400, "Request_BadRequest", "License assignment cannot be done for user with invalid usage location."
    )
    assert isinstance(error, UsageLocationMissing)
    assert error.code == "Request_BadRequest"


@pytest.mark.parametrize(
    "message",
    [
        "Subscription with SKU 06ebc4ee-1bb5-47dd-8120-11324bc54e06 does not have any available licenses.",
        "License assignment failed: CountViolation",
    ],
)
def test_no_free_seats(message: str) -> None:
    assert isinstance(map_graph_error(400, "Request_BadRequest", message), NoFreeSeats)


def test_group_inherited_license() -> None:
    message = (
        "User license is inherited from a group membership and it cannot be removed directly from the user."
    )
    assert isinstance(map_graph_error(400, "Request_BadRequest", message), GroupAssignedLicense)


def test_other_400_is_invalid_request() -> None:
    error = map_graph_error(400, "Request_UnsupportedQuery", "Unsupported query.")
    assert type(error) is InvalidRequest


@pytest.mark.parametrize(
    ("status", "kind"), [(401, PermissionDenied), (403, PermissionDenied), (404, NotFound)]
)
def test_status_classes(status: int, kind: type) -> None:
    assert type(map_graph_error(status, "x", "y")) is kind


def test_429_carries_retry_after() -> None:
    error = map_graph_error(429, "TooManyRequests", "Too many requests", {"Retry-After": "2.128"})
    assert isinstance(error, Throttled)
    assert error.retry_after == pytest.approx(2.128)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_transient(status: int) -> None:
    error = map_graph_error(status, "serviceNotAvailable", "try later")
    assert isinstance(error, TransientError)
    assert not isinstance(error, Throttled)


def test_retry_after_is_read_case_insensitively_and_tolerates_garbage() -> None:
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds(None) is None


def test_sdk_odata_error_is_mapped_from_its_body() -> None:
    from msgraph.generated.models.o_data_errors.main_error import MainError
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    exc = ODataError(error=MainError(code="Request_ResourceNotFound", message="Resource 'x' does not exist"))
    exc.response_status_code = 404
    error = map_api_error(exc)
    assert isinstance(error, NotFound)
    assert error.code == "Request_ResourceNotFound"

"""Exchange InvokeCommand error bodies and statuses become the right typed errors."""

from __future__ import annotations

import pytest

from m365.errors import (
    CmdletNotAllowed,
    ExchangeCmdletError,
    ExchangeNotFound,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Throttled,
    TransientError,
)
from m365.exchange import ExchangeClient
from m365.exchange_cmdlets import ALLOWED_CMDLETS
from m365.exchange_errors import exchange_error, parse_error_detail

NOT_FOUND_DETAIL = (
    "Ex6F9304|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|"
    "The operation couldn't be performed because object 'nope@contoso.com' couldn't be found on "
    "'DB3PR01A001DC01.EURPR01A001.prod.outlook.com'."
)


def _body(detail: str, code: str = "BadRequest") -> dict[str, object]:
    return {
        "error": {
            "code": code,
            "message": "Error executing cmdlet",
            "details": [{"code": "Client", "target": "", "message": detail}],
            "innererror": {
                "message": "Error executing cmdlet",
                "type": "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
            },
        }
    }


def test_detail_splits_into_id_type_and_text() -> None:
    detail = parse_error_detail(NOT_FOUND_DETAIL)
    assert detail.error_id == "Ex6F9304"
    assert detail.exception_type == "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
    assert detail.exception_name == "ManagementObjectNotFoundException"
    assert detail.text.startswith("The operation couldn't be performed")


def test_detail_keeps_pipes_inside_the_text() -> None:
    detail = parse_error_detail("E1|Some.Exception|a | b | c")
    assert (detail.error_id, detail.exception_type, detail.text) == ("E1", "Some.Exception", "a | b | c")


def test_detail_without_pipes_is_all_text() -> None:
    detail = parse_error_detail("Something went wrong")
    assert (detail.error_id, detail.exception_type, detail.text) == ("", "", "Something went wrong")


def test_management_object_not_found_is_both_not_found_and_cmdlet_error() -> None:
    error = exchange_error(404, _body(NOT_FOUND_DETAIL), cmdlet="Get-DistributionGroup")
    assert isinstance(error, ExchangeNotFound)
    assert isinstance(error, NotFound)
    assert isinstance(error, ExchangeCmdletError)
    assert error.error_id == "Ex6F9304"
    assert error.status == 404
    assert "Get-DistributionGroup" in error.message


def test_other_cmdlet_exceptions_keep_their_type() -> None:
    detail = (
        "Ex2F9A4E|Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException|"
        'The recipient "anna@contoso.com" is already a member of the group "marketing@contoso.com".'
    )
    error = exchange_error(400, _body(detail))
    assert type(error) is ExchangeCmdletError
    assert error.exception_type.endswith("MemberAlreadyExistsException")


def test_inner_internal_exception_is_the_fallback_detail() -> None:
    body = {
        "error": {
            "code": "InternalServerError",
            "message": "Error executing cmdlet",
            "innererror": {"internalexception": {"message": "E1|X.Y.MemberNotFoundException|not a member"}},
        }
    }
    error = exchange_error(400, body)
    assert isinstance(error, ExchangeCmdletError)
    assert error.exception_type == "X.Y.MemberNotFoundException"


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_permission_denied(status: int) -> None:
    assert isinstance(
        exchange_error(status, {"error": {"code": "Unauthorized", "message": "no"}}), PermissionDenied
    )


def test_429_is_throttled_with_retry_after() -> None:
    error = exchange_error(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"})
    assert isinstance(error, Throttled)
    assert error.retry_after == 7.0


@pytest.mark.parametrize("status", [408, 503, 504])
def test_retryable_statuses_are_transient(status: int) -> None:
    error = exchange_error(status, "<html>gateway</html>")
    assert isinstance(error, TransientError)
    assert not isinstance(error, Throttled)


def test_concurrency_limit_text_is_transient_whatever_the_status() -> None:
    body = _body(
        "E1|Microsoft.Exchange.Throttling|You have reached the maximum number of concurrent requests per "
        "tenant. Please wait and try again"
    )
    assert isinstance(exchange_error(400, body), TransientError)


def test_500_without_detail_is_transient_and_400_without_detail_is_invalid() -> None:
    assert isinstance(exchange_error(500, "oops"), TransientError)
    assert isinstance(
        exchange_error(400, {"error": {"code": "BadRequest", "message": "bad"}}), InvalidRequest
    )


def test_allow_list_has_the_reads_and_the_writes_we_need() -> None:
    for name in (
        "Get-DistributionGroup",
        "Get-DistributionGroupMember",
        "Add-DistributionGroupMember",
        "Remove-DistributionGroupMember",
        "Get-Recipient",
        "Get-Mailbox",
        "New-DistributionGroup",
        "Set-DistributionGroup",
        "Remove-DistributionGroup",
        "New-Mailbox",
        "Set-Mailbox",
        "Remove-Mailbox",
        "Add-MailboxPermission",
        "Remove-MailboxPermission",
        "Add-RecipientPermission",
        "Remove-RecipientPermission",
    ):
        assert name in ALLOWED_CMDLETS
    assert "Invoke-Expression" not in ALLOWED_CMDLETS


class _NoTokens:
    async def token(self, scope: str) -> str:
        raise AssertionError("a refused cmdlet must not even ask for a token")


class _NoSession:
    def post(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("a refused cmdlet must not reach the network")


async def test_cmdlet_outside_the_allow_list_is_refused_before_any_io() -> None:
    client = ExchangeClient(
        "https://exchange.invalid/adminapi/beta",
        "t",
        _NoTokens(),
        session=_NoSession(),  # type: ignore[arg-type]
    )
    with pytest.raises(CmdletNotAllowed):
        await client.invoke("Set-OrganizationConfig", {"Identity": "x"})


async def test_select_takes_property_names_only() -> None:
    client = ExchangeClient(
        "https://exchange.invalid/adminapi/beta",
        "t",
        _NoTokens(),
        session=_NoSession(),  # type: ignore[arg-type]
    )
    with pytest.raises(InvalidRequest):
        await client.invoke("Get-Mailbox", {}, select=("DisplayName&$filter=x",))

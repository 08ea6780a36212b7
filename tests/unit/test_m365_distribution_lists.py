"""ExchangeDistributionLists logic that the emulator does not exercise: owner names and error outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from m365.distribution_lists import ExchangeDistributionLists
from m365.errors import ExchangeCmdletError, ExchangeNotFound, M365Error, TransientError
from m365.exchange import ExchangeResult
from m365.ports import MemberChange

MARKETING = {
    "ExternalDirectoryObjectId": "dl-1",
    "Name": "Marketing Team",
    "DisplayName": "Marketing Team",
    "PrimarySmtpAddress": "marketing@contoso.com",
    "Alias": "marketing",
    # Real Exchange gives owners as recipient names, not addresses.
    "ManagedBy": ["Lena Schmidt", "Gone Owner"],
    "MemberJoinRestriction": "Closed",
    "IsDirSynced": False,
}
EVENTS = {**MARKETING, "ExternalDirectoryObjectId": "dl-2", "Alias": "events", "ManagedBy": ["Lena Schmidt"]}


class ScriptedExchange:
    """Answers cmdlets from a script: a callable per cmdlet name; records every call."""

    def __init__(self, script: Mapping[str, Any]) -> None:
        self.script = script
        self.calls: list[tuple[str, dict[str, object]]] = []
        self.batches = 0

    async def invoke(
        self,
        cmdlet: str,
        parameters: Mapping[str, object],
        *,
        select: Sequence[str] = (),
        anchor: str | None = None,
    ) -> ExchangeResult:
        self.calls.append((cmdlet, dict(parameters)))
        return self.script[cmdlet](dict(parameters))

    async def invoke_batch(
        self,
        commands: Sequence[tuple[str, Mapping[str, object]]],
        *,
        select: Sequence[str] = (),
        anchor: str | None = None,
    ) -> list[ExchangeResult | M365Error]:
        """Like ExchangeClient.invoke_batch: one outcome per command, errors returned, not raised."""
        self.batches += 1
        outcomes: list[ExchangeResult | M365Error] = []
        for cmdlet, parameters in commands:
            try:
                outcomes.append(await self.invoke(cmdlet, parameters, select=select))
            except M365Error as exc:
                outcomes.append(exc)
        return outcomes


def _recipient(parameters: dict[str, object]) -> ExchangeResult:
    if parameters["Identity"] == "Lena Schmidt":
        return ExchangeResult([{"PrimarySmtpAddress": "lena.schmidt@contoso.com"}])
    raise ExchangeNotFound("not found", exception_type="X.ManagementObjectNotFoundException")


def _lists(client: ScriptedExchange) -> ExchangeDistributionLists:
    return ExchangeDistributionLists(client)  # type: ignore[arg-type]


async def test_owner_names_are_resolved_once_per_call() -> None:
    client = ScriptedExchange(
        {"Get-DistributionGroup": lambda p: ExchangeResult([MARKETING, EVENTS]), "Get-Recipient": _recipient}
    )
    found = await _lists(client).find_lists("ma")
    assert [dl.managed_by for dl in found] == [
        ("lena.schmidt@contoso.com", "Gone Owner"),  # a deleted owner keeps its name, visibly unresolved
        ("lena.schmidt@contoso.com",),
    ]
    assert [c for c in client.calls if c[0] == "Get-Recipient"] == [
        ("Get-Recipient", {"Identity": "Lena Schmidt"}),
        ("Get-Recipient", {"Identity": "Gone Owner"}),
    ]
    assert client.calls[0] == ("Get-DistributionGroup", {"ResultSize": 25, "Anr": "ma"})
    assert client.batches == 1  # several names: one $batch, not one request each


async def test_one_owner_name_is_resolved_without_a_batch() -> None:
    client = ScriptedExchange(
        {"Get-DistributionGroup": lambda p: ExchangeResult([EVENTS]), "Get-Recipient": _recipient}
    )
    [found] = await _lists(client).find_lists("ev")
    assert found.managed_by == ("lena.schmidt@contoso.com",) and client.batches == 0


async def test_an_owner_lookup_that_fails_otherwise_fails_the_read() -> None:
    outage = TransientError("busy", status=503)
    client = ScriptedExchange({"Get-DistributionGroup": lambda p: ExchangeResult([MARKETING]),
                               "Get-Recipient": _raise(outage)})
    with pytest.raises(TransientError):
        await _lists(client).find_lists("ma")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T10:11:12Z", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01T12:11:12+02:00", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),
        ("2024-05-01T10:11:12", datetime(2024, 5, 1, 10, 11, 12, tzinfo=UTC)),  # Exchange omits the zone: UTC
        ("not a date", None),
        (None, None),
    ],
)
async def test_changed_at_reads_when_changed_utc_in_any_iso_form(value: Any, expected: datetime | None) -> None:
    row = {**EVENTS, "ManagedBy": ["lena.schmidt@contoso.com"], "WhenChangedUTC": value,
           "RequireSenderAuthenticationEnabled": "False"}
    client = ScriptedExchange({"Get-DistributionGroup": lambda p: ExchangeResult([row])})
    found = await _lists(client).get_list("events")
    assert found is not None and found.changed_at == expected
    assert found.accepts_external_senders is True  # "False" as a string, as some REST answers carry booleans


async def test_incremental_read_filters_on_whole_utc_seconds() -> None:
    client = ScriptedExchange({"Get-DistributionGroup": lambda p: ExchangeResult([])})
    since = datetime(2024, 5, 1, 12, 0, 5, 900_000, tzinfo=timezone(timedelta(hours=2)))
    await _lists(client).all_lists(since)
    assert client.calls == [("Get-DistributionGroup", {
        "ResultSize": "Unlimited", "Filter": "WhenChangedUTC -ge '2024-05-01T10:00:05Z'"})]


def _raise(exc: Exception) -> Any:
    def handler(parameters: dict[str, object]) -> ExchangeResult:
        raise exc

    return handler


MEMBER_EXISTS = ExchangeCmdletError(
    "already a member", exception_type="Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException"
)
MEMBER_MISSING = ExchangeCmdletError(
    "not a member", exception_type="Microsoft.Exchange.Management.Tasks.MemberNotFoundException"
)
OBJECT_MISSING = ExchangeNotFound(
    "Couldn't find object",
    exception_type="Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
)


async def test_add_sends_the_bypass_switch_and_maps_already_present() -> None:
    client = ScriptedExchange({"Add-DistributionGroupMember": _raise(MEMBER_EXISTS)})
    assert await _lists(client).add_member("marketing", "anna@contoso.com") is MemberChange.ALREADY_PRESENT
    assert client.calls == [
        (
            "Add-DistributionGroupMember",
            {"Identity": "marketing", "Member": "anna@contoso.com", "BypassSecurityGroupManagerCheck": True},
        )
    ]


async def test_remove_maps_member_not_found_to_not_present() -> None:
    client = ScriptedExchange({"Remove-DistributionGroupMember": _raise(MEMBER_MISSING)})
    assert await _lists(client).remove_member("marketing", "anna@contoso.com") is MemberChange.NOT_PRESENT
    assert client.calls[0][1]["Confirm"] is False


async def test_remove_of_an_unknown_recipient_from_an_existing_list_is_not_present() -> None:
    client = ScriptedExchange(
        {
            "Remove-DistributionGroupMember": _raise(OBJECT_MISSING),
            "Get-DistributionGroup": lambda p: ExchangeResult([EVENTS]),
            "Get-Recipient": _recipient,
        }
    )
    assert await _lists(client).remove_member("events", "ghost@contoso.com") is MemberChange.NOT_PRESENT


async def test_remove_from_an_unknown_list_raises() -> None:
    client = ScriptedExchange(
        {
            "Remove-DistributionGroupMember": _raise(OBJECT_MISSING),
            "Get-DistributionGroup": _raise(OBJECT_MISSING),
        }
    )
    with pytest.raises(ExchangeNotFound):
        await _lists(client).remove_member("nope", "anna@contoso.com")


async def test_other_cmdlet_errors_propagate() -> None:
    denied = ExchangeCmdletError("synced", exception_type="X.RecipientTaskException")
    client = ScriptedExchange({"Add-DistributionGroupMember": _raise(denied)})
    with pytest.raises(ExchangeCmdletError):
        await _lists(client).add_member("legal", "anna@contoso.com")

"""ExchangeDistributionLists logic that the emulator does not exercise: owner names and error outcomes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from m365.distribution_lists import ExchangeDistributionLists
from m365.errors import ExchangeCmdletError, ExchangeNotFound
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

"""devtenant's Exchange reads -Identity as Exchange does: "*" is a wildcard, a Get- cmdlet returns every object the
identity names, a cmdlet that changes one object refuses several; an -Filter literal is never a pattern."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")

AMBIGUOUS = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"


def _names(reply: Any) -> set[str]:
    assert reply.status == 200, reply.body
    return {row["DisplayName"] for row in reply.body["value"]}


async def test_a_star_in_identity_is_a_wildcard_for_get_cmdlets(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    every_list = {g["DisplayName"] for g in tenant.state.exo_groups.values()}
    assert _names(await tenant_client.exo("Get-DistributionGroup", {"Identity": "*"})) == every_list
    assert _names(await tenant_client.exo("Get-DistributionGroup", {"Identity": "*Team*"})) == {"Marketing Team"}
    assert _names(await tenant_client.exo("Get-DistributionGroup", {"Identity": "sales*"})) == {
        "Sales Poland", "Sales DACH", "Sales UK & US"}
    mailboxes = await tenant_client.exo("Get-Mailbox", {"Identity": "*inbox*"})
    assert _names(mailboxes) == {"Sales Team Inbox"}
    recipients = await tenant_client.exo("Get-Recipient", {"Identity": "marketing*"})
    assert _names(recipients) == {"Marketing Team", "Marketing Events"}
    # "?" and "[" are characters of a name there, not wildcards.
    reply = await tenant_client.exo("Get-DistributionGroup", {"Identity": "Book Clu?"})
    assert reply.status == 400 and "couldn't be found" in reply.body["error"]["details"][0]["message"]


async def test_changing_cmdlets_refuse_a_wildcard_naming_several(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    reply = await tenant_client.exo("Remove-DistributionGroup", {
        "Identity": "Sales*", "BypassSecurityGroupManagerCheck": True, "Confirm": False})
    assert reply.status == 400 and AMBIGUOUS in reply.body["error"]["details"][0]["message"]
    assert len([g for g in tenant.state.exo_groups.values() if g["DisplayName"].startswith("Sales")]) == 3


async def test_get_returns_every_group_with_the_same_name(tenant_client: Any) -> None:
    tenant = tenant_client.tenant
    seed = tenant.seed
    created = await tenant_client.exo("New-DistributionGroup", {
        "Name": "Book Club Krakow", "DisplayName": "Book Club", "Alias": "book-club-krk",
        "ManagedBy": [seed.list_owner.mail]})
    assert created.status == 200, created.body
    both = await tenant_client.exo("Get-DistributionGroup", {"Identity": "Book Club"})
    assert [row["Alias"] for row in both.body["value"]] == ["book-club", "book-club-krk"]
    reply = await tenant_client.exo("Set-DistributionGroup", {
        "Identity": "Book Club", "Description": ["x"], "BypassSecurityGroupManagerCheck": True})
    assert reply.status == 400 and AMBIGUOUS in reply.body["error"]["details"][0]["message"]


async def test_a_quoted_filter_literal_is_exact(tenant_client: Any) -> None:
    star = await tenant_client.exo("Get-DistributionGroup", {"Filter": "(DisplayName -eq '*') -or (Alias -eq '*')"})
    assert _names(star) == set()
    quote = await tenant_client.exo("Get-DistributionGroup", {"Filter": "DisplayName -eq 'O''Brien'' -or ''x'"})
    assert _names(quote) == set()
    exact = await tenant_client.exo("Get-DistributionGroup", {"Filter": "DisplayName -eq 'marketing team'"})
    assert _names(exact) == {"Marketing Team"}
    like = await tenant_client.exo("Get-DistributionGroup", {"Filter": "DisplayName -like 'Sales ?ACH'"})
    assert _names(like) == set(), "OPATH's only wildcard is '*'"

"""The Exchange ports select by exact name only (m365/exchange_names.py), against devtenant over HTTPS: "*" and other
pattern characters are plain characters of a name, and several objects with one name are all returned."""

from __future__ import annotations

import pytest

from devtenant import DevTenant, Seed
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import ExchangeClient
from m365.exchange_names import exact_name_filter, opath_literal
from m365.mailboxes import ExchangeMailboxes
from m365.ports import NewDistributionList
from m365.recipients import ExchangeRecipients

pytest_plugins = ["m365_fixtures"]
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # How the Exchange adapters escape names into OPATH filters and -Identity: the memory tenant has no such text.
    pytest.mark.devtenant_only("the Exchange adapters' OPATH and -Identity escaping"),
]


@pytest.fixture
def mailboxes(exchange: ExchangeClient) -> ExchangeMailboxes:
    return ExchangeMailboxes(exchange)


@pytest.fixture
def recipients(exchange: ExchangeClient) -> ExchangeRecipients:
    return ExchangeRecipients(exchange)


async def test_a_typed_value_cannot_leave_its_opath_literal() -> None:
    assert opath_literal("O'Brien") == "'O''Brien'"
    assert exact_name_filter("x' -or Name -like '*") == (
        "(Name -eq 'x'' -or Name -like ''*') -or (DisplayName -eq 'x'' -or Name -like ''*') -or "
        "(Alias -eq 'x'' -or Name -like ''*') -or (PrimarySmtpAddress -eq 'x'' -or Name -like ''*')")


@pytest.mark.parametrize("pattern", ["*", "*Team*", "Sales*", "%", "_", "Book Clu?", "[BS]*", "x' -or Name -like '*"])
async def test_patterns_name_nothing(
    pattern: str, distribution_lists: ExchangeDistributionLists, mailboxes: ExchangeMailboxes,
    recipients: ExchangeRecipients,
) -> None:
    assert await distribution_lists.lists_named(pattern) == []
    assert await distribution_lists.get_list(pattern) is None
    assert await mailboxes.mailboxes_named(pattern) == []
    assert await recipients.get_recipient(pattern) is None


async def test_exact_names_any_case_and_every_address(
    distribution_lists: ExchangeDistributionLists, mailboxes: ExchangeMailboxes, seed: Seed, tenant: DevTenant,
) -> None:
    dl = seed.open_list
    proxy = f"{dl.alias}@{tenant.state.initial_domain}"
    for name in (dl.display_name.upper(), dl.alias, dl.primary_smtp_address.upper(), proxy, dl.id):
        assert [found.identity for found in await distribution_lists.lists_named(name)] == [dl.id], name
    box = seed.sales_mailbox
    for name in (box.display_name.lower(), box.alias, box.primary_smtp_address, box.id):
        assert [found.identity for found in await mailboxes.mailboxes_named(name)] == [box.id], name


async def test_one_name_on_two_lists_gives_both_and_get_list_none(
    distribution_lists: ExchangeDistributionLists, seed: Seed, tenant: DevTenant,
) -> None:
    dl = seed.open_list
    twin = await distribution_lists.create_list(NewDistributionList(
        name="Book Club Krakow", alias="book-club-krk", primary_smtp_address=f"book-club-krk@{tenant.state.domain}",
        display_name=dl.display_name, owners=(seed.list_owner.mail,)))
    both = await distribution_lists.lists_named(dl.display_name)
    assert sorted(found.identity for found in both) == sorted([dl.id, twin.identity])
    assert await distribution_lists.get_list(dl.display_name) is None, "an ambiguous name selects nothing"
    assert (await distribution_lists.get_list(twin.primary_smtp_address)).identity == twin.identity  # type: ignore[union-attr]

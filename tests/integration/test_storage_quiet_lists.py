"""The unused lists report's SQL (LastMailSeenRepository.quiet_lists) on SQLite and PostgreSQL gives exactly what the
pure rule (kinds.usage.unused.unused_lists) gives on the same lists: the same lists in the same order, paged, with
the total and each list's direct member count."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from conftest_storage import StorageDB

from kinds.usage.unused import unused_lists
from m365.ports import DistributionList, ListMember

pytest_plugins = ["storage_fixtures"]

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


def _lists() -> list[DistributionList]:
    # Names repeat (the order falls back to identity) and differ only in case; addresses in mixed case.
    names = ["Sales", "sales", "Apollo", "Board", "apollo", "Zeta", "HR", "Board"]
    return [
        DistributionList(identity=f"dl-{n:03d}", name=f"L{n}", display_name=f"{names[n % len(names)]} {n % 5}",
                         primary_smtp_address=f"List{n}@Contoso.com", alias=f"list{n}",
                         managed_by=(f"owner{n % 4}@contoso.com",), changed_at=NOW)
        for n in range(40)
    ]


async def _store(storage_db: StorageDB) -> tuple[list[DistributionList], dict[str, datetime]]:
    rng = random.Random(5)
    lists = _lists()
    seen: dict[str, datetime] = {}
    for n, dl in enumerate(lists):
        if n % 3:  # a third never seen; the rest anywhere in the last 200 days, two at the same moment
            seen[dl.primary_smtp_address] = NOW - timedelta(days=rng.uniform(0, 200)) if n != 4 else NOW - timedelta(
                days=150)
    seen[lists[5].primary_smtp_address] = NOW - timedelta(days=150)
    seen[lists[7].primary_smtp_address] = NOW - timedelta(days=90)  # exactly at the 90-day cutoff: not quiet
    async with storage_db.uow() as uow:
        for n, dl in enumerate(lists):
            people = [ListMember(f"m{k}@contoso.com", f"M{k}", f"oid-{k}") for k in range(n % 4)]
            await uow.directory_cache.upsert_list(dl, people, now=NOW)
        await uow.last_mail_seen.raise_to(seen, NOW)
        await uow.commit()
    return lists, {address.lower(): moment for address, moment in seen.items()}


@pytest.mark.parametrize(("days", "history_days"), [(90, 120), (90, 30), (30, 400), (365, 400)])
async def test_quiet_lists_are_the_pure_rule_in_sql(storage_db: StorageDB, days: int, history_days: int) -> None:
    lists, seen = await _store(storage_db)
    since = NOW - timedelta(days=history_days)
    expected = unused_lists(lists, seen, since, NOW, days)
    members = {dl.identity: n % 4 for n, dl in enumerate(lists)}
    identity_of = {dl.primary_smtp_address: dl.identity for dl in lists}
    cutoff, never_seen_too = NOW - timedelta(days=days), history_days >= days
    async with storage_db.uow() as uow:
        everything = await uow.last_mail_seen.quiet_lists(cutoff=cutoff, never_seen_too=never_seen_too)
        pages = [await uow.last_mail_seen.quiet_lists(cutoff=cutoff, never_seen_too=never_seen_too, offset=offset,
                                                      limit=7) for offset in range(0, 49, 7)]
    assert expected  # the data makes some lists quiet in every case
    assert [(q.address, q.display_name, q.owners, q.last_received) for q in everything.items] == [
        (r.address, r.name, r.owners, r.last_activity) for r in expected
    ]
    assert [q.members for q in everything.items] == [members[identity_of[r.address]] for r in expected]
    assert everything.total == len(expected)
    assert [q for page in pages for q in page.items] == list(everything.items)
    assert {page.total for page in pages} == {len(expected)}  # pages past the end still say how many there are

"""The daily "last mail seen" collection over the memory tenant: what it records, its query budget, resuming where
it stopped (budget, a full 5,000-row answer), and one round per day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from desk_fixture import BOOK_CLUB, MARKETING, Desk

from kinds.usage.collect import CollectionRun, collect_now, covered_since

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

MARKETING_ADDRESS = "marketing@contoso.com"
BOOK_CLUB_ADDRESS = "book-club@contoso.com"


async def _seen(desk: Desk) -> dict[str, object]:
    async with desk.services.uow() as uow:
        return dict(await uow.last_mail_seen.last_seen([MARKETING_ADDRESS, BOOK_CLUB_ADDRESS]))


async def test_first_round_reads_ninety_days_in_ten_day_slices(desk: Desk) -> None:
    assert (MARKETING.alias, BOOK_CLUB.alias) == ("marketing", "book-club")
    now = desk.clock.now
    desk.tenant.usage.add_messages(MARKETING_ADDRESS, [now - timedelta(days=30), now - timedelta(days=31)])
    run = await collect_now(desk.services, "replica-a")
    assert run.finished and run.stopped == "done"
    assert run.queries == 9  # 90 days (less an hour of margin) in 10-day slices, both lists in one query each
    assert await _seen(desk) == {MARKETING_ADDRESS: now - timedelta(days=30)}
    assert await covered_since(desk.services) == now - timedelta(days=90) + timedelta(hours=1)


async def test_a_spent_budget_stops_the_run_and_the_next_one_goes_on(desk: Desk) -> None:
    now = desk.clock.now
    desk.tenant.usage.add_messages(BOOK_CLUB_ADDRESS, [now - timedelta(days=85)])
    runs: list[CollectionRun] = []
    while not runs or not runs[-1].finished:
        runs.append(await collect_now(desk.services, "replica-a", budget=5, chunk_size=1))
        assert len(runs) < 10
    assert [r.stopped for r in runs] == ["budget", "budget", "budget", "done"]
    assert sum(r.queries for r in runs) == 18  # 9 slices x 2 lists, none asked twice
    assert await _seen(desk) == {BOOK_CLUB_ADDRESS: now - timedelta(days=85)}


async def test_a_full_answer_is_continued_from_its_last_row(desk: Desk) -> None:
    now = desk.clock.now
    busy = [now - timedelta(days=2, seconds=n) for n in range(5001)]
    desk.tenant.usage.add_messages(MARKETING_ADDRESS, busy)
    desk.tenant.usage.add_messages(BOOK_CLUB_ADDRESS, [now - timedelta(days=3)])  # behind 5,000 newer rows
    run = await collect_now(desk.services, "replica-a")
    assert run.finished and run.queries == 10 and run.rows == 5002
    assert await _seen(desk) == {MARKETING_ADDRESS: now - timedelta(days=2), BOOK_CLUB_ADDRESS: now - timedelta(days=3)}


async def test_one_round_a_day_and_the_next_day_only_what_is_new(desk: Desk) -> None:
    await collect_now(desk.services, "replica-a")
    again = await collect_now(desk.services, "replica-b")
    assert again.stopped == "already_today" and again.queries == 0
    desk.clock.advance(days=1)
    desk.tenant.usage.add_messages(BOOK_CLUB_ADDRESS, [desk.clock.now - timedelta(hours=2)])
    next_day = await collect_now(desk.services, "replica-b")
    assert next_day.finished and next_day.queries == 1
    assert (await _seen(desk))[BOOK_CLUB_ADDRESS] == desk.clock.now - timedelta(hours=2)


async def test_a_held_lease_means_another_replica_is_collecting(desk: Desk) -> None:
    now = desk.clock.now
    async with desk.services.uow() as uow:
        assert await uow.leases.try_claim("usage.last_mail_seen", "replica-a", now + timedelta(minutes=5), now)
        await uow.commit()
    run = await collect_now(desk.services, "replica-b")
    assert run.stopped == "lease_held" and run.queries == 0


async def test_a_round_spread_over_days_never_asks_for_more_than_exchange_keeps(desk: Desk) -> None:
    """The round's start was 90 days back when it began; two days later that is older than Exchange keeps, and a
    query from it would be refused for good. The start moves with the clock instead, and the round finishes."""
    first = await collect_now(desk.services, "replica-a", budget=3, chunk_size=1)
    assert first.stopped == "budget"
    desk.clock.advance(days=2)
    desk.tenant.usage.add_messages(BOOK_CLUB_ADDRESS, [desk.clock.now - timedelta(days=1)])
    runs = [await collect_now(desk.services, "replica-a", budget=3, chunk_size=1) for _ in range(8)]
    assert "done" in [run.stopped for run in runs]
    assert (await _seen(desk))[BOOK_CLUB_ADDRESS] == desk.clock.now - timedelta(days=1)

"""The statistics queries (F21) on known rows, on SQLite and PostgreSQL: weeks bucketed at the given instants,
medians per group of kinds (PostgreSQL's percentile_cont and SQLite's rows in Python must agree), top lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest_storage import StorageDB, make_request

from storage.statistics_queries import (
    GroupMedians,
    KindWeekCount,
    TopEntry,
    median_durations,
    requests_per_kind_and_week,
    top_requesters,
    top_targets,
)

pytest_plugins = ["storage_fixtures"]

H = timedelta(hours=1)
WEEKS = [datetime(2026, 11, 1, 23, tzinfo=UTC) + timedelta(weeks=n) for n in range(3)]  # Mondays, Warsaw midnight
END = WEEKS[-1] + timedelta(weeks=1)
BOB = "00000000-0000-0000-0000-00000000a002"


async def _store(storage_db: StorageDB) -> None:
    at = WEEKS[0]
    rows = [
        make_request(created_at=at - timedelta(seconds=1), decided_at=at, completed_at=at),  # before the window
        make_request(created_at=at, decided_at=at + 2 * H, completed_at=at + 3 * H),  # first instant of week 0
        make_request(created_at=at + 5 * H, decided_at=at + 9 * H, completed_at=at + 15 * H),
        make_request(created_at=WEEKS[1] - timedelta(seconds=1), decided_at=WEEKS[1] + 5 * H),  # week 0, not done
        make_request(kind="license.remove", created_at=WEEKS[2], requester_id=BOB, requester_name="Bob",
                     target_id="t2", target_label="Bob - E3"),  # waiting
        make_request(kind="dl.join", created_at=WEEKS[2] + H, decided_at=WEEKS[2] + 2 * H, requester_id=BOB,
                     requester_name="Bob", target_id="t2", target_label="Bob - E3"),
        make_request(kind="mailbox.grant", created_at=WEEKS[2] + H, decided_at=WEEKS[2] + 2 * H),  # no group
        make_request(created_at=END, decided_at=END + H),  # after the window
    ]
    async with storage_db.uow() as uow:
        for row in rows:
            await uow.requests.add(row)
        await uow.commit()


async def test_requests_per_kind_and_week(storage_db: StorageDB) -> None:
    await _store(storage_db)
    async with storage_db.uow() as uow:
        counts = await requests_per_kind_and_week(uow.session, week_starts=WEEKS, end=END)
    assert counts == [
        KindWeekCount("dl.join", 2, 1),
        KindWeekCount("license.assign", 0, 3),
        KindWeekCount("license.remove", 2, 1),
        KindWeekCount("mailbox.grant", 2, 1),
    ]


async def test_medians_per_group_agree_on_both_backends(storage_db: StorageDB) -> None:
    await _store(storage_db)
    groups = {"license.assign": "licenses", "license.remove": "licenses", "dl.join": "lists"}
    async with storage_db.uow() as uow:
        medians = await median_durations(uow.session, group_of=groups, start=WEEKS[0], end=END)
    # Licenses decided after 2 h, 4 h and 5 h + 1 s (median 4 h); completed after 3 h and 10 h (median 6.5 h).
    assert medians == [
        GroupMedians("licenses", decided=3, decision_seconds=4 * 3600.0, completed=2, completion_seconds=6.5 * 3600),
        GroupMedians("lists", decided=1, decision_seconds=3600.0, completed=0, completion_seconds=None),
    ]
    async with storage_db.uow() as uow:
        assert await median_durations(uow.session, group_of={}, start=WEEKS[0], end=END) == []


async def test_top_requesters_and_targets(storage_db: StorageDB) -> None:
    await _store(storage_db)
    async with storage_db.uow() as uow:
        people = await top_requesters(uow.session, start=WEEKS[0], end=END, limit=5)
        targets = await top_targets(uow.session, start=WEEKS[0], end=END, limit=1)
    anna = "00000000-0000-0000-0000-00000000a001"
    assert people == [TopEntry(anna, "Anna Kowalska", 4), TopEntry(BOB, "Bob", 2)]
    assert targets == [TopEntry(anna, "Anna Kowalska - Microsoft 365 E3", 4)]


async def test_a_license_requests_resource_is_its_plan_not_the_person(storage_db: StorageDB) -> None:
    at = WEEKS[1]
    e3 = {"key": "sku-e3", "sku_part_number": "ENTERPRISEPACK"}
    rows = [
        # Three people's E3 and a seat order for E3 are one resource; E5 for Anna another; Bob's list a third.
        *(make_request(created_at=at + n * H, target_id=f"person-{n}", target_label=f"Person {n} - E3", payload=e3)
          for n in range(3)),
        make_request(kind="license.seats", created_at=at, target_id="sku-e3", target_label="E3 · 5 seats",
                     payload=e3),
        make_request(created_at=at, target_label="Anna - E5", payload={"key": "sku-e5", "sku_part_number": "E5"}),
        make_request(kind="dl.join", created_at=at, target_id="dl-1", target_label="Book Club", payload={}),
        make_request(kind="dl.join", created_at=at + H, target_id="dl-1", target_label="Book Club", payload={}),
        # Filed before part numbers were kept: counted under its target, as before.
        make_request(created_at=at, target_id="person-9", target_label="Person 9 - E3", payload={"key": "sku-e3"}),
    ]
    async with storage_db.uow() as uow:
        for row in rows:
            await uow.requests.add(row)
        await uow.commit()
    async with storage_db.uow() as uow:
        found = await top_targets(uow.session, start=WEEKS[0], end=END, limit=5,
                                  plan_kinds={"license.assign", "license.seats"})
        unnamed = await top_targets(uow.session, start=WEEKS[0], end=END, limit=1)
    assert found == [
        TopEntry("ENTERPRISEPACK", "ENTERPRISEPACK", 4, is_plan=True),
        TopEntry("dl-1", "Book Club", 2),
        TopEntry("E5", "E5", 1, is_plan=True),
        TopEntry("person-9", "Person 9 - E3", 1),
    ]
    assert unnamed == [TopEntry("dl-1", "Book Club", 2)]  # without plan kinds, targets as they are

"""The SLA report's query (F17) on known rows, on SQLite and PostgreSQL: per kind, a month's requests vs due times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from conftest_storage import StorageDB, make_request

from handlers.lifecycle import RequestState
from storage.queries import SlaCounts, sla_counts

pytest_plugins = ["storage_fixtures"]

FINAL = frozenset(state.value for state in RequestState if state.is_final)
# November 2026 in Warsaw, as UTC instants, and the moment the report is asked for.
START = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
END = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _at(day: int, hour: int = 8) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


# (kind, state, created_at, due_at, and the other timestamps) — with what each row must count as.
ROWS: list[tuple[str, str, datetime, datetime | None, dict[str, datetime]]] = [
    ("license.assign", "completed", _at(2), _at(5), {"completed_at": _at(4, 10)}),  # on time
    ("license.assign", "completed", _at(2), _at(5), {"completed_at": _at(5)}),  # on time: exactly at due
    ("license.assign", "completed", _at(2), _at(5), {"completed_at": _at(6)}),  # late
    ("license.assign", "failed", _at(3), _at(6), {"completed_at": _at(6) + H}),  # late (failing counts as finishing)
    ("license.assign", "rejected", _at(3), _at(6), {"decided_at": _at(4)}),  # on time: its clock stopped at decision
    ("license.assign", "pending", _at(13), _at(18), {}),  # open and past due at NOW: breached
    ("license.assign", "approved", _at(19), _at(24), {"decided_at": _at(19, 9)}),  # open, not due yet: neither
    ("license.assign", "pending", _at(4), None, {}),  # filed before due times were stored
    ("license.assign", "completed", START, START + 30 * H, {"completed_at": START + 20 * H}),  # 1 Nov 00:00 local
    ("license.assign", "completed", START - timedelta(minutes=1), _at(3), {"completed_at": _at(2)}),  # October
    ("license.assign", "pending", END, END + 30 * H, {}),  # December
    ("dl.join", "completed", _at(9), _at(10), {"completed_at": _at(12)}),  # late
    ("dl.join", "cancelled", _at(9), _at(10), {"updated_at": _at(11)}),  # no decision: stopped at its last update
]


async def _store(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        for kind, state, created_at, due_at, times in ROWS:
            fields: dict[str, Any] = {key: value for key, value in times.items() if key != "updated_at"}
            request = await uow.requests.add(
                make_request(kind=kind, state=state, created_at=created_at, due_at=due_at, **fields)
            )
            # add() starts updated_at at created_at; a later change moves it, as a transition would.
            request.updated_at = times.get("updated_at", max([created_at, *fields.values()]))
        await uow.commit()


async def test_sla_counts_per_kind_for_one_month(storage_db: StorageDB) -> None:
    await _store(storage_db)
    async with storage_db.uow() as uow:
        counts = await sla_counts(uow.session, start=START, end=END, now=NOW, final_states=FINAL)
    assert counts == [
        SlaCounts("dl.join", submitted=2, finished=2, on_time=0, breached=2, unmeasured=0),
        SlaCounts("license.assign", submitted=9, finished=6, on_time=4, breached=3, unmeasured=1),
    ]


async def test_the_same_rows_judged_later_and_in_other_months(storage_db: StorageDB) -> None:
    await _store(storage_db)
    async with storage_db.uow() as uow:
        later = await sla_counts(uow.session, start=START, end=END, now=_at(25), final_states=FINAL)
        october = await sla_counts(
            uow.session, start=datetime(2026, 9, 30, 22, 0, tzinfo=UTC), end=START, now=NOW, final_states=FINAL
        )
        empty = await sla_counts(
            uow.session, start=END + 40 * 24 * H, end=END + 70 * 24 * H, now=NOW, final_states=FINAL
        )
    # By the 25th the approved request is past its due time as well.
    assert later[1] == SlaCounts("license.assign", submitted=9, finished=6, on_time=4, breached=4, unmeasured=1)
    assert october == [SlaCounts("license.assign", submitted=1, finished=1, on_time=1, breached=0, unmeasured=0)]
    assert empty == []

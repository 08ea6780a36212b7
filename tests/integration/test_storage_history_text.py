"""History's free text on SQLite and PostgreSQL: whether its matches are few (collected, then sorted) or many (the
newest-first walk), every page is the same rows in the same order as the plain statement gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest_storage import StorageDB, make_request

from storage.repositories.history import HistoryFilter, HistoryRepository, HistoryRow, history_statement

pytest_plugins = ["storage_fixtures"]

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
LABELS = ("Sales Team <sales@contoso.com>", "Helpdesk 7 <helpdesk7@contoso.com>", "Anna · Office 365 E3")


async def _store(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        for n in range(30):
            # Two requests share each moment (the order falls back to the id); one in ten failed with an error.
            await uow.requests.add(make_request(
                created_at=NOW - timedelta(hours=n // 2), target_label=LABELS[n % 3], target_id=f"t{n % 3}",
                state="failed" if n % 10 == 0 else "completed", error="Mailbox quota 50%" if n % 10 == 0 else None))
        await uow.commit()


@pytest.mark.parametrize("text", ["helpdesk", "SALES", "50%", "contoso", "nothing like it", "REQ-"])
async def test_few_or_many_matches_give_the_plain_statements_pages(storage_db: StorageDB, text: str) -> None:
    await _store(storage_db)
    wanted = HistoryFilter(text=text, states=frozenset({"completed", "failed"}))
    async with storage_db.uow() as uow:
        plain = [HistoryRow(*row) for row in (await uow.session.execute(history_statement(wanted))).all()]
        for few_matches in (2000, 12, 3, 0):  # every match collected, some pages only, none
            repository = HistoryRepository(uow.session, few_matches=few_matches)
            for offset in (0, 5, 10, 25, 40):
                assert await repository.search(wanted, offset=offset, limit=5) == plain[offset:offset + 5], (
                    few_matches, offset)
    assert text == "nothing like it" or plain

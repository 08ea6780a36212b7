"""A turn writes only what changed: the conversation reference is stored when new or different, not every turn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from desk_harness import Desk
from sqlalchemy import event

from app import ENGINE
from devtenant import DevTenant

WRITES = ("insert", "update", "delete")


@contextmanager
def counted_statements(desk: Desk) -> Iterator[list[str]]:
    """Every SQL statement the desk's engine runs inside the block, as its first word in lower case."""
    seen: list[str] = []
    engine = desk.app[ENGINE].sync_engine

    def record(_conn, _cursor, statement: str, *_args) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def _reference(desk: Desk, user_id: str):
    async with desk.uow() as uow:
        return await uow.conversations.get(user_id)


async def test_repeated_turns_write_nothing_and_read_nothing(desk: Desk, tenant: DevTenant) -> None:
    anna = tenant.seed.demo_employee
    await desk.say(anna, "help")  # the first turn stores how to reach her
    assert await _reference(desk, anna.id) is not None
    with counted_statements(desk) as statements:
        for _ in range(5):
            await desk.say(anna, "help")
    assert statements == [], f"help turns after the first touched the database: {statements}"
    assert len(desk.texts(anna)) + len(desk.cards(anna)) >= 6  # every turn was still answered


async def test_a_changed_reference_is_written_once(desk: Desk, tenant: DevTenant) -> None:
    anna = tenant.seed.demo_employee
    await desk.say(anna, "help")
    with counted_statements(desk) as statements:
        await desk.say(anna, "help", locale="pl-PL")
        await desk.say(anna, "help", locale="pl-PL")
    assert sum(word in WRITES for word in statements) == 1, statements
    stored = await _reference(desk, anna.id)
    assert stored is not None and stored.locale == "pl-PL"

    moved = desk._base(anna, "pl-PL")
    # Teams may hand out another spelling of the service URL (here: without the trailing slash).
    moved_url = desk.tenant.connector_url.rstrip("/")
    moved.update(text="help", serviceUrl=moved_url)
    with counted_statements(desk) as statements:
        response = await desk.post(moved)
        assert response.status in (200, 201, 202)
    assert sum(word in WRITES for word in statements) == 1, statements
    stored = await _reference(desk, anna.id)
    assert stored is not None and stored.service_url == moved_url


async def test_a_turn_without_locale_keeps_the_known_one_and_writes_nothing(desk: Desk, tenant: DevTenant) -> None:
    anna = tenant.seed.demo_employee
    await desk.say(anna, "help", locale="de-DE")
    quiet = desk._base(anna, "de-DE")
    quiet.pop("locale")
    quiet["entities"] = []
    quiet["text"] = "help"
    with counted_statements(desk) as statements:
        response = await desk.post(quiet)
        assert response.status in (200, 201, 202)
    assert not any(word in WRITES for word in statements), statements
    stored = await _reference(desk, anna.id)
    assert stored is not None and stored.locale == "de-DE"

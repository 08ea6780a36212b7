"""The hash-chained audit log: verification, tamper detection and concurrent appenders."""

from __future__ import annotations

import asyncio

from conftest_storage import StorageDB, make_request
from sqlalchemy import text

from storage.audit_chain import verify_chain

pytest_plugins = ["storage_fixtures"]


async def test_chain_verifies_and_detects_tampering(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        events = [
            await uow.audit.append(
                action=action, request_id=req.id, actor_id="a1", actor_name="Anna", detail={"n": i, "ą": "ż"}
            )
            for i, action in enumerate(["request.submitted", "request.approved", "step.done", "request.completed"])
        ]
        await uow.audit.append(action="sync.run", detail=None)  # events need no request or actor
        await uow.commit()
    assert events[0].prev_hash == "0" * 64
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:], strict=False))

    async with storage_db.uow() as uow:
        check = await verify_chain(uow.session)
        assert (check.ok, check.checked, check.first_bad_id) == (True, 5, None)
        assert [e.action for e in await uow.audit.for_request(req.id)][-1] == "request.completed"

    async with storage_db.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_events SET detail = '{\"n\": 99}' WHERE id = :id"), {"id": events[2].id})
    async with storage_db.uow() as uow:
        check = await uow.audit.verify()
    assert (check.ok, check.first_bad_id) == (False, events[2].id)


async def test_deleting_the_tail_is_detected(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        for i in range(3):
            last = await uow.audit.append(action="request.submitted", detail={"i": i})
        await uow.commit()
    async with storage_db.engine.begin() as conn:
        await conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last.id})
    async with storage_db.uow() as uow:
        check = await verify_chain(uow.session)
    assert (check.ok, check.checked, check.first_bad_id) == (False, 2, last.id)


async def test_empty_chain_is_valid(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        check = await verify_chain(uow.session)
    assert (check.ok, check.checked) == (True, 0)


async def test_concurrent_appends_keep_a_valid_chain(storage_db: StorageDB) -> None:
    async def append(i: int) -> None:
        async with storage_db.uow() as uow:
            await uow.audit.append(action="step.done", actor_id=f"runner-{i}", detail={"i": i})
            await asyncio.sleep(0)  # let others queue on the head lock while we hold it
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(append(i) for i in range(20))), timeout=60)
    async with storage_db.uow() as uow:
        check = await verify_chain(uow.session)
        detail_ids = (await uow.session.execute(text("SELECT COUNT(DISTINCT prev_hash) FROM audit_events"))).scalar()
    assert (check.ok, check.checked) == (True, 20)
    assert detail_ids == 20  # no two events claim the same predecessor

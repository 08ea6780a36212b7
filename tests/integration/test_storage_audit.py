"""The hash-chained audit log: verification, tamper detection, concurrent appenders, keys, sealing and rotation."""

from __future__ import annotations

import asyncio

import pytest
from conftest_storage import StorageDB, make_request
from sqlalchemy import select, text, update

from storage.audit_chain import (
    AFTER_HEAD,
    GONE,
    HASH,
    OLDER_KEY,
    SEAL_ACTION,
    UNKEYED_AFTER_KEYED,
    UNSEALED,
    AuditChainUnsealed,
    AuditKeys,
    ChainCheck,
    event_hash,
    verify_chain,
)
from storage.models import GENESIS_HASH, AuditEvent, AuditHead
from storage.uow import UnitOfWorkFactory

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


@pytest.mark.parametrize("secrets", [(), ("a" * 40,)], ids=["unkeyed", "keyed"])
async def test_concurrent_appends_keep_a_valid_chain(storage_db: StorageDB, secrets: tuple[str, ...]) -> None:
    factory = UnitOfWorkFactory(storage_db.sessions, AuditKeys(secrets))

    async def append(i: int) -> None:
        async with factory() as uow:
            await uow.audit.append(action="step.done", actor_id=f"runner-{i}", detail={"i": i})
            await asyncio.sleep(0)  # let others queue on the head lock while we hold it
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(append(i) for i in range(20))), timeout=60)
    async with factory() as uow:
        check = await uow.audit.verify()
        detail_ids = (await uow.session.execute(text("SELECT COUNT(DISTINCT prev_hash) FROM audit_events"))).scalar()
    assert (check.ok, check.checked) == (True, 20)
    assert detail_ids == 20  # no two events claim the same predecessor


# ---------------------------------------------------------------- the keyed chain (issue 8 §6)

KEY_A = "a" * 40
KEY_B = "b" * 40


def keyed(storage_db: StorageDB, *secrets: str) -> UnitOfWorkFactory:
    """The same database as the desk sees it with these audit keys (oldest first)."""
    return UnitOfWorkFactory(storage_db.sessions, AuditKeys(secrets))


async def append_events(uow_factory: UnitOfWorkFactory, count: int, *, start: int = 0) -> list[int]:
    ids = []
    async with uow_factory() as uow:
        for i in range(start, start + count):
            ids.append((await uow.audit.append(action="request.submitted", actor_id="u1", detail={"i": i})).id)
        await uow.commit()
    return ids


async def recompute_plain(storage_db: StorageDB, *, from_id: int, edit: dict[int, dict] | None = None) -> None:
    """What someone with write access to the database but without the key can do: edit events and recompute every
    hash from ``from_id`` on with the (public) plain SHA-256 recipe, fixing the links and the head row too."""
    edit = edit or {}
    async with storage_db.engine.begin() as conn:
        rows = (await conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.id))).all()
        prev = GENESIS_HASH
        for row in rows:
            if row.id >= from_id:
                detail = edit.get(row.id, row.detail)
                digest = event_hash(
                    prev_hash=prev, request_id=row.request_id, actor_id=row.actor_id, actor_name=row.actor_name,
                    action=row.action, detail=detail, created_at=row.created_at,
                )
                await conn.execute(
                    update(AuditEvent.__table__).where(AuditEvent.id == row.id)
                    .values(detail=detail, prev_hash=prev, hash=digest)
                )
                prev = digest
            else:
                prev = row.hash
        await conn.execute(update(AuditHead.__table__).values(last_hash=prev))


async def verify(uow_factory: UnitOfWorkFactory, **kwargs) -> ChainCheck:
    async with uow_factory() as uow:
        return await uow.audit.verify(**kwargs)


async def test_keyed_chain_verifies_only_with_its_key(storage_db: StorageDB) -> None:
    ids = await append_events(keyed(storage_db, KEY_A), 4)
    check = await verify(keyed(storage_db, KEY_A))
    assert (check.ok, check.checked, check.keyed_events, check.head_id) == (True, 4, 4, ids[-1])
    async with storage_db.uow() as uow:
        tail = (await uow.session.execute(select(AuditEvent.hash).where(AuditEvent.id == ids[-1]))).scalar()
    assert check.head_hash == tail
    wrong = await verify(keyed(storage_db, KEY_B))
    assert (wrong.ok, wrong.first_bad_id, wrong.reason) == (False, ids[0], HASH)
    unkeyed = await verify(storage_db.uow)  # a verifier without the key cannot vouch for a keyed chain
    assert (unkeyed.ok, unkeyed.first_bad_id) == (False, ids[0])


async def test_an_edit_recomputed_without_the_key_is_detected(storage_db: StorageDB) -> None:
    ids = await append_events(keyed(storage_db, KEY_A), 5)
    await recompute_plain(storage_db, from_id=ids[2], edit={ids[2]: {"i": 99}})
    check = await verify(keyed(storage_db, KEY_A))
    assert (check.ok, check.checked, check.first_bad_id, check.reason) == (False, 3, ids[2], UNKEYED_AFTER_KEYED)


async def test_a_whole_chain_recomputed_without_the_key_is_unsealed_and_never_signed(storage_db: StorageDB) -> None:
    ids = await append_events(keyed(storage_db, KEY_A), 3)
    await recompute_plain(storage_db, from_id=ids[0], edit={ids[1]: {"i": 99}})
    check = await verify(keyed(storage_db, KEY_A))
    assert (check.ok, check.checked, check.first_bad_id, check.reason) == (False, 3, ids[0], UNSEALED)
    # The desk's next write must not vouch for the rewrite by signing on top of it.
    async with keyed(storage_db, KEY_A)() as uow:
        with pytest.raises(AuditChainUnsealed):
            await uow.audit.append(action="request.submitted")
    assert (await verify(keyed(storage_db, KEY_A))).reason == UNSEALED


async def test_events_from_before_the_key_still_verify_once_sealed(storage_db: StorageDB) -> None:
    legacy = await append_events(storage_db.uow, 3)  # written by a desk without a key: plain SHA-256
    assert (await verify(storage_db.uow)).ok
    unsealed = await verify(keyed(storage_db, KEY_A))
    assert (unsealed.ok, unsealed.reason, unsealed.first_bad_id) == (False, UNSEALED, legacy[0])
    async with keyed(storage_db, KEY_A)() as uow:
        with pytest.raises(AuditChainUnsealed):
            await uow.audit.append(action="request.submitted")

    async with keyed(storage_db, KEY_A)() as uow:
        before, seal = await uow.audit.seal()
        await uow.commit()
    assert before.reason == UNSEALED and seal is not None
    assert (seal.action, seal.detail) == (SEAL_ACTION, {"key_id": AuditKeys([KEY_A]).ids[0], "unkeyed_events": 3})
    later = await append_events(keyed(storage_db, KEY_A), 2)
    check = await verify(keyed(storage_db, KEY_A))
    assert (check.ok, check.checked, check.keyed_events, check.head_id) == (True, 6, 3, later[-1])
    async with keyed(storage_db, KEY_A)() as uow:  # sealing twice does nothing
        _, again = await uow.audit.seal()
    assert again is None

    # The unkeyed prefix is vouched for by the seal: editing it now is caught even though its recipe is public.
    await recompute_plain(storage_db, from_id=legacy[1], edit={legacy[1]: {"i": 99}})
    check = await verify(keyed(storage_db, KEY_A))
    assert (check.ok, check.first_bad_id, check.reason) == (False, seal.id, HASH)


async def test_a_broken_chain_is_not_sealed(storage_db: StorageDB) -> None:
    legacy = await append_events(storage_db.uow, 3)
    async with storage_db.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_events SET detail = '{\"i\": 7}' WHERE id = :id"), {"id": legacy[1]})
    async with keyed(storage_db, KEY_A)() as uow:
        check, seal = await uow.audit.seal()
    assert (check.reason, check.first_bad_id, seal) == (HASH, legacy[1], None)


async def test_rotation_goes_forward_only(storage_db: StorageDB) -> None:
    old = await append_events(keyed(storage_db, KEY_A), 2)
    new = await append_events(keyed(storage_db, KEY_A, KEY_B), 2, start=2)
    assert (await verify(keyed(storage_db, KEY_A, KEY_B))).ok
    forgotten = await verify(keyed(storage_db, KEY_B))  # the retired key must stay listed to verify its events
    assert (forgotten.ok, forgotten.first_bad_id) == (False, old[0])
    # A retired (perhaps leaked) key cannot write after its successor took over.
    async with keyed(storage_db, KEY_A)() as uow:
        with pytest.raises(AuditChainUnsealed):  # and the desk refuses to, too: its tail is signed by an unknown key
            await uow.audit.append(action="request.submitted")
    async with keyed(storage_db, KEY_B, KEY_A)() as uow:  # a forger holding A lists it as the newer key
        forged = await uow.audit.append(action="request.submitted")
        await uow.commit()
    check = await verify(keyed(storage_db, KEY_A, KEY_B))
    assert (check.ok, check.first_bad_id, check.reason, check.checked) == (False, forged.id, OLDER_KEY, 5)
    assert new[-1] < forged.id


async def test_a_head_kept_outside_catches_a_truncation_the_chain_cannot_show(storage_db: StorageDB) -> None:
    ids = await append_events(keyed(storage_db, KEY_A), 4)
    seen = await verify(keyed(storage_db, KEY_A))
    anchor = (seen.head_id, seen.head_hash)
    async with storage_db.engine.begin() as conn:  # drop the last two and move the head back to match
        keep = (await conn.execute(select(AuditEvent.hash).where(AuditEvent.id == ids[1]))).scalar()
        await conn.execute(text("DELETE FROM audit_events WHERE id > :id"), {"id": ids[1]})
        await conn.execute(update(AuditHead.__table__).values(last_hash=keep, last_event_id=ids[1]))
    assert (await verify(keyed(storage_db, KEY_A))).ok  # by itself the shorter chain is consistent
    check = await verify(keyed(storage_db, KEY_A), expect=anchor)
    assert (check.ok, check.first_bad_id, check.reason) == (False, ids[-1], GONE)


async def test_events_after_the_head_are_reported(storage_db: StorageDB) -> None:
    ids = await append_events(keyed(storage_db, KEY_A), 3)
    async with storage_db.engine.begin() as conn:
        first = (await conn.execute(select(AuditEvent.hash).where(AuditEvent.id == ids[0]))).scalar()
        await conn.execute(update(AuditHead.__table__).values(last_hash=first, last_event_id=ids[0]))
    check = await verify(keyed(storage_db, KEY_A))
    assert (check.ok, check.first_bad_id, check.reason) == (False, ids[1], AFTER_HEAD)


async def test_a_verification_asked_to_stop_ends_unfinished(storage_db: StorageDB) -> None:
    await append_events(keyed(storage_db, KEY_A), 2)
    check = await verify(keyed(storage_db, KEY_A), stop=lambda: True)
    assert (check.stopped, check.ok, check.first_bad_id) == (True, False, None)


def test_keys_never_show_in_repr() -> None:
    keys = AuditKeys([KEY_A, KEY_B])
    assert KEY_A not in repr(keys) and KEY_B not in repr(keys)
    assert repr(keys) == f"AuditKeys({keys.ids[0]}, {keys.ids[1]})" and keys.ids[0] != keys.ids[1]

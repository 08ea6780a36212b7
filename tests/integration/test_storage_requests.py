"""Requests, decisions and the unit of work against SQLite and PostgreSQL, on the real migration."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC

import pytest
from conftest_storage import StorageDB, make_request
from sqlalchemy import func, select

from storage.errors import NotFoundError, StaleVersion
from storage.models import AuditEvent, Request
from storage.queries import RequestSummary, request_summaries_for

pytest_plugins = ["storage_fixtures"]

PUBLIC_ID = re.compile(r"^REQ-\d{4}-\d{6}$")


async def test_add_assigns_public_id_from_year_and_id(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        added = [await uow.requests.add(make_request()) for _ in range(3)]
        await uow.commit()
    public_ids = [r.public_id for r in added]
    assert all(PUBLIC_ID.match(p) for p in public_ids)
    assert len(set(public_ids)) == 3
    for r in added:
        assert r.public_id == f"REQ-{r.created_at.year}-{r.id:06d}"
        assert (r.state, r.version) == ("pending", 1)
        assert r.created_at.tzinfo is not None and r.created_at.utcoffset() == UTC.utcoffset(None)

    async with storage_db.uow() as uow:
        loaded = await uow.requests.get_by_public_id(public_ids[1])
        assert loaded is not None and loaded.id == added[1].id
        assert loaded.payload == {"user": "anna@contoso.com", "sku": "ENTERPRISEPACK"}
        assert loaded.created_at == added[1].created_at  # aware UTC round trip, microseconds kept
        assert await uow.requests.get_by_public_id("REQ-1999-000001") is None
        with pytest.raises(NotFoundError):
            await uow.requests.require("REQ-1999-000001")


async def test_list_for_requester_newest_first_and_summaries(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        mine = [await uow.requests.add(make_request(requester_id="me", target_label=f"t{i}")) for i in range(4)]
        await uow.requests.add(make_request(requester_id="someone-else"))
        await uow.commit()
    async with storage_db.uow() as uow:
        listed = await uow.requests.list_for_requester("me", limit=3)
        summaries = await request_summaries_for(uow.session, "me", 10)
    assert [r.id for r in listed] == [r.id for r in reversed(mine)][:3]
    assert [s.public_id for s in summaries] == [r.public_id for r in reversed(mine)]
    assert isinstance(summaries[0], RequestSummary)
    assert summaries[0].target_label == "t3" and summaries[0].state == "pending"


async def test_transition_bumps_version_and_stamps_times(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        await uow.commit()
    async with storage_db.uow() as uow:
        req = await uow.requests.require(req.public_id, for_update=True)
        await uow.requests.transition(req, "approved", expected_version=1)
        assert (req.state, req.version) == ("approved", 2)
        assert req.decided_at is not None
        await uow.requests.transition(req, "executing")
        await uow.requests.transition(req, "completed", expected_version=3)
        await uow.commit()
    async with storage_db.uow() as uow:
        fresh = await uow.requests.get(req.id)
        assert fresh is not None
        assert (fresh.state, fresh.version) == ("completed", 4)
        assert fresh.completed_at is not None and fresh.updated_at >= fresh.created_at


async def test_stale_expected_version_is_rejected(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        await uow.requests.transition(req, "approved")
        await uow.commit()
    async with storage_db.uow() as uow:
        req = await uow.requests.require(req.public_id)
        with pytest.raises(StaleVersion):
            await uow.requests.transition(req, "rejected", expected_version=1)  # a card from version 1
    async with storage_db.uow() as uow:
        fresh = await uow.requests.require(req.public_id)
        assert (fresh.state, fresh.version) == ("approved", 2)


async def test_concurrent_transitions_from_same_version_one_wins(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        await uow.commit()

    loaded = asyncio.Event()
    arrivals = 0

    async def decide(outcome: str) -> str:
        nonlocal arrivals
        async with storage_db.uow() as uow:
            mine = await uow.requests.require(req.public_id)
            arrivals += 1
            if arrivals == 2:
                loaded.set()
            if storage_db.backend == "postgres":
                # Both hold version 1 before either writes. SQLite starts every transaction with BEGIN IMMEDIATE,
                # so there the second one cannot begin until the first ends: it then loads version 2 and loses.
                await loaded.wait()
            try:
                await uow.requests.transition(mine, outcome, expected_version=1)
                await uow.decisions.add(request_id=mine.id, approver_id=outcome, approver_name=outcome, outcome=outcome)
                await uow.commit()
            except StaleVersion:
                return "stale"
            return "won"

    results = await asyncio.wait_for(asyncio.gather(decide("approved"), decide("rejected")), timeout=30)
    assert sorted(results) == ["stale", "won"]
    async with storage_db.uow() as uow:
        fresh = await uow.requests.require(req.public_id)
        decisions = await uow.decisions.for_request(req.id)
    assert fresh.version == 2
    assert [d.outcome for d in decisions] == [fresh.state]


async def test_pending_for_approver(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        a = await uow.requests.add(make_request(approver_ids=["boss", "deputy"]))
        await uow.requests.add(make_request(approver_ids=["other"]))
        done = await uow.requests.add(make_request(approver_ids=["boss"]))
        await uow.requests.transition(done, "rejected")
        await uow.commit()
    async with storage_db.uow() as uow:
        assert [r.id for r in await uow.requests.pending_for_approver("boss")] == [a.id]
        assert [r.id for r in await uow.requests.pending_for_approver("deputy")] == [a.id]
        assert await uow.requests.pending_for_approver("nobody") == []


async def test_decisions_are_logged_per_click(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        await uow.decisions.add(
            request_id=req.id, approver_id="b1", approver_name="Bea", outcome="rejected", reason="no budget"
        )
        await uow.commit()
    async with storage_db.uow() as uow:
        [decision] = await uow.decisions.for_request(req.id)
    assert (decision.approver_name, decision.outcome, decision.reason) == ("Bea", "rejected", "no budget")


async def test_rollback_without_commit_leaves_nothing(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        req = await uow.requests.add(make_request())
        await uow.audit.append(action="request.submitted", request_id=req.id)
        await uow.jobs.enqueue(req.id)
        # no commit
    with pytest.raises(RuntimeError):
        async with storage_db.uow() as uow:
            await uow.requests.add(make_request())
            raise RuntimeError("handler crashed")
    async with storage_db.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Request)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_requests_about_a_person_leave_out_their_own_and_come_newest_first(storage_db: StorageDB) -> None:
    async with storage_db.uow() as uow:
        older = await uow.requests.add(make_request(requester_id="manager"))
        await uow.requests.add_subjects(older, ["anna", "jan", "manager", "anna", ""])
        newer = await uow.requests.add(make_request(requester_id="owner"))
        await uow.requests.add_subjects(newer, ["anna"])
        own = await uow.requests.add(make_request(requester_id="anna"))
        await uow.requests.add_subjects(own, ["anna", "jan"])
        await uow.commit()
    async with storage_db.uow() as uow:
        assert [r.id for r in await uow.requests.list_about("anna")] == [newer.id, older.id]
        assert [r.id for r in await uow.requests.list_about("jan")] == [own.id, older.id]
        assert await uow.requests.list_about("manager") == [], "a requester is not a subject of their own request"
        assert [r.id for r in await uow.requests.list_about("anna", limit=1)] == [newer.id]

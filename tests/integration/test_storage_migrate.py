"""Migrations: upgrade on an empty database, repeat as a no-op, and the /readyz up-to-date check."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest_storage import Target, table_as_migrated
from sqlalchemy import inspect, text

from storage.db import create_engine, is_postgres
from storage.migrate import head_revisions, is_up_to_date, upgrade
from storage.models import Base, Request

pytest_plugins = ["storage_fixtures"]




async def test_upgrade_twice_is_a_noop_and_reports_up_to_date(unmigrated_target: Target) -> None:
    engine = create_engine(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    try:
        assert is_postgres(engine) == (unmigrated_target.backend == "postgres")
        assert await is_up_to_date(engine) is False

        await upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs)
        await upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs)

        assert await is_up_to_date(engine) is True
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            heads = (await conn.execute(text("SELECT COUNT(*) FROM audit_head"))).scalar()
        assert set(Base.metadata.tables) <= tables
        assert set(versions) == head_revisions()
        assert heads == 1  # the seeded chain head was not inserted twice
    finally:
        await engine.dispose()


async def test_migration_matches_the_models(unmigrated_target: Target) -> None:
    await upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    engine = create_engine(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []  # a model change without a revision shows up here


async def test_replicas_upgrading_together_take_turns(unmigrated_target: Target) -> None:
    if unmigrated_target.backend != "postgres":
        pytest.skip("the advisory lock that serializes concurrent upgrades is PostgreSQL-only")
    runs = [upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs) for _ in range(3)]
    # Let every run finish (even failed ones) so no transaction is left holding locks on the schema.
    outcomes = await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), timeout=60)
    assert outcomes == [None, None, None]
    engine = create_engine(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    try:
        assert await is_up_to_date(engine)
    finally:
        await engine.dispose()


async def test_requests_filed_before_subjects_existed_get_them_from_their_plans(unmigrated_target: Target) -> None:
    """Revision 0007 backfills request_subjects from each stored plan (user_id / member_id), never the requester."""
    await upgrade(unmigrated_target.url, "0006", **unmigrated_target.engine_kwargs)
    engine = create_engine(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    plans = {
        1: ("manager", [{"op": "license.assign", "user_id": "anna"}, {"op": "license.assign", "user_id": "ben"}]),
        2: ("owner", [{"op": "dl.add_member", "member_id": "carl"}, {"op": "dl.add_member", "member_id": "owner"}]),
        3: ("dana", [{"op": "license.assign", "user_id": "dana"}]),
        4: ("eve", [{"op": "mailbox.create", "address": "team@contoso.com"}]),
    }
    try:
        async with engine.begin() as conn:
            requests_then = await table_as_migrated(conn, Request)
            for request_id, (requester, plan) in plans.items():
                await conn.execute(
                    requests_then.insert().values(
                        id=request_id, public_id=f"R-{request_id}", kind="x", requester_id=requester,
                        requester_name=requester, target_id="t", target_label="t", plan=plan,
                    )
                )
        await upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT request_id, user_id FROM request_subjects"))).all()
        assert sorted(map(tuple, rows)) == [(1, "anna"), (1, "ben"), (2, "carl")]
    finally:
        await engine.dispose()

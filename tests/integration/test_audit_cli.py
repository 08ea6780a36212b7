"""`python app.py audit verify|seal` as an operator runs it: a subprocess on a SQLite file, judged by exit status."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storage.audit_chain import AuditKeys, event_hash
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.models import GENESIS_HASH, AuditEvent, AuditHead
from storage.uow import UnitOfWorkFactory

APP = Path(__file__).parents[2] / "app.py"
KEY = "cli-test-audit-key-0123456789abcdefghij"


def run_app(tmp_path: Path, url: str, *args: str, key: str = KEY) -> subprocess.CompletedProcess[str]:
    # cwd is the test's folder, so no developer's .env is read; only what the operator sets counts.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    env |= {"DESK_DATABASE_URL": url, "DESK_AUDIT_KEY": key, "DESK_MODE": "demo"}
    return subprocess.run(
        [sys.executable, str(APP), "audit", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


async def _append(url: str, keys: AuditKeys, count: int) -> list[int]:
    engine = create_engine(url)
    try:
        uow_factory = UnitOfWorkFactory(create_session_factory(engine), keys)
        async with uow_factory() as uow:
            ids = [(await uow.audit.append(action="request.submitted", detail={"i": i})).id for i in range(count)]
            await uow.commit()
        return ids
    finally:
        await engine.dispose()


async def _recompute_plain_from(url: str, from_id: int) -> None:
    """An attacker with database access and no key: edit an event, recompute the plain hashes after it and the head."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            prev = GENESIS_HASH
            for row in (await conn.execute(select(AuditEvent.__table__).order_by(AuditEvent.id))).all():
                if row.id < from_id:
                    prev = row.hash
                    continue
                detail = {"i": 999} if row.id == from_id else row.detail
                digest = event_hash(prev_hash=prev, request_id=row.request_id, actor_id=row.actor_id,
                                    actor_name=row.actor_name, action=row.action, detail=detail,
                                    created_at=row.created_at)
                await conn.execute(update(AuditEvent.__table__).where(AuditEvent.id == row.id)
                                   .values(detail=detail, prev_hash=prev, hash=digest))
                prev = digest
            await conn.execute(update(AuditHead.__table__).values(last_hash=prev))
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}"
    asyncio.run(upgrade(url))
    return url


def test_verify_exits_0_when_intact_and_1_with_the_first_broken_event(tmp_path: Path, database: str) -> None:
    ids = asyncio.run(_append(database, AuditKeys([KEY]), 4))
    intact = run_app(tmp_path, database, "verify")
    assert intact.returncode == 0, intact.stderr
    head = re.search(r"(\d+) events checked .*head event (\d+) hash ([0-9a-f]{64})", intact.stdout)
    assert head is not None and (int(head[1]), int(head[2])) == (4, ids[-1]), intact.stdout

    asyncio.run(_recompute_plain_from(database, ids[1]))
    broken = run_app(tmp_path, database, "verify")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    found = re.search(r"BROKEN at event (\d+):.*; (\d+) events checked", broken.stdout)
    assert found is not None and (int(found[1]), int(found[2])) == (ids[1], 2), broken.stdout
    for result in (intact, broken):
        assert KEY not in result.stdout + result.stderr


def test_a_head_from_the_log_catches_a_truncation(tmp_path: Path, database: str) -> None:
    ids = asyncio.run(_append(database, AuditKeys([KEY]), 3))
    head = re.search(r"head event (\d+) hash ([0-9a-f]{64})", run_app(tmp_path, database, "verify").stdout)
    assert head is not None
    asyncio.run(_truncate(database, keep=ids[0]))
    assert run_app(tmp_path, database, "verify").returncode == 0  # consistent by itself
    checked = run_app(tmp_path, database, "verify", "--expect-head", f"{head[1]}:{head[2]}")
    assert checked.returncode == 1 and f"BROKEN at event {ids[-1]}" in checked.stdout, checked.stdout


async def _truncate(url: str, *, keep: int) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            kept = (await conn.execute(select(AuditEvent.hash).where(AuditEvent.id == keep))).scalar_one()
            await conn.execute(AuditEvent.__table__.delete().where(AuditEvent.id > keep))
            await conn.execute(update(AuditHead.__table__).values(last_hash=kept, last_event_id=keep))
    finally:
        await engine.dispose()


def test_seal_vouches_once_for_events_from_before_the_key(tmp_path: Path, database: str) -> None:
    asyncio.run(_append(database, AuditKeys(), 2))  # written before the desk had a key
    unsealed = run_app(tmp_path, database, "verify")
    assert unsealed.returncode == 1 and "audit seal" in unsealed.stdout
    sealed = run_app(tmp_path, database, "seal")
    assert sealed.returncode == 0 and sealed.stdout.startswith("sealed 2 unkeyed audit events"), sealed.stdout
    assert run_app(tmp_path, database, "verify").returncode == 0
    assert run_app(tmp_path, database, "seal").stdout.startswith("nothing to seal")
    # Someone else's key verifies nothing: the operator learns the key is wrong, not that all is well.
    assert run_app(tmp_path, database, "verify", key="another-key-0123456789abcdefghijklmn").returncode == 1


def test_production_without_an_audit_key_refuses_to_start_and_prints_no_secret(tmp_path: Path, database: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    env |= {"DESK_MODE": "production", "DESK_CLIENT_SECRET": "s3cret-value-never-printed", "DESK_CLIENT_ID": "app"}
    result = subprocess.run([sys.executable, str(APP), "serve"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "audit key (DESK_AUDIT_KEY)" in result.stderr
    assert "s3cret-value-never-printed" not in result.stdout + result.stderr


def test_production_logs_are_json_lines_and_the_demo_logs_text(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESK_")}
    env |= {"DESK_CLIENT_ID": "app", "DESK_CLIENT_SECRET": "s3cret-value-never-printed", "DESK_TENANT_ID": "tenant",
            "DESK_ADMINS_GROUP_ID": "admins", "DESK_AUDIT_KEY": KEY,
            "DESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"}
    production = subprocess.run([sys.executable, str(APP), "migrate"], cwd=tmp_path, capture_output=True, text=True,
                                env=env | {"DESK_MODE": "production"}, timeout=120)
    assert production.returncode == 0, production.stderr
    lines = [json.loads(line) for line in production.stderr.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    demo_env = env | {"DESK_MODE": "demo", "DESK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'd.db'}"}
    demo = subprocess.run([sys.executable, str(APP), "migrate"], cwd=tmp_path, capture_output=True, text=True,
                          env=demo_env, timeout=120)
    assert demo.returncode == 0 and " INFO alembic.runtime.migration: " in demo.stderr

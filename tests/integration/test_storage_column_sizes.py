"""Columns hold real values on both backends (revision 0008), and the resize keeps every row and link."""

from __future__ import annotations

from conftest_storage import Target, table_as_migrated
from sqlalchemy import text

from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import ADDRESS, DISPLAY_NAME, LABEL, AuditEvent, ConversationRef, Decision, Request

pytest_plugins = ["storage_fixtures"]

LOCALE = "ca-ES-valencia"  # a real Teams locale, 14 characters
LONG_LOCALE = "sr-Latn-RS-x-" + "a" * 35  # a private-use tag past RFC 5646's 35 characters




def _request(request_id: int, **overrides: object) -> dict[str, object]:
    return {"id": request_id, "public_id": f"REQ-2026-{request_id:06d}", "kind": "license.assign",
            "requester_id": "a001", "requester_name": "Anna", "target_id": "a001", "target_label": "Anna · E3",
            "plan": [], "payload": {}, "approver_ids": [], "locale": "en", **overrides}


async def test_real_values_fit_after_the_upgrade(unmigrated_target: Target) -> None:
    await upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    engine = create_engine(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    name = "N" * DISPLAY_NAME
    address = "a" * 64 + "@" + "d" * (ADDRESS - 65)
    try:
        async with engine.begin() as conn:
            await conn.execute(Request.__table__.insert().values(**_request(
                1, requester_name=name, target_id=address, target_label="L" * LABEL, locale=LONG_LOCALE)))
            await conn.execute(Decision.__table__.insert().values(
                request_id=1, approver_id="b001", approver_name=name, outcome="approved"))
            await conn.execute(AuditEvent.__table__.insert().values(
                request_id=1, actor_id="a001", actor_name=name, action="submitted", detail={}, prev_hash="0" * 64,
                hash="1" * 64))
            await conn.execute(ConversationRef.__table__.insert().values(
                user_id="a001", teams_user_id="29:1", conversation_id="a:1", service_url="https://smba.example/",
                tenant_id="t", bot_id="28:b", bot_name=name, channel_id="msteams", locale=LOCALE))
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT requester_name, target_id, locale FROM requests"))).one()
            ref_locale = (await conn.execute(text("SELECT locale FROM conversation_refs"))).scalar_one()
        assert tuple(stored) == (name, address, LONG_LOCALE)
        assert ref_locale == LOCALE
    finally:
        await engine.dispose()


async def test_the_resize_keeps_every_row_and_link(unmigrated_target: Target) -> None:
    """SQLite rebuilds "requests" to resize it; its children (and the cascading request_subjects) stay linked."""
    await upgrade(unmigrated_target.url, "0007", **unmigrated_target.engine_kwargs)
    engine = create_engine(unmigrated_target.url, **unmigrated_target.engine_kwargs)
    try:
        async with engine.begin() as conn:
            requests_then = await table_as_migrated(conn, Request)
            decisions_then = await table_as_migrated(conn, Decision)
            for request_id in (1, 2):
                await conn.execute(requests_then.insert().values(**_request(request_id)))
            await conn.execute(text("INSERT INTO request_subjects (request_id, user_id) VALUES (1, 'ben'), (2, 'cy')"))
            await conn.execute(decisions_then.insert().values(
                request_id=2, approver_id="b001", approver_name="Boss", outcome="approved"))
            await conn.execute(ConversationRef.__table__.insert().values(
                user_id="a001", teams_user_id="29:1", conversation_id="a:1", service_url="https://smba.example/",
                tenant_id="t", bot_id="28:b", bot_name="Desk", channel_id="msteams", locale="pl-PL"))
        await upgrade(unmigrated_target.url, **unmigrated_target.engine_kwargs)
        async with engine.connect() as conn:
            requests = (await conn.execute(text("SELECT id, public_id FROM requests ORDER BY id"))).all()
            subjects = (await conn.execute(text("SELECT request_id, user_id FROM request_subjects ORDER BY id"))).all()
            decisions = (await conn.execute(text("SELECT request_id, approver_name FROM decisions"))).all()
            locale = (await conn.execute(text("SELECT locale FROM conversation_refs"))).scalar_one()
            if unmigrated_target.backend == "sqlite":
                broken = (await conn.execute(text("PRAGMA foreign_key_check"))).all()
                assert broken == []
        assert [tuple(r) for r in requests] == [(1, "REQ-2026-000001"), (2, "REQ-2026-000002")]
        assert [tuple(s) for s in subjects] == [(1, "ben"), (2, "cy")]
        assert [tuple(d) for d in decisions] == [(2, "Boss")]
        assert locale == "pl-PL"
    finally:
        await engine.dispose()

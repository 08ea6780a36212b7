"""The background audit check end to end: each run logs the chain's head; a break reaches every admin once."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk
from sqlalchemy import func, select, text

from app import ENGINE
from cards.i18n import Translator
from devtenant import DevTenant
from storage.models import AlertSent, AuditEvent


async def _until(condition: Callable[[], bool], *, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("waited in vain")


def _alert_pattern(language: str) -> re.Pattern[str]:
    # The whole message, with any time in it: nothing else (no event id, no reason) may reach a person.
    return re.compile(re.escape(Translator(language)("audit.broken", time="TIME")).replace("TIME", ".+") + r"\Z")


async def test_the_check_logs_the_head_and_tells_admins_once_when_the_chain_breaks(
    tenant: DevTenant, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.audit_check")
    settings = desk_settings(
        tenant, database_url, audit_verify_seconds=0.2, audit_verify_first_seconds=0.0,
        alert_check_seconds=0, sync_interval_seconds=0, grant_expiry_check_seconds=0,
    )
    desk: Desk = await start_desk(tenant, settings, run_jobs=True)
    seed = tenant.seed
    admins = [seed.user(user_id) for user_id in seed.admins_group.member_ids]
    try:
        await desk.say(seed.demo_admin, "help", locale="de-DE")  # this admin reads German
        await desk.say(seed.demo_employee, "request license E3 for me")
        async with desk.uow() as uow:
            ids = select(func.min(AuditEvent.id), func.max(AuditEvent.id))
            first_id, last_id = (await uow.session.execute(ids)).one()

        def heads() -> list[tuple[int, str]]:
            return [(r.audit_head_id, r.audit_head_hash) for r in caplog.records
                    if getattr(r, "audit_head_id", None) is not None and r.levelno == logging.INFO]

        # Approval cards go out in the background and are audited too, so wait for a head at or past ours.
        await _until(lambda: any(head_id >= last_id for head_id, _ in heads()))
        head_id, head_hash = heads()[-1]
        async with desk.uow() as uow:  # what the log keeps is the chain's real tail
            tail = select(AuditEvent.hash).where(AuditEvent.id == head_id)
            assert head_hash == (await uow.session.execute(tail)).scalar()
        assert not any(r.levelno >= logging.ERROR for r in caplog.records)

        async with desk.app[ENGINE].begin() as conn:  # someone edits the first event in the database
            await conn.execute(text("UPDATE audit_events SET detail = '{\"edited\": true}' WHERE id = :id"),
                               {"id": first_id})

        def alerts(user) -> list[str]:
            return [t for t in desk.texts(user) if t.startswith("⚠")]

        await _until(lambda: all(alerts(admin) for admin in admins))
        broken_runs = len([r for r in caplog.records if r.levelno == logging.ERROR])
        await _until(lambda: len([r for r in caplog.records if r.levelno == logging.ERROR]) >= broken_runs + 3)
    finally:
        await desk.client.close()

    for admin in admins:
        language = "de" if admin.id == seed.demo_admin.id else "en"
        assert len(alerts(admin)) == 1, (admin.display_name, alerts(admin))
        assert _alert_pattern(language).match(alerts(admin)[0]), alerts(admin)[0]
    assert Translator("de-DE")("audit.broken", time="x").startswith("⚠️ Sicherheitswarnung")
    broken = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert {(r.audit_first_bad_id, r.audit_reason) for r in broken} == {(first_id, "hash")}
    async with desk.uow() as uow:
        claims = list((await uow.session.execute(select(AlertSent))).scalars())
    expected = [(f"audit_chain:hash:{first_id}", "once", len(admins))]
    assert [(c.alert_key, c.day, c.recipients) for c in claims] == expected

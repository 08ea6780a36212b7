"""The admins' keeps (F20) end to end against devtenant, on SQLite and PostgreSQL: a quiet list's owner keeps it on
its "Still needed?" card; an admin sees the keep with ``keeps`` (English), a Polish admin ends it with ``anuluj
zachowanie <address>`` (audited), an employee gets the not-allowed answer, and the next pass asks the owner again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data, card_text
from test_still_needed import POLICY, control

from cards.verbs import Verb
from devtenant import DevTenant
from handlers.directory_sync import run_sync
from kinds.still_needed.ask import DESK_UNUSED_ID, file_still_needed
from kinds.usage.collect import collect_now


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url, sync_interval_seconds=0))
    try:
        yield running
    finally:
        await running.client.close()


async def asked_about(desk: Desk, list_id: str) -> int:
    async with desk.uow() as uow:
        filed = await uow.requests.list_for_requester(DESK_UNUSED_ID, limit=500)
    return len([r for r in filed if r.target_id == list_id])


async def test_an_admin_sees_a_keep_and_a_polish_admin_cancels_it_so_the_owner_is_asked_again(desk: Desk) -> None:
    seed = desk.tenant.seed
    owner, quiet, busy = seed.list_owner, seed.closed_list, seed.open_list
    assert (await run_sync(desk.services, full=True)).ok
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await control(desk.tenant, "POST", "/usage/messages",
                  {"recipient": busy.primary_smtp_address, "received": [yesterday.isoformat()]})
    assert (await collect_now(desk.services, "e2e", force=True)).queries > 0
    assert await file_still_needed(desk.services, POLICY) >= 1
    await desk.run_jobs()
    keep = action_data(desk.last_card(owner)[1], Verb.STILL_NEEDED_KEEP)
    assert "chose: keep it" in card_text((await desk.click(owner, Verb.STILL_NEEDED_KEEP, keep))["value"])
    await desk.run_jobs()

    await desk.say(seed.demo_admin, "keeps")
    shown = card_text(desk.last_card(seed.demo_admin)[1])
    assert "Kept lists and mailboxes" in shown and quiet.display_name in shown and keep["request_id"] in shown
    assert owner.display_name in shown

    await desk.say(seed.demo_employee, "cancel keep " + quiet.display_name)
    assert desk.texts(seed.demo_employee)[-1] == "Only admins can see and cancel keeps."

    polish_admin = next(seed.user(a) for a in seed.admins_group.member_ids if a != seed.demo_admin.id)
    await desk.say(polish_admin, f"anuluj zachowanie {quiet.primary_smtp_address}", locale="pl-PL")
    assert desk.texts(polish_admin)[-1].startswith("Zachowanie ") and "anulowane" in desk.texts(polish_admin)[-1]
    async with desk.uow() as uow:
        request = await uow.requests.get_by_public_id(keep["request_id"])
        assert request is not None
        cancelled = [e for e in await uow.audit.for_request(request.id) if e.action == "keep.cancelled"]
    assert [e.actor_id for e in cancelled] == [polish_admin.id]

    await desk.say(polish_admin, "zachowane", locale="pl-PL")
    assert quiet.display_name not in card_text(desk.last_card(polish_admin)[1])
    assert await asked_about(desk, quiet.id) == 1
    assert await file_still_needed(desk.services, POLICY) >= 1  # still quiet: asked again
    assert await asked_about(desk, quiet.id) == 2

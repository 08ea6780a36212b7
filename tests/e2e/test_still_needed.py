"""Still needed? (F20) end to end against devtenant, on SQLite and PostgreSQL, in English: the closed list gets no
mail through the emulator, the desk's collection and the still-needed pass file a request to its owner (the list
that got mail is not asked about), the owner's card offers Keep / Delete, and Delete removes the list from Exchange."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb
from devtenant import DevTenant
from handlers.directory_sync import run_sync
from kinds.still_needed.ask import DESK_UNUSED_ID, StillNeededPolicy, run_still_needed_pass
from kinds.usage.collect import collect_now

# Message trace covers 10 days, so the desk has watched that long after one collection: 5 quiet days suffice here.
POLICY = StillNeededPolicy(list_days=5, mailbox_days=5, keep_days=180)


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url, sync_interval_seconds=0))
    try:
        yield running
    finally:
        await running.client.close()


async def control(tenant: DevTenant, method: str, path: str, body: dict[str, Any]) -> None:
    """The emulator's control API: traffic as Exchange's message trace would see it."""
    connector = aiohttp.TCPConnector(ssl=tenant.ssl_context())
    async with (aiohttp.ClientSession(connector=connector, trust_env=False) as session,
                session.request(method, f"{tenant.control_url}{path}", json=body) as reply):
        assert reply.status < 300, await reply.text()


async def test_a_quiet_lists_owner_is_asked_and_delete_removes_it_from_exchange(desk: Desk) -> None:
    seed = desk.tenant.seed
    owner, quiet, busy = seed.list_owner, seed.closed_list, seed.open_list
    assert (await run_sync(desk.services, full=True)).ok
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await control(desk.tenant, "POST", "/usage/messages",
                  {"recipient": busy.primary_smtp_address, "received": [yesterday.isoformat()]})
    assert (await collect_now(desk.services, "e2e", force=True)).queries > 0

    assert await run_still_needed_pass(desk.services, POLICY) >= 1
    assert await run_still_needed_pass(desk.services, POLICY) == 0  # the day's pass is taken
    async with desk.uow() as uow:
        filed = await uow.requests.list_for_requester(DESK_UNUSED_ID, limit=500)
    assert [r for r in filed if r.target_id == busy.id] == []
    (request,) = [r for r in filed if r.target_id == quiet.id]
    assert request.approver_ids == [owner.id] and request.state == "pending" and request.plan == []

    await desk.run_jobs()
    _, card = desk.last_card(owner)
    shown = card_text(card)
    assert "Still needed?" in shown and request.public_id in shown and quiet.display_name in shown
    delete = action_data(card, Verb.STILL_NEEDED_DELETE)
    assert quiet.id in desk.tenant.state.exo_groups
    chosen = await desk.click(owner, Verb.STILL_NEEDED_DELETE, delete)
    assert "chose: delete it" in card_text(chosen["value"])
    await desk.run_jobs()

    assert quiet.id not in desk.tenant.state.exo_groups
    async with desk.uow() as uow:
        done = await uow.requests.get(request.id)
    assert done is not None and done.state == "completed"

"""Orphaned lists and mailboxes (F20) end to end against devtenant, on SQLite and PostgreSQL: a list owner disabled
through the emulator's control API shows up in ``orphaned`` (en) and ``osierocone`` (pl) with her manager; the
clean-up pass files the desk's request, her manager gets the card, is reminded and, on the business clock, the admins
are added; "Take it over" changes the list's owners in Exchange exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from conftest import desk_settings, start_desk
from desk_harness import Clock, Desk, action_data, card_text

from cards.verbs import Verb
from devtenant import DevTenant
from handlers.directory_sync import run_sync
from kinds.orphans.cleanup import DESK_ORPHANS_ID, run_orphan_pass
from kinds.orphans.follow_up import FollowUp, follow_up_waiting

FILED = date(2025, 3, 3)  # a Monday; 2 business days later is Wednesday, 5 the next Monday (same hour)


@pytest.fixture
def clock() -> Clock:
    filed = Clock()
    filed.set(FILED, 10)
    return filed


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url, sync_interval_seconds=0), clock=clock)
    try:
        yield running
    finally:
        await running.client.close()


async def disable(tenant: DevTenant, user_id: str) -> None:
    """Through the emulator's control API, as an admin in the Entra portal would."""
    connector = aiohttp.TCPConnector(ssl=tenant.ssl_context())
    async with (aiohttp.ClientSession(connector=connector, trust_env=False) as session,
                session.post(f"{tenant.control_url}/users/{user_id}/disable") as reply):
        assert reply.status < 300, await reply.text()


def list_owner_mails(tenant: DevTenant, list_id: str) -> list[str]:
    return [mail.lower() for mail in tenant.state.exo_group(list_id)["ManagedBy"]]


async def test_orphaned_lists_the_former_owner_and_manager_for_admins_only(desk: Desk) -> None:
    seed = desk.tenant.seed
    owner, the_list = seed.list_owner, seed.closed_list
    manager = seed.user(owner.manager_id or "")
    assert (await run_sync(desk.services, full=True)).ok
    await disable(desk.tenant, owner.id)
    assert (await run_sync(desk.services)).ok

    await desk.say(seed.demo_admin, "orphaned lists")
    shown = card_text(desk.last_card(seed.demo_admin)[1])
    assert the_list.display_name in shown
    assert f"{owner.display_name} (disabled; manager: {manager.display_name})" in shown

    polish_admin = next(seed.user(a) for a in seed.admins_group.member_ids if a != seed.demo_admin.id)
    await desk.say(polish_admin, "osierocone", locale="pl-PL")
    shown = card_text(desk.last_card(polish_admin)[1])
    assert f"{owner.display_name} (wyłączone konto; przełożony: {manager.display_name})" in shown
    assert "Listy dystrybucyjne: 1 osierocona" in shown and "Skrzynki współdzielone" in shown

    await desk.say(seed.demo_employee, "orphaned")
    assert desk.texts(seed.demo_employee)[-1] == "Only admins can see orphaned lists and mailboxes."
    assert desk.cards(seed.demo_employee) == []


async def test_the_cleanup_reaches_the_manager_is_escalated_and_taken_over_once(desk: Desk, clock: Clock) -> None:
    seed = desk.tenant.seed
    owner, the_list = seed.list_owner, seed.closed_list
    manager = seed.user(owner.manager_id or "")
    admins = [seed.user(a) for a in seed.admins_group.member_ids]
    assert (await run_sync(desk.services, full=True)).ok
    await disable(desk.tenant, owner.id)
    assert (await run_sync(desk.services)).ok

    assert await run_orphan_pass(desk.services) >= 1
    assert await run_orphan_pass(desk.services) == 0  # the day's pass is taken
    async with desk.uow() as uow:
        filed = await uow.requests.list_for_requester(DESK_ORPHANS_ID, limit=50)
    (request,) = [r for r in filed if r.target_id == the_list.id]
    assert request.approver_ids == [manager.id] and request.state == "pending"
    await desk.run_jobs()
    _, card = desk.last_card(manager)
    assert request.public_id in card_text(card) and "Keep without owner" not in card_text(card)
    take_over = action_data(card, Verb.ORPHAN_TAKE_OVER)

    clock.set(date(2025, 3, 5), 10)  # Wednesday: 2 business days
    assert (await follow_up_waiting(desk.services, FollowUp())).reminded >= 1
    assert f"Reminder: {request.public_id}" in card_text(desk.last_card(manager)[1])
    clock.set(date(2025, 3, 10), 10)  # next Monday: 5 business days
    assert (await follow_up_waiting(desk.services, FollowUp())).escalated == 1
    assert (await follow_up_waiting(desk.services, FollowUp())).escalated == 0
    for admin in admins:
        escalated = [c for _, c in desk.cards(admin) if "now with the admins too" in card_text(c)]
        assert len(escalated) == 1 and request.public_id in card_text(escalated[0])

    before = len(desk.tenant.state.calls("exchange", cmdlet="Set-DistributionGroup"))
    taken = await desk.click(manager, Verb.ORPHAN_TAKE_OVER, take_over)
    assert "took it over" in card_text(taken["value"])
    again = await desk.click(manager, Verb.ORPHAN_TAKE_OVER, take_over)
    assert f"{request.public_id} was already decided" in card_text(again["value"])
    await desk.run_jobs()
    assert len(desk.tenant.state.calls("exchange", cmdlet="Set-DistributionGroup")) == before + 1
    assert manager.mail is not None and manager.mail.lower() in list_owner_mails(desk.tenant, the_list.id)
    async with desk.uow() as uow:
        done = await uow.requests.get(request.id)
        actions = [event.action for event in await uow.audit.for_request(request.id)]
    assert done is not None and done.state == "completed"
    assert actions.count("request.reminded") == 1 and actions.count("request.escalated") == 1

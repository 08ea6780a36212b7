"""Time-bound mailbox grants (F6) on a set clock: the holder is told a day before, and at the end date the desk files
and runs a revoke request of its own (approved by policy, in the history), once, however many replicas run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta

import pytest
from conftest import desk_settings, start_desk
from desk_harness import WARSAW, Clock, Desk, action_data, card_text
from sqlalchemy import select

from cards.verbs import Verb
from devtenant import DevTenant
from kinds.mailboxes.expiry import DESK_EXPIRY_ID, process_expiries
from storage.models_grants import MailboxGrant


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url), clock=clock)
    try:
        yield running
    finally:
        await running.client.close()


def _holders(desk: Desk, mailbox_id: str) -> set[str]:
    return {entry["User"] for entry in desk.tenant.state.mailbox_permissions.get(mailbox_id, [])}


async def _grants(desk: Desk) -> list[MailboxGrant]:
    async with desk.uow() as uow:
        return list((await uow.session.execute(select(MailboxGrant).order_by(MailboxGrant.id))).scalars())


async def _grant_until(desk: Desk, until: date) -> None:
    seed = desk.tenant.seed
    employee, admin, mailbox = seed.demo_employee, seed.demo_admin, seed.empty_mailbox
    await desk.say(employee, f"grant full access on {mailbox.primary_smtp_address} to {employee.mail} "
                             f"until {until.isoformat()}")
    await desk.run_jobs()
    card_id, card = next((cid, c) for cid, c in reversed(desk.cards(admin)) if mailbox.display_name in card_text(c))
    assert f"automatically on {until.isoformat()}" in card_text(card)
    await desk.click(admin, Verb.APPROVE, action_data(card, Verb.APPROVE), reply_to_id=card_id)
    await desk.run_jobs()


async def test_time_bound_grant_notifies_then_expires_by_a_request_of_its_own(desk: Desk, clock: Clock) -> None:
    seed = desk.tenant.seed
    employee, mailbox = seed.demo_employee, seed.empty_mailbox
    services = desk.services
    monday = date.today() + timedelta(days=14 - date.today().weekday())
    clock.set(monday, 9)
    thursday = monday + timedelta(days=3)

    await _grant_until(desk, thursday)
    assert employee.id in _holders(desk, mailbox.id)
    [grant] = await _grants(desk)
    assert grant.expires_at == datetime.combine(thursday, time(0, 0), tzinfo=WARSAW)
    assert grant.person_id == employee.id and grant.active_key is not None

    assert await process_expiries(services) == type(await process_expiries(services))()  # nothing due yet
    clock.set(thursday - timedelta(days=1), 1)  # 23 hours before the end: inside the one-day notice
    assert (await process_expiries(services)).notified == 1
    assert (await process_expiries(services)).notified == 0, "told once"
    assert f"ends on {thursday.isoformat()}" in desk.texts(employee)[-1]
    assert employee.id in _holders(desk, mailbox.id)

    clock.set(thursday, 0, 30)
    # Two replicas at once: one revoke request between them.
    runs = await asyncio.gather(process_expiries(services), process_expiries(services))
    assert sum(run.filed for run in runs) == 1
    async with desk.uow() as uow:
        [revoke] = await uow.requests.list_for_requester(DESK_EXPIRY_ID)
    assert revoke.kind == "mailbox.revoke" and revoke.requester_name == "M365 Desk"
    assert revoke.state == "approved" and revoke.plan[0]["user_id"] == employee.id
    assert "has ended" in desk.texts(employee)[-1] and revoke.public_id in desk.texts(employee)[-1]

    await desk.run_jobs()
    assert employee.id not in _holders(desk, mailbox.id), "access gone in Exchange"
    async with desk.uow() as uow:
        revoke = await uow.requests.get(revoke.id)
        [decision] = await uow.decisions.for_request(revoke.id)
    assert revoke.state == "completed"
    assert decision.approver_id == "desk:policy" and "granted until this date" in (decision.reason or "")
    # The holder's copy of the revoke's card shows it done; the grant is closed and not revoked twice.
    _, holder_card = next((cid, c) for cid, c in reversed(desk.cards(employee)) if revoke.public_id in card_text(c))
    assert "State: Done" in card_text(holder_card)
    [grant] = await _grants(desk)
    assert grant.active_key is None and grant.revoke_request_id == revoke.id and grant.closed_reason == "expired"
    assert await process_expiries(services) == type(await process_expiries(services))()
    # Filed in the desk's name, yet it is about the holder: their "my requests" lists it beside their own grant.
    await desk.say(employee, "my requests")
    shown = card_text(desk.last_card(employee)[1])
    assert "Asked for you by others" in shown and revoke.public_id in shown and "by M365 Desk" in shown


async def test_a_new_grant_replaces_the_old_expiry(desk: Desk, clock: Clock) -> None:
    monday = date.today() + timedelta(days=14 - date.today().weekday())
    clock.set(monday, 9)
    await _grant_until(desk, monday + timedelta(days=3))
    clock.set(monday + timedelta(days=2), 1)
    assert (await process_expiries(desk.services)).notified == 1
    later = monday + timedelta(days=10)
    await _grant_until(desk, later)  # extending: the person holds the access, only its end changes
    [grant] = await _grants(desk)
    assert grant.expires_at == datetime.combine(later, time(0, 0), tzinfo=WARSAW)
    assert grant.notified_at is None, "the new end gets its own notice"
    clock.set(monday + timedelta(days=4), 9)
    run = await process_expiries(desk.services)
    assert run.filed == 0 and run.notified == 0
    assert desk.tenant.seed.demo_employee.id in _holders(desk, desk.tenant.seed.empty_mailbox.id)
    # Giving the access up now ends the expiry too: nothing is left to notice or to revoke at the end date.
    employee, mailbox = desk.tenant.seed.demo_employee, desk.tenant.seed.empty_mailbox
    await desk.say(employee, f"revoke full access on {mailbox.primary_smtp_address} from {employee.mail}")
    await desk.run_jobs()
    assert employee.id not in _holders(desk, mailbox.id)
    [grant] = await _grants(desk)
    assert grant.active_key is None and grant.closed_reason == "ended"
    clock.set(later, 9)
    assert await process_expiries(desk.services) == type(await process_expiries(desk.services))()

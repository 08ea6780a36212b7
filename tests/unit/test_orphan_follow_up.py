"""Reminders and escalation of waiting orphan clean-ups (F20) on the memory tenant and the settable clock: one reminder
to the deciders after 2 business days, the admins added after 5 (the manager keeps a card that still works), each once
across concurrent runs and audited; a clean-up decided in time is left alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk
from test_orphans_kinds import click, orphan_tenant
from test_request_lifecycle import action_data, run_jobs

from cards.verbs import Verb
from handlers.directory_sync import run_sync
from kinds.orphans.cleanup import DESK_ORPHANS_ID, file_new_orphans
from kinds.orphans.follow_up import FollowedUp, FollowUp, follow_up_waiting
from storage.models import Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

POLICY = FollowUp(remind_days=2, escalate_days=5)
# Filed on Monday 3 March 2025 at 10:00 Warsaw time (the fixture clock's start); a business day is 10.5 h of
# service time (08:00-18:30), so 2 of them run out on Wednesday at 10:00 and 5 on the next Monday at 10:00.
REMIND_AT = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
ESCALATE_AT = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def odesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(migrated_sqlite, tmp_path, orphan_tenant()) as built:
        yield built


async def annas_cleanup(desk: Desk) -> Request:
    """Anna (managed by Lena) is disabled: the desk files the clean-up of her list and Lena gets its card."""
    desk.tenant.update_user(ANNA.user_id, account_enabled=False)
    assert (await run_sync(desk.services)).ok
    await file_new_orphans(desk.services)
    await run_jobs(desk)
    return await cleanup_of(desk, "Anna's List")


async def cleanup_of(desk: Desk, name: str) -> Request:
    async with desk.services.uow() as uow:
        filed = await uow.requests.list_for_requester(DESK_ORPHANS_ID)
    return next(r for r in filed if r.target_label.startswith(name + " <"))


async def audited(desk: Desk, request: Request) -> list[str]:
    async with desk.services.uow() as uow:
        return [event.action for event in await uow.audit.for_request(request.id)]


def cards_to(desk: Desk, person_id: str, request: Request) -> list[str]:
    shown = (str(sent.card) for sent in desk.messenger.to(person_id) if sent.card is not None)
    return [card for card in shown if request.public_id in card]


async def test_reminded_once_after_two_business_days_then_escalated_once_after_five(odesk: Desk) -> None:
    annas = await annas_cleanup(odesk)
    (lenas_card,) = [s.card for s in odesk.messenger.to(LENA.user_id) if s.card is not None]
    take_over = action_data(lenas_card, Verb.ORPHAN_TAKE_OVER)

    odesk.clock.now = REMIND_AT - MINUTE
    assert await follow_up_waiting(odesk.services, POLICY) == FollowedUp()
    odesk.clock.now = REMIND_AT
    # Two replicas at once: each waiting clean-up (Anna's list, and the two routed to the admins) is reminded once.
    both = await asyncio.gather(follow_up_waiting(odesk.services, POLICY), follow_up_waiting(odesk.services, POLICY))
    assert sum(run.reminded for run in both) == 3 and sum(run.escalated for run in both) == 0
    odesk.clock.now = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)  # Friday: reminded already, not yet escalated
    assert await follow_up_waiting(odesk.services, POLICY) == FollowedUp()
    reminders = cards_to(odesk, LENA.user_id, annas)[1:]
    assert len(reminders) == 1 and f"Reminder: {annas.public_id} has waited for your choice since" in reminders[0]
    assert "Take it over" in reminders[0] and "Keep without owner" not in reminders[0]
    assert cards_to(odesk, JONAS.user_id, annas) == []  # the reminder goes to the deciders only
    # The card the reminder replaced loses its buttons: only the newest copy is kept current later.
    lenas_updates = [card for sent, card in odesk.messenger.updates if sent.conversation_id.endswith(LENA.user_id)]
    assert len(lenas_updates) == 1 and "Take it over" not in str(lenas_updates[0])
    assert annas.public_id in str(lenas_updates[0])

    odesk.clock.now = ESCALATE_AT - MINUTE
    assert await follow_up_waiting(odesk.services, POLICY) == FollowedUp()
    odesk.clock.now = ESCALATE_AT
    both = await asyncio.gather(follow_up_waiting(odesk.services, POLICY), follow_up_waiting(odesk.services, POLICY))
    # Only Anna's list has someone to add: the other two were with the admins from the start.
    assert sum(run.escalated for run in both) == 1
    assert await follow_up_waiting(odesk.services, POLICY) == FollowedUp()
    (admins_card,) = cards_to(odesk, JONAS.user_id, annas)
    (admins_own,) = [s.card for s in odesk.messenger.to(JONAS.user_id) if s.card is not None
                     and annas.public_id in str(s.card)]
    assert f"{annas.public_id} has waited for a choice since" in admins_card
    assert "now with the admins too" in admins_card
    assert "Keep without owner" in admins_card  # the admins' own choice, offered to the admins it went to
    escalated = await cleanup_of(odesk, "Anna's List")
    assert escalated.approver_ids == [LENA.user_id, JONAS.user_id] and escalated.version == annas.version
    assert escalated.payload["approver_names"] == ["Lena Schmidt", "Jonas Becker"]
    assert (await audited(odesk, annas)).count("request.reminded") == 1
    assert (await audited(odesk, annas)).count("request.escalated") == 1

    # Lena's first card still works (the escalation did not move the version), and it executes once.
    reply = await click(odesk, LENA, Verb.ORPHAN_TAKE_OVER, take_over)
    assert reply.card is not None and "took it over" in str(reply.card)
    late = await click(odesk, JONAS, Verb.ORPHAN_KEEP, action_data(admins_own, Verb.ORPHAN_KEEP))
    assert late.text == f"{annas.public_id} was already decided: Approved."
    await run_jobs(odesk)
    done = await cleanup_of(odesk, "Anna's List")
    assert done.state == "completed" and [step["op"] for step in done.plan] == ["update_list"]
    # Every copy is brought up to date, the admin's too: nobody is left with live buttons.
    jonas_updates = [card for sent, card in odesk.messenger.updates if sent.conversation_id.endswith(JONAS.user_id)]
    assert jonas_updates and "Take it over" not in str(jonas_updates[-1])


async def test_a_cleanup_decided_in_time_is_neither_reminded_nor_escalated(odesk: Desk) -> None:
    annas = await annas_cleanup(odesk)
    (lenas_card,) = [s.card for s in odesk.messenger.to(LENA.user_id) if s.card is not None]
    await click(odesk, LENA, Verb.ORPHAN_DELETE, action_data(lenas_card, Verb.ORPHAN_DELETE))
    odesk.clock.now = ESCALATE_AT
    assert (await follow_up_waiting(odesk.services, POLICY)).escalated == 0
    assert cards_to(odesk, JONAS.user_id, annas) == []
    assert "request.escalated" not in await audited(odesk, annas)
    assert (await cleanup_of(odesk, "Anna's List")).approver_ids == [LENA.user_id]


async def test_an_admin_it_was_escalated_to_may_keep_it_without_owner(odesk: Desk) -> None:
    annas = await annas_cleanup(odesk)
    odesk.clock.now = ESCALATE_AT
    assert (await follow_up_waiting(odesk.services, POLICY)).escalated == 1
    (admins_card,) = [s.card for s in odesk.messenger.to(JONAS.user_id)
                      if s.card is not None and annas.public_id in str(s.card)]
    reply = await click(odesk, JONAS, Verb.ORPHAN_KEEP, action_data(admins_card, Verb.ORPHAN_KEEP))
    assert reply.card is not None and "keep without owner" in str(reply.card)
    await run_jobs(odesk)
    assert (await cleanup_of(odesk, "Anna's List")).state == "completed"

"""Still needed? (F20) on the memory tenant: the desk files one request per quiet list or mailbox (to its owners,
else the admins), a keep is remembered until it runs out, Delete executes through the shared lifecycle, and a click
by an outsider or a forged Approve changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk, small_tenant
from jsonschema import Draft6Validator
from test_request_lifecycle import action_data, run_jobs

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.context import Reply
from handlers.directory_sync import run_sync
from handlers.dispatch import dispatch_click
from kinds.orphans.follow_up import FollowUp
from kinds.still_needed.ask import DESK_UNUSED_ID, KIND, StillNeededPolicy, file_still_needed, run_still_needed_pass
from kinds.still_needed.follow_up import follow_up_waiting
from kinds.usage.collect import collect_now
from m365.memory import ListSeed, MailboxSeed, TenantSeed, UserSeed
from storage.models import Request
from storage.repositories.unused_keeps import UnusedKeepRepository

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
SILENT = ListSeed("silent", "Silent List", owners=(ANNA.user_id,), member_ids=(ANNA.user_id, LENA.user_id))
HELPDESK = MailboxSeed("helpdesk", "Helpdesk")
ARCHIVE = MailboxSeed("archive", "Old Archive")
POLICY = StillNeededPolicy(list_days=90, mailbox_days=60, keep_days=180)


def quiet_tenant() -> TenantSeed:
    seed = small_tenant()
    return replace(seed, lists=(*seed.lists, SILENT), mailboxes=(HELPDESK, ARCHIVE))


@pytest.fixture
async def sdesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    """100 days of watching: Marketing and Book Club had mail, Silent List none; Helpdesk active, Old Archive not."""
    async with open_desk(migrated_sqlite, tmp_path, quiet_tenant()) as built:
        assert (await run_sync(built.services)).ok
        usage = built.tenant.usage
        assert (await collect_now(built.services, "replica-a")).finished
        built.clock.advance(days=100)
        for address in ("marketing@contoso.com", "book-club@contoso.com"):
            usage.add_messages(address, [built.clock.now - timedelta(days=2)])
        assert (await collect_now(built.services, "replica-a")).finished
        usage.set_mailbox_activity("helpdesk@contoso.com", built.clock.now.date() - timedelta(days=3))
        yield built


async def filed(desk: Desk) -> dict[str, Request]:
    async with desk.services.uow() as uow:
        return {r.target_label.split(" <")[0]: r for r in await uow.requests.list_for_requester(DESK_UNUSED_ID)}


async def click(desk: Desk, person: UserSeed, verb: Verb, data: dict[str, Any]) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), verb, data)


async def annas_card(desk: Desk) -> dict[str, Any]:
    await run_jobs(desk)
    (card,) = [s.card for s in desk.messenger.to(ANNA.user_id) if s.card is not None]
    assert list(Draft6Validator(SCHEMA).iter_errors(card)) == []
    return card


async def test_one_request_per_quiet_resource_to_its_owners_else_the_admins(sdesk: Desk) -> None:
    assert await run_still_needed_pass(sdesk.services, POLICY) == 2
    assert await run_still_needed_pass(sdesk.services, POLICY) == 0  # the day's pass is claimed
    assert await file_still_needed(sdesk.services, POLICY) == 0  # and each quiet period once, on any replica
    requests = await filed(sdesk)
    assert sorted(requests) == ["Old Archive", "Silent List"]
    silent = requests["Silent List"]
    assert silent.kind == KIND and silent.plan == [] and silent.state == "pending"
    assert silent.approver_ids == [ANNA.user_id] and silent.payload["route"] == "owners"
    assert requests["Old Archive"].approver_ids == [JONAS.user_id]  # no recorded owner: the admins
    card = await annas_card(sdesk)
    assert "Still needed?" in json.dumps(card) and "180 days" in json.dumps(card)
    assert action_data(card, Verb.STILL_NEEDED_KEEP)["request_id"] == silent.public_id
    assert action_data(card, Verb.STILL_NEEDED_DELETE)["request_id"] == silent.public_id


async def test_a_keep_is_remembered_until_it_runs_out(sdesk: Desk) -> None:
    await file_still_needed(sdesk.services, POLICY)
    data = action_data(await annas_card(sdesk), Verb.STILL_NEEDED_KEEP)
    reply = await click(sdesk, ANNA, Verb.STILL_NEEDED_KEEP, data)
    assert reply.card is not None and "keep it" in json.dumps(reply.card)
    await run_jobs(sdesk)
    silent = (await filed(sdesk))["Silent List"]
    async with sdesk.services.uow() as uow:
        done = await uow.requests.get(silent.id)
        kept = await UnusedKeepRepository(uow.session).kept_until()
    assert done is not None and done.state == "completed" and [s["op"] for s in done.plan] == ["keep_unused"]
    assert kept == {("list", silent.target_id): sdesk.clock.now + timedelta(days=180)}

    async def asked_about_silent() -> int:
        await file_still_needed(sdesk.services, POLICY)
        async with sdesk.services.uow() as uow:
            mine = await uow.requests.list_for_requester(DESK_UNUSED_ID)
        return len([r for r in mine if r.target_id == silent.target_id])

    sdesk.clock.advance(days=179)  # still quiet, but kept: nobody is asked (the other lists have gone quiet now)
    assert await asked_about_silent() == 1
    sdesk.clock.advance(days=2)  # the keep ran out and it is still quiet: asked again, once
    assert await asked_about_silent() == 2
    assert await asked_about_silent() == 2


async def test_delete_executes_and_outsiders_and_a_forged_approve_change_nothing(sdesk: Desk) -> None:
    await file_still_needed(sdesk.services, POLICY)
    data = action_data(await annas_card(sdesk), Verb.STILL_NEEDED_DELETE)

    # A forged Approve (the card has none): the request has no plan until a choice is made, so nothing is approved.
    forged = await click(sdesk, ANNA, Verb.APPROVE, {"request_id": data["request_id"], "version": 1})
    assert forged.text == Translator("en")("error.bad_card")
    outsider = await click(sdesk, LENA, Verb.STILL_NEEDED_DELETE, data)  # a member, not an owner
    assert outsider.card is None  # the answer that says nothing
    async with sdesk.services.uow() as uow:
        waiting = await uow.requests.get_by_public_id(data["request_id"])
    assert waiting is not None and waiting.state == "pending" and waiting.plan == []

    reply = await click(sdesk, ANNA, Verb.STILL_NEEDED_DELETE, data)
    assert reply.card is not None and "delete it" in json.dumps(reply.card)
    again = await click(sdesk, ANNA, Verb.STILL_NEEDED_KEEP, data)
    assert again.text == f"{data['request_id']} was already decided: Approved."
    await run_jobs(sdesk)
    async with sdesk.services.uow() as uow:
        done = await uow.requests.get_by_public_id(data["request_id"])
    assert done is not None and done.state == "completed"
    assert [step["op"] for step in done.plan] == ["delete_list"]
    assert "Silent List" not in [dl.display_name for dl in sdesk.tenant.lists.values()]


async def test_reminded_then_escalated_to_the_admins_once_each(sdesk: Desk) -> None:
    await file_still_needed(sdesk.services, POLICY)
    await run_jobs(sdesk)
    silent = (await filed(sdesk))["Silent List"]
    sdesk.clock.advance(days=2, hours=1)  # Monday 9:00 + 2 days: Wednesday, 2 business days
    assert (await follow_up_waiting(sdesk.services, FollowUp())).reminded == 2  # Silent List and Old Archive
    assert (await follow_up_waiting(sdesk.services, FollowUp())).reminded == 0
    assert f"Reminder: {silent.public_id}" in json.dumps(sdesk.messenger.to(ANNA.user_id)[-1].card)
    sdesk.clock.advance(days=5)  # 5 business days: the admins join Anna's request (Old Archive is theirs already)
    assert (await follow_up_waiting(sdesk.services, FollowUp())).escalated == 1
    assert (await follow_up_waiting(sdesk.services, FollowUp())).escalated == 0
    async with sdesk.services.uow() as uow:
        widened = await uow.requests.get(silent.id)
    assert widened is not None and widened.approver_ids == [ANNA.user_id, JONAS.user_id]
    assert "now with the admins too" in json.dumps(sdesk.messenger.to(JONAS.user_id)[-1].card)

"""The pending queue and a request's timeline (F19, F21) end to end over HTTP against devtenant, in English and
Polish: an admin lists what waits, opens a request from the queue and decides it there; "show REQ-…" for the
requester and an admin, and the refusal that says nothing for an outsider."""

from __future__ import annotations

from typing import Any

from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import SeedUser
from storage.models import Request

en, pl = Translator("en-US"), Translator("pl-PL")


def _outsider(desk: Desk) -> SeedUser:
    seed = desk.tenant.seed
    involved = {*seed.admins_group.member_ids, seed.demo_employee.id, seed.list_owner.id}
    return next(u for u in seed.users if u.id not in involved and u.account_enabled)


def _open_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The data of every item's Open button (in the card's body, one ActionSet per item)."""
    found = []
    for item in card.get("body", []):
        for element in item.get("items", []):
            found += [a["data"] for a in element.get("actions", []) if a.get("verb") == Verb.QUEUE_OPEN]
    return found


async def _latest(desk: Desk, user: SeedUser) -> Request:
    async with desk.uow() as uow:
        return (await uow.requests.list_for_requester(user.id))[0]


async def test_an_admin_decides_from_the_queue_and_a_person_sees_only_their_own(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    await desk.say(employee, "request license E3")
    await desk.run_jobs()
    request = await _latest(desk, employee)

    await desk.say(admin, "pending licenses")
    _, queue = desk.last_card(admin)
    shown = card_text(queue)
    assert en("queue.title.all") in shown and request.public_id in shown and employee.display_name in shown
    # By approver (a JSON list matched in SQL, alike on SQLite and PostgreSQL): it waits for the admins.
    await desk.say(admin, "pending for me")
    assert [data["request_id"] for data in _open_buttons(desk.last_card(admin)[1])] == [request.public_id]
    await desk.say(admin, f"pending for {_outsider(desk).user_principal_name}")
    assert _open_buttons(desk.last_card(admin)[1]) == []
    (open_it,) = _open_buttons(queue)
    assert open_it["request_id"] == request.public_id
    opened = await desk.click(admin, Verb.QUEUE_OPEN, open_it)
    approved = await desk.click(admin, Verb.APPROVE, action_data(opened["value"], Verb.APPROVE))
    assert "Approved by" in card_text(approved["value"])
    async with desk.uow() as uow:
        assert (await uow.requests.get(request.id)).state == "approved"

    # In Polish: the admin's queue still shows it (approved, not yet done); the employee decides nothing.
    await desk.say(admin, "kolejka licencje", locale="pl-PL")
    _, polish_queue = desk.last_card(admin)
    assert pl("queue.title.all") in card_text(polish_queue) and request.public_id in card_text(polish_queue)
    await desk.say(employee, "oczekujące", locale="pl-PL")
    _, own = desk.last_card(employee)
    assert pl("queue.title.mine") in card_text(own) and pl("queue.empty.mine") in card_text(own)


async def test_the_timeline_is_for_the_people_involved_only(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    await desk.say(employee, "request license E3")
    await desk.run_jobs()
    _, approval = desk.last_card(admin)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE))
    await desk.run_jobs()
    request = await _latest(desk, employee)
    assert request.state == "completed"

    await desk.say(employee, f"show {request.public_id}")
    _, timeline = desk.last_card(employee)
    shown = card_text(timeline)
    assert en("queue.timeline.title", request_id=request.public_id) in shown
    assert en("queue.event.submitted") in shown and admin.display_name in shown
    assert en("queue.event.state", state=en("request.state.completed")) in shown
    assert en("step.status.done") in shown

    await desk.say(admin, f"pokaż {request.public_id}", locale="pl-PL")
    _, polish = desk.last_card(admin)
    assert pl("queue.timeline.title", request_id=request.public_id) in card_text(polish)
    assert pl("queue.role.approver") in card_text(polish)

    outsider = _outsider(desk)
    await desk.say(outsider, f"show {request.public_id}")
    await desk.say(outsider, "show REQ-2026-999999", locale="pl-PL")
    assert desk.texts(outsider)[-2:] == [en("authority.refused"), pl("authority.refused")]
    assert desk.cards(outsider) == []

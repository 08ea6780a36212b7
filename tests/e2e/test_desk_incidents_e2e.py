"""Incidents in the admins' desk end to end over HTTP against devtenant: a Polish employee reports a problem, an
English admin sees it in the queue's incidents section, opens it on support's card and claims it there, finds it in
history beside a change request, and the employee reads its timeline in Polish while someone else learns nothing;
a German admin searches "Verlauf Störungen", downloads the CSV with the INC row, and reads "zeige INC-…"."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from storage.models_incidents import Incident


async def _report(desk: Desk) -> Incident:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "zgłoś problem: Outlook nie synchronizuje poczty", locale="pl-PL")
    async with desk.uow() as uow:
        incidents = await uow.incidents.open_incidents(limit=1)
    assert incidents, desk.texts(employee)
    return incidents[0]


def _open_buttons(card: dict[str, object]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("verb") == Verb.QUEUE_OPEN:
                found.append(value["data"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(card)
    return found


async def test_an_admin_sees_opens_and_claims_an_incident_from_the_queue_and_history(desk: Desk) -> None:
    seed = desk.tenant.seed
    admin, employee = seed.demo_admin, seed.demo_employee
    await desk.say(employee, "request license E3")
    incident = await _report(desk)

    await desk.say(admin, "pending")
    _, queue = desk.last_card(admin)
    assert "Open incidents (1)" in card_text(queue) and "Outlook nie synchronizuje" in card_text(queue)
    (open_it,) = [data for data in _open_buttons(queue) if data["request_id"] == incident.public_id]
    opened = await desk.click(admin, Verb.QUEUE_OPEN, open_it)
    claimed = await desk.click(admin, Verb.INCIDENT_CLAIM, action_data(opened["value"], Verb.INCIDENT_CLAIM))
    assert admin.display_name in card_text(claimed["value"])
    async with desk.uow() as uow:
        stored = await uow.incidents.get_by_public_id(incident.public_id)
    assert stored is not None and stored.state == "in_progress" and stored.assignee_id == admin.id

    await desk.say(admin, "history")
    _, history = desk.last_card(admin)
    text = card_text(history)
    async with desk.uow() as uow:
        (request,) = await uow.requests.list_for_requester(employee.id)
    assert text.index(incident.public_id) < text.index(request.public_id)  # newest first, side by side
    await desk.say(admin, "history type:incident")
    _, only = desk.last_card(admin)
    assert incident.public_id in card_text(only) and request.public_id not in card_text(only)

    await desk.say(employee, f"pokaż {incident.public_id}", locale="pl-PL")
    _, timeline = desk.last_card(employee)
    assert "Przyjęte przez wsparcie" in card_text(timeline) and admin.display_name in card_text(timeline)
    stranger = next(user for user in seed.users if user.id not in (admin.id, employee.id)
                    and user.id not in seed.admins_group.member_ids)
    await desk.say(stranger, f"show {incident.public_id}")
    assert desk.texts(stranger)[-1] == Translator("en-US")("incidents.refused")


async def test_a_german_admin_finds_incidents_in_history_and_its_csv(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    incident = await _report(desk)

    await desk.say(admin, "Verlauf Störungen csv", locale="de-DE")
    _, card = desk.last_card(admin)
    assert f"{incident.public_id}** · Störung P" in card_text(card)
    [link] = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    response = await desk.client.get(urlsplit(link["url"]).path)
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(r["request"], r["kind"], r["state"], r["priority"]) for r in rows] == [
        (incident.public_id, "incident", "new", incident.priority)]

    await desk.say(admin, f"zeige {incident.public_id}", locale="de-DE")
    _, timeline = desk.last_card(admin)
    assert f"Verlauf von {incident.public_id}" in card_text(timeline) and "Gemeldet" in card_text(timeline)

"""Incidents in the admins' desk over the memory tenant: history finds INC ids beside REQ ids (newest first, paged,
in the CSV) and alone ("incidents", type:incident, "incydenty", "Störungen", incident states); the admins' queue
lists open incidents in their own section by priority then age ("pending incidents" pages them) and opens one on
support's card; "show INC-…" is read by its reporter, support and admins only; and the queue opens an orphan
clean-up on its own card of choices, not Approve / Reject."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk
from sqlalchemy import select, update
from test_orphans_kinds import orphan_tenant
from test_request_lifecycle import run_jobs

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.directory_sync import run_sync
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.history.search import CSV_NAME
from kinds.incidents.commands import ReportProblem
from kinds.incidents.filing import Filing
from kinds.incidents.policy import IncidentPolicy
from kinds.licenses.reports import download
from kinds.orphans.cleanup import DESK_ORPHANS_ID, file_new_orphans
from kinds.queue.commands import ShowIncidentTimeline, parse_incident_timeline
from kinds.queue.pending import INCIDENTS_SHOWN, PAGE_SIZE
from storage.models import AuditEvent, Request
from storage.models_incidents import Incident

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
EN = Translator("en")


async def say(desk: Desk, person: Any, text: str, *, locale: str = "en-US") -> Reply:
    parsed = parse(text, desk.services.kinds)
    assert parsed is not None, text
    return await dispatch_command(desk.services, desk.actor(person, locale=locale), parsed)


async def report(desk: Desk, text: str, *, person: Any = ANNA, impact: str = "medium",
                 urgency: str = "medium") -> str:
    """Files an incident as ``person`` and sets its impact and urgency (so its priority); returns its INC id."""
    await Filing(IncidentPolicy()).report(desk.services, desk.actor(person), ReportProblem(text))
    async with desk.services.uow() as uow:
        incident = (await uow.session.execute(select(Incident).order_by(Incident.id.desc()).limit(1))).scalar_one()
        priority = {("high", "high"): "P1", ("medium", "medium"): "P3", ("low", "low"): "P4"}[(impact, urgency)]
        await uow.session.execute(update(Incident).where(Incident.id == incident.id).values(
            impact=impact, urgency=urgency, priority=priority))
        await uow.commit()
        return incident.public_id


async def add_request(desk: Desk, label: str, state: str = "pending", kind: str = "dl.join") -> str:
    async with desk.services.uow() as uow:
        request = await uow.requests.add(Request(
            kind=kind, requester_id=LENA.user_id, requester_name=LENA.display_name, target_id=label,
            target_label=label, payload={}, plan=[], approver_ids=[JONAS.user_id], state=state,
            created_at=desk.clock.now))
        await uow.commit()
        return request.public_id


def shown(reply: Reply) -> list[str]:
    """The REQ and INC ids on a history card, in the order shown."""
    assert reply.card is not None, reply.text
    return [block["columns"][0]["items"][0]["text"].split("**")[1]
            for block in reply.card["body"] if block.get("type") == "ColumnSet"]


def buttons(card: Any, verb: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("verb") == verb:
                found.append(dict(value["data"]))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(card)
    return found


def opened_ids(reply: Reply) -> list[str]:
    assert reply.card is not None, reply.text
    return [data["request_id"] for data in buttons(reply.card, Verb.QUEUE_OPEN)]


async def mixed(desk: Desk) -> dict[str, str]:
    """A day apart, oldest first: a join (pending), an incident (P3, open), a join (completed), an incident (P1,
    then resolved). Returns name → id."""
    desk.clock.now = NOW - timedelta(days=4)
    ids = {"join": await add_request(desk, "Sales Team")}
    desk.clock.advance(days=1)
    ids["outlook"] = await report(desk, "Outlook does not sync")
    desk.clock.advance(days=1)
    ids["done"] = await add_request(desk, "Book Club", state="completed")
    desk.clock.advance(days=1)
    ids["printer"] = await report(desk, "The printer is on fire", person=LENA, impact="high", urgency="high")
    async with desk.services.uow() as uow:
        await uow.session.execute(update(Incident).where(Incident.public_id == ids["printer"]).values(
            state="resolved", resolved_at=desk.clock.now, assignee_id=JONAS.user_id, assignee_name=JONAS.display_name))
        await uow.commit()
    desk.clock.now = NOW
    return ids


# ------------------------------------------------------------------ history


@pytest.mark.parametrize(("text", "expected"), [
    ("history", ("printer", "done", "outlook", "join")),
    ("history incidents", ("printer", "outlook")),
    ("history type:incident", ("printer", "outlook")),
    ("historia incydenty", ("printer", "outlook")),
    ("Verlauf Störungen", ("printer", "outlook")),
    ("history dl.join", ("done", "join")),
    ("history lists", ("done", "join")),
    ("history list:sales", ("join",)),
    ("history resolved", ("printer",)),
    ("history incidents pending", ("outlook",)),
    ("history pending", ("outlook", "join")),  # waiting requests and open incidents alike
    ("history done", ("printer", "done")),  # completed requests, resolved or closed incidents
    ("history rejected", ()),
    ("history anna", ("outlook",)),  # the reporter
    ("history jonas incidents", ("printer",)),  # the one who handled it
    ('history "on fire"', ("printer",)),
    ("history text:INC-", ("printer", "outlook")),
    ("history last 1 days", ("printer",)),
    ("history incidents lists", ("printer", "done", "outlook", "join")),
])
async def test_history_finds_incidents_beside_requests(desk: Desk, text: str, expected: tuple[str, ...]) -> None:
    ids = await mixed(desk)
    assert shown(await say(desk, JONAS, text)) == [ids[name] for name in expected]


async def test_history_shows_an_incident_with_its_priority_and_state_in_the_readers_language(desk: Desk) -> None:
    ids = await mixed(desk)
    card = json.dumps((await say(desk, JONAS, "historia", locale="pl-PL")).card, ensure_ascii=False)
    assert f"**{ids['printer']}** · Zgłoszenie P1" in card and "Anna Kowalska → Outlook does not sync" in card
    card = json.dumps((await say(desk, JONAS, "Verlauf", locale="de-DE")).card, ensure_ascii=False)
    assert f"**{ids['outlook']}** · Störung P3" in card


async def test_history_pages_through_requests_and_incidents_as_one_stream(desk: Desk) -> None:
    desk.clock.now = NOW - timedelta(days=30)
    filed = []
    for n in range(13):  # requests and incidents alternating, an hour apart
        desk.clock.advance(hours=1)
        filed.append(await report(desk, f"problem {n}") if n % 2 else await add_request(desk, f"List {n}"))
    desk.clock.now = NOW
    first = await say(desk, JONAS, "history")
    assert shown(first) == filed[::-1][:10]
    (following,) = [a for a in first.card["actions"] if a.get("verb") == Verb.HISTORY_PAGE]  # type: ignore[index]
    second = await dispatch_click(desk.services, desk.actor(JONAS), Verb.HISTORY_PAGE, following["data"])
    assert shown(second) == filed[::-1][10:]
    only = await say(desk, JONAS, "history incidents")
    assert shown(only) == [i for i in filed[::-1] if i.startswith("INC-")]


async def test_the_history_csv_has_incident_rows_with_their_priority(desk: Desk) -> None:
    ids = await mixed(desk)
    reply = await say(desk, JONAS, "history csv")
    token = reply.card["actions"][-1]["url"].rsplit("/", 1)[-1].removesuffix(".csv")  # type: ignore[index]
    found = await download(desk.services, token)
    assert found is not None and found[0] == CSV_NAME
    rows = found[2].splitlines()
    assert rows[0].endswith(",completed_at,priority")
    by_id = {row.split(",")[0]: row.split(",") for row in rows[1:]}
    assert list(by_id) == [ids["printer"], ids["done"], ids["outlook"], ids["join"]]
    printer = by_id[ids["printer"]]
    assert printer[1] == "incident" and printer[5] == "resolved" and printer[-1] == "P1" and printer[8]
    assert by_id[ids["join"]][1] == "dl.join" and by_id[ids["join"]][-1] == ""


# ------------------------------------------------------------------ the queue


async def test_the_admins_queue_lists_open_incidents_by_priority_then_age(desk: Desk) -> None:
    ids = await mixed(desk)
    desk.clock.now = NOW - timedelta(days=1)
    urgent = await report(desk, "Nobody can log in", person=LENA, impact="high", urgency="high")
    low = await report(desk, "A typo on the intranet", impact="low", urgency="low")
    desk.clock.now = NOW + timedelta(hours=1)  # the P3's first response was due at 09:00
    reply = await say(desk, JONAS, "pending")
    # The waiting join first (the requests), then the open incidents: P1, P3 (older), P4; the resolved one is gone.
    assert opened_ids(reply) == [ids["join"], urgent, ids["outlook"], low]
    card = json.dumps(reply.card, ensure_ascii=False)
    assert "Open incidents (3)" in card and "Nobody can log in" in card and "(past due)" in card
    assert opened_ids(await say(desk, JONAS, "pending lists")) == [ids["join"]]  # a kind filter: requests only
    assert opened_ids(await say(desk, JONAS, "oczekujące zgłoszenia", locale="pl-PL")) == [urgent, ids["outlook"], low]
    assert "Otwarte zgłoszenia (3)" in json.dumps((await say(desk, JONAS, "kolejka", locale="pl-PL")).card,
                                                  ensure_ascii=False)
    # Lena is no admin: her own queue, with no incidents.
    assert not [i for i in opened_ids(await say(desk, LENA, "pending")) if i.startswith("INC-")]


async def test_the_queue_shows_a_few_incidents_and_pages_them_all_on_their_own(desk: Desk) -> None:
    desk.clock.now = NOW - timedelta(days=2)
    filed = []
    for n in range(PAGE_SIZE + 2):
        desk.clock.advance(minutes=5)
        filed.append(await report(desk, f"problem {n}"))
    desk.clock.now = NOW
    first = await say(desk, JONAS, "pending")
    assert opened_ids(first) == filed[:INCIDENTS_SHOWN]
    assert "pending incidents" in json.dumps(first.card)
    alone = await say(desk, JONAS, "ausstehend Störungen", locale="de-DE")
    assert opened_ids(alone) == filed[:PAGE_SIZE]
    (following,) = [a for a in alone.card["actions"] if a.get("verb") == Verb.QUEUE_PAGE]  # type: ignore[index]
    second = await dispatch_click(desk.services, desk.actor(JONAS), Verb.QUEUE_PAGE, following["data"])
    assert opened_ids(second) == filed[PAGE_SIZE:]


async def test_an_admin_opens_an_incident_from_the_queue_on_supports_card(desk: Desk) -> None:
    ids = await mixed(desk)
    reply = await dispatch_click(desk.services, desk.actor(JONAS), Verb.QUEUE_OPEN,
                                 {"request_id": ids["outlook"], "offset": 0})
    assert reply.card is not None
    verbs = [a.get("verb") for a in reply.card["actions"]]
    assert Verb.INCIDENT_CLAIM in json.dumps(reply.card) and verbs[-1] == Verb.QUEUE_PAGE
    # Claimed from there: support's own verb, checked again by the incidents family.
    claim = await dispatch_click(desk.services, desk.actor(JONAS), Verb.INCIDENT_CLAIM,
                                 {"incident_id": ids["outlook"], "version": 1})
    assert claim.card is not None
    async with desk.services.uow() as uow:
        stored = await uow.incidents.get_by_public_id(ids["outlook"])
    assert stored is not None and stored.state == "in_progress" and stored.assignee_id == JONAS.user_id


async def test_someone_else_opening_an_incident_learns_nothing_and_is_audited(desk: Desk) -> None:
    ids = await mixed(desk)
    for wanted in (ids["outlook"], "INC-2026-999999"):
        reply = await dispatch_click(desk.services, desk.actor(LENA), Verb.QUEUE_OPEN, {"request_id": wanted})
        assert reply.card is None and reply.text == EN("incidents.refused")
    async with desk.services.uow() as uow:
        refused = (await uow.session.execute(select(AuditEvent).where(AuditEvent.action == "click.refused"))).scalars()
        details = [event.detail for event in refused]
    assert [(d["verb"], d["reason"]) for d in details] == [("incident.open", "not_involved"),
                                                          ("incident.open", "not_found")]


# ------------------------------------------------------------------ show INC-…


def test_show_incident_is_read_in_three_languages() -> None:
    for typed in ("show INC-2026-000042", "pokaż zgłoszenie inc-2026-000042", "zeige Störung INC-2026-000042"):
        assert parse_incident_timeline(typed) == ShowIncidentTimeline("INC-2026-000042"), typed
    assert parse_incident_timeline("show REQ-2026-000042") is None


async def test_the_timeline_of_an_incident_shows_each_step_to_its_reporter_support_and_admins(desk: Desk) -> None:
    desk.clock.now = NOW
    incident = await report(desk, "Outlook does not sync")

    async def act(verb: str, note: str | None = None) -> None:
        async with desk.services.uow() as uow:
            current = await uow.incidents.get_by_public_id(incident)
        assert current is not None
        desk.clock.advance(minutes=30)
        await dispatch_click(desk.services, desk.actor(JONAS), verb,
                             {"incident_id": incident, "version": current.version, "note": note})

    await act(Verb.INCIDENT_CLAIM)
    await act(Verb.INCIDENT_ESCALATE, "needs Exchange admin rights")
    await act(Verb.INCIDENT_CLAIM)
    await act(Verb.INCIDENT_RESOLVE, "profile rebuilt")
    admin = json.dumps((await say(desk, JONAS, f"show {incident}")).card, ensure_ascii=False)
    for words in ("Reported", "Taken on by support", "Escalated to second-level support", "needs Exchange admin",
                  "Resolved", "profile rebuilt", "(on time"):
        assert words in admin, words
    reporter = json.dumps((await say(desk, ANNA, f"pokaż {incident}", locale="pl-PL")).card, ensure_ascii=False)
    assert "Przekazane do drugiej linii wsparcia" in reporter and "profile rebuilt" in reporter
    assert "needs Exchange admin" not in reporter  # why it was escalated is support's business
    outsider = await say(desk, LENA, f"show {incident}")
    assert outsider.card is None and outsider.text == EN("incidents.refused")


# ------------------------------------------------------------------ choice kinds opened from the queue


async def test_the_queue_opens_an_orphan_clean_up_on_its_own_card_of_choices(migrated_sqlite: Path,
                                                                          tmp_path: Path) -> None:
    async with open_desk(migrated_sqlite, tmp_path, orphan_tenant()) as desk:
        assert (await run_sync(desk.services)).ok
        await file_new_orphans(desk.services)  # Nobody's List and the ownerless Team Inbox go to the admins
        await run_jobs(desk)
        async with desk.services.uow() as uow:
            filed = await uow.requests.list_for_requester(DESK_ORPHANS_ID)
        request = next(r for r in filed if r.approver_ids == [JONAS.user_id])
        reply = await dispatch_click(desk.services, desk.actor(JONAS), Verb.QUEUE_OPEN,
                                     {"request_id": request.public_id})
        assert reply.card is not None
        shown_verbs = {data.get("verb") for data in _actions(reply.card)}
        assert {Verb.ORPHAN_TAKE_OVER, Verb.ORPHAN_DELETE, Verb.ORPHAN_KEEP} <= shown_verbs
        assert Verb.APPROVE not in shown_verbs and Verb.REJECT not in shown_verbs
        assert Verb.QUEUE_PAGE in shown_verbs  # and the way back


def _actions(card: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") == "Action.Execute":
                found.append(value)
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(card)
    return found


# ------------------------------------------------------------------ reports: incidents apart from requests


async def test_the_sla_report_and_statistics_count_incidents_apart_from_requests(desk: Desk) -> None:
    ids = await mixed(desk)  # two requests; a P3 open past its first response, a P1 resolved on time
    desk.clock.now = NOW + timedelta(hours=1)
    async with desk.services.uow() as uow:
        printer = await uow.incidents.get_by_public_id(ids["printer"])
        assert printer is not None
        await uow.session.execute(update(Incident).where(Incident.id == printer.id).values(
            first_responded_at=printer.created_at + timedelta(minutes=20),
            resolved_at=printer.created_at + timedelta(hours=2)))
        await uow.commit()
    sla = (await say(desk, JONAS, "sla")).card
    assert sla is not None
    sections = {block.get("id"): block for block in sla["body"] if block.get("type") == "Container"}
    p1 = {fact["title"]: fact["value"] for fact in sections["incidents-P1"]["items"][1]["facts"]}
    assert p1 == {"Reported": "1", "Resolved": "1", "First response": "1 on time, 0 late",
                  "Resolution": "1 on time, 0 late", "Compliance": "100%"}
    p3 = {fact["title"]: fact["value"] for fact in sections["incidents-P3"]["items"][1]["facts"]}
    assert p3["First response"] == "0 on time, 1 late" and p3["Resolved"] == "0"
    # The requests' own sections count the two requests only.
    assert sum(int(block["items"][2]["facts"][0]["value"]) for key, block in sections.items()
               if key and key.startswith("kind-")) == 2
    german = json.dumps((await say(desk, JONAS, "sla", locale="de-DE")).card, ensure_ascii=False)
    assert "Störungen nach Priorität" in german and "1 rechtzeitig, 0 verspätet" in german

    statistics = (await say(desk, JONAS, "statistics")).card
    assert statistics is not None
    (section,) = [b for b in statistics["body"] if b.get("id") == "incidents"]
    shown_text = json.dumps(section, ensure_ascii=False)
    assert "Priority P1" in shown_text and "Priority P3" in shown_text
    assert "2 h (of 1 resolved incident)" in shown_text and "100% (1 of 1 on time)" in shown_text
    volume = json.dumps([b for b in statistics["body"] if b.get("id") == "volume"])
    assert "incident" not in volume.casefold()

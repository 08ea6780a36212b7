"""The pending queue and a request's timeline (F19, F21) over the memory tenant: the admins' whole queue, oldest
first, with its filters (kind, family, approver) and pages; a person's own queue ("pending for me"), re-checked for
entitlement; Open to decide from the queue; and who may read "show REQ-…" (everyone else gets the refusal that says
nothing, audited)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, MARKETING, Desk
from jsonschema import Draft6Validator

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.access import REFUSED_ACTION
from handlers.commands import parse
from handlers.context import Reply
from handlers.delivery import deliver_approval_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.execution import execute_request
from handlers.submission import DELIVER_JOB, EXECUTE_JOB
from kinds.queue.commands import ShowPending, ShowTimeline, parse_pending, parse_timeline
from kinds.queue.pending import PAGE_SIZE
from kinds.queue.timeline import TIMELINE_VERB
from m365.memory import UserSeed
from storage.models import Request

pytest_plugins = ["desk_fixture"]

t = Translator("en-US")
RUNNER = "unit-test-runner"


# ------------------------------------------------------------------ helpers


async def say(desk: Desk, person: UserSeed | str, text: str, *, locale: str = "en-US") -> Reply:
    actor = desk.actor(person, locale=locale)
    return await dispatch_command(desk.services, actor, parse(text, desk.services.kinds))


async def click(desk: Desk, person: UserSeed | str, verb: str, data: object) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), verb, data)


async def file(desk: Desk, person: UserSeed | str, text: str) -> Request:
    reply = await say(desk, person, text)
    assert reply.status_card_of is not None, reply.text
    async with desk.services.uow() as uow:
        request = await uow.requests.get(reply.status_card_of)
    assert request is not None
    return request


async def run_jobs(desk: Desk) -> list[str]:
    """Every ready job, run by its handler as the job runner would (deliveries and executions only)."""
    handlers = {DELIVER_JOB: deliver_approval_cards, EXECUTE_JOB: execute_request}
    ran = []
    while True:
        async with desk.services.uow() as uow:
            job = await uow.jobs.claim(RUNNER, lease_seconds=60)
            await uow.commit()
        if job is None:
            return ran
        handler = handlers.get(job.kind)
        if handler is not None:
            await handler(desk.services, job)
        async with desk.services.uow() as uow:
            await uow.jobs.complete(job)
            await uow.commit()
        ran.append(job.kind)


def card_text(card: Mapping[str, Any] | None) -> str:
    assert card is not None
    return json.dumps(card, ensure_ascii=False)


def buttons(card: Mapping[str, Any], verb: str) -> list[dict[str, Any]]:
    """Every button with this verb, in the card's body (an item's Open) or its actions (paging)."""
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


def listed_ids(card: Mapping[str, Any] | None) -> list[str]:
    assert card is not None
    return [data["request_id"] for data in buttons(card, Verb.QUEUE_OPEN)]


async def license_and_join(desk: Desk) -> tuple[Request, Request]:
    """Anna asks for Business Standard (routed to the admins: Jonas), then an hour later to join Marketing (Lena)."""
    license_request = await file(desk, ANNA, "request license Business Standard")
    desk.clock.advance(hours=1)
    join = await file(desk, ANNA, f"join {MARKETING.display_name}")
    await run_jobs(desk)
    return license_request, join


async def refused_events(desk: Desk, request: Request) -> list[dict[str, Any]]:
    async with desk.services.uow() as uow:
        return [event.detail for event in await uow.audit.for_request(request.id) if event.action == REFUSED_ACTION]


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pending", ShowPending()),
        ("queue", ShowPending()),
        ("pending lists", ShowPending(kind="lists")),
        ("pending license.assign", ShowPending(kind="license.assign")),
        ("pending for anna.kowalska@contoso.com", ShowPending(approver="anna.kowalska@contoso.com")),
        ("queue lists for Lena Schmidt", ShowPending(kind="lists", approver="Lena Schmidt")),
        ("oczekujące listy", ShowPending(kind="listy")),
        ("kolejka dla mnie", ShowPending(approver="mnie")),
        ("Warteschlange für mich", ShowPending(approver="mich")),
        ("ausstehend Lizenzen", ShowPending(kind="Lizenzen")),
        ("pending lists now please", None),
        ("pendingx", None),
    ],
)
def test_pending_is_read_in_three_languages(text: str, expected: ShowPending | None) -> None:
    assert parse_pending(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show REQ-2026-000123", ShowTimeline("REQ-2026-000123")),
        ("pokaż req-2026-000123", ShowTimeline("REQ-2026-000123")),
        ("zeige Antrag REQ-2026-7", ShowTimeline("REQ-2026-7")),
        ("show request REQ-2026-000123", ShowTimeline("REQ-2026-000123")),
        ("show REQ-2026-000123 please", None),
        ("show marketing", None),
    ],
)
def test_show_request_is_read_in_three_languages(text: str, expected: ShowTimeline | None) -> None:
    assert parse_timeline(text) == expected


def test_show_request_goes_to_the_timeline_before_any_other_show_command(desk: Desk) -> None:
    parsed = parse("show REQ-2026-000123", desk.services.kinds)
    assert getattr(parsed, "command", None) == ShowTimeline("REQ-2026-000123")


# ------------------------------------------------------------------ the admins' queue


async def test_an_admin_sees_every_waiting_request_oldest_first_with_its_sla(desk: Desk) -> None:
    license_request, join = await license_and_join(desk)
    desk.clock.advance(days=7)  # past the license request's 3 business days, and the join's

    reply = await say(desk, JONAS, "pending")

    assert listed_ids(reply.card) == [license_request.public_id, join.public_id]
    shown = card_text(reply.card)
    assert t("queue.title.all") in shown
    assert t("request.kind.license.assign") in shown and t("request.kind.dl.join") in shown
    assert ANNA.display_name in shown and LENA.display_name in shown  # requester; the join's approver
    assert t("queue.age.days", count=7) in shown
    assert license_request.due_at is not None
    assert t("queue.breached", due=t.datetime(license_request.due_at)) in shown


async def test_a_request_approved_but_not_done_stays_in_the_admins_queue(desk: Desk) -> None:
    _license_request, join = await license_and_join(desk)
    approve = {"request_id": join.public_id, "version": join.version}
    await click(desk, LENA, Verb.APPROVE, approve)  # its execution job has not run yet

    reply = await say(desk, JONAS, "pending")

    assert join.public_id in listed_ids(reply.card)
    assert t("request.state.approved") in card_text(reply.card)
    # ... but not in a queue of what waits for Lena: she has decided it.
    assert listed_ids((await say(desk, JONAS, f"pending for {LENA.user_principal_name}")).card) == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("pending lists", "join"), ("pending dl.join", "join"), ("pending license.assign", "license"),
     ("pending licenses", "license"), ("ausstehend Lizenzen", "license"), ("oczekujące listy", "join")],
)
async def test_the_queue_is_filtered_by_kind_or_family(desk: Desk, typed: str, expected: str) -> None:
    license_request, join = await license_and_join(desk)
    wanted = {"join": join, "license": license_request}[expected]
    reply = await say(desk, JONAS, typed)
    assert listed_ids(reply.card) == [wanted.public_id]


async def test_the_queue_is_filtered_by_approver(desk: Desk) -> None:
    license_request, join = await license_and_join(desk)
    for_lena = await say(desk, JONAS, f"pending for {LENA.display_name}")
    assert listed_ids(for_lena.card) == [join.public_id]
    assert t("queue.filter.approver", name=LENA.display_name) in card_text(for_lena.card)
    for_jonas = await say(desk, JONAS, "pending for me")
    assert listed_ids(for_jonas.card) == [license_request.public_id]


async def test_a_filter_that_names_nothing_says_what_there_is(desk: Desk) -> None:
    await license_and_join(desk)
    unknown_kind = await say(desk, JONAS, "pending parrots")
    assert unknown_kind.card is None and unknown_kind.text is not None
    assert "parrots" in unknown_kind.text and "license.assign" in unknown_kind.text
    unknown_person = await say(desk, JONAS, "pending for nobody@contoso.com")
    assert unknown_person.text == t("queue.unknown_person", name="nobody@contoso.com")


async def test_the_queue_is_paged_with_typed_page_buttons(desk: Desk) -> None:
    # More waiting requests than a page holds: Anna's and other people's joins of the same list.
    for person in [ANNA.user_id, *desk.tenant.add_users(PAGE_SIZE + 1, prefix="joiner")]:
        await file(desk, person, f"join {MARKETING.display_name}")
        desk.clock.advance(minutes=5)
    first = await say(desk, JONAS, "pending lists")
    assert first.card is not None
    assert len(listed_ids(first.card)) == PAGE_SIZE
    assert t("queue.count", count=PAGE_SIZE + 2, first=1, last=PAGE_SIZE) in card_text(first.card)
    (next_page,) = buttons(first.card, Verb.QUEUE_PAGE)
    assert next_page == {"kind": "lists", "offset": PAGE_SIZE}

    second = await click(desk, JONAS, Verb.QUEUE_PAGE, next_page)
    assert len(listed_ids(second.card)) == 2
    assert set(listed_ids(second.card)).isdisjoint(listed_ids(first.card))
    (previous,) = buttons(second.card or {}, Verb.QUEUE_PAGE)
    assert previous == {"kind": "lists", "offset": 0}
    assert (await click(desk, JONAS, Verb.QUEUE_PAGE, {"kind": "<forged>"})).text == t("error.bad_card")


# ------------------------------------------------------------------ a person's own queue


async def test_a_non_admin_gets_what_waits_for_their_own_decision(desk: Desk) -> None:
    license_request, join = await license_and_join(desk)

    lena = await say(desk, LENA, "pending")
    assert listed_ids(lena.card) == [join.public_id]
    assert t("queue.title.mine") in card_text(lena.card)
    anna = await say(desk, ANNA, "oczekujące", locale="pl-PL")
    assert listed_ids(anna.card) == []
    assert Translator("pl-PL")("queue.empty.mine") in card_text(anna.card)
    # Someone else's queue is the admins' to see, and a page button cannot name it either.
    assert (await say(desk, ANNA, f"pending for {LENA.user_principal_name}")).text == t("queue.not_admin")
    forged = await click(desk, ANNA, Verb.QUEUE_PAGE, {"approver_id": LENA.user_id})
    assert listed_ids(forged.card) == []
    assert license_request.public_id not in card_text(lena.card)


async def test_an_owner_who_no_longer_owns_the_list_no_longer_sees_its_request(desk: Desk) -> None:
    _license_request, join = await license_and_join(desk)
    (marketing,) = [dl for dl in desk.tenant.lists.values() if dl.display_name == MARKETING.display_name]
    marketing.owners = [JONAS.user_principal_name]

    assert listed_ids((await say(desk, LENA, "pending")).card) == []
    # An admin still sees it, listed for Lena, the approver it was routed to.
    assert listed_ids((await say(desk, JONAS, f"pending for {LENA.user_principal_name}")).card) == [join.public_id]


# ------------------------------------------------------------------ Open, and deciding from the queue


async def test_an_admin_opens_any_waiting_request_and_decides_it(desk: Desk) -> None:
    _license_request, join = await license_and_join(desk)
    queue = await say(desk, JONAS, "pending lists")
    (opened_data,) = buttons(queue.card or {}, Verb.QUEUE_OPEN)

    opened = await click(desk, JONAS, Verb.QUEUE_OPEN, opened_data)

    assert opened.card is not None
    (approve,) = buttons(opened.card, Verb.APPROVE)  # Jonas is no approver of the join: an admin decides anything
    assert buttons(opened.card, Verb.QUEUE_PAGE) == [{"kind": "lists", "offset": 0}]
    await click(desk, JONAS, Verb.APPROVE, approve)
    async with desk.services.uow() as uow:
        decided = await uow.requests.get(join.id)
    assert decided is not None and decided.state == "approved"


async def test_the_requester_opening_their_own_request_cannot_decide_it(desk: Desk) -> None:
    license_request, _join = await license_and_join(desk)
    opened = await click(desk, ANNA, Verb.QUEUE_OPEN, {"request_id": license_request.public_id})
    assert opened.card is not None and buttons(opened.card, Verb.APPROVE) == []


async def test_someone_not_involved_opening_a_request_learns_nothing(desk: Desk) -> None:
    license_request, _join = await license_and_join(desk)
    opened = await click(desk, LENA, Verb.QUEUE_OPEN, {"request_id": license_request.public_id})
    missing = await click(desk, LENA, Verb.QUEUE_OPEN, {"request_id": "REQ-2025-999999"})
    assert opened.text == missing.text == t("authority.refused")
    assert opened.card is None
    assert [event["reason"] for event in await refused_events(desk, license_request)] == ["not_involved"]


# ------------------------------------------------------------------ the timeline


async def test_the_timeline_shows_decision_reason_steps_and_card_copies(desk: Desk) -> None:
    _license_request, join = await license_and_join(desk)
    await click(desk, LENA, Verb.REJECT, {"request_id": join.public_id, "version": join.version,
                                          "reason": "Marketing only"})

    reply = await say(desk, ANNA, f"show {join.public_id}")

    shown = card_text(reply.card)
    assert t("queue.timeline.title", request_id=join.public_id) in shown
    assert t("queue.event.submitted") in shown
    assert t("queue.event.state", state=t("request.state.rejected")) in shown
    assert t("queue.line.reason", reason="Marketing only") in shown
    assert t("queue.role.approver") in shown and LENA.display_name in shown  # Lena's approval card was sent


async def test_the_timeline_shows_each_step_and_its_outcome(desk: Desk) -> None:
    _license_request, join = await license_and_join(desk)
    await click(desk, LENA, Verb.APPROVE, {"request_id": join.public_id, "version": join.version})
    await run_jobs(desk)

    shown = card_text((await say(desk, JONAS, f"zeige {join.public_id}", locale="de-DE")).card)

    de = Translator("de-DE")
    (step,) = desk.services.kinds.steps.load_plan(join.plan)
    done = de("queue.event.step", step=de(f"step.{step.op}", **step.params()), outcome=de("step.status.done"))
    assert de("queue.event.state", state=de("request.state.completed")) in shown
    assert json.dumps(str(done), ensure_ascii=False)[1:-1] in shown


@pytest.mark.parametrize("reader", ["requester", "subject", "approver", "admin"])
async def test_the_people_involved_read_the_timeline(desk: Desk, reader: str) -> None:
    request = await file(desk, LENA, f"request license Business Standard for {ANNA.user_principal_name}")
    await run_jobs(desk)
    person = {"requester": LENA, "subject": ANNA, "approver": JONAS, "admin": JONAS}[reader]
    reply = await say(desk, person, f"show {request.public_id}")
    assert reply.card is not None, reply.text
    assert t("queue.timeline.title", request_id=request.public_id) in card_text(reply.card)


async def test_an_outsider_asking_for_a_timeline_gets_the_refusal_that_says_nothing(desk: Desk) -> None:
    license_request, _join = await license_and_join(desk)
    (outsider,) = desk.tenant.add_users(1, prefix="outsider")

    existing = await say(desk, outsider, f"show {license_request.public_id}")
    missing = await say(desk, outsider, "show REQ-2025-999999")

    assert existing.text == missing.text == t("authority.refused")
    assert existing.card is None
    assert await refused_events(desk, license_request) == [
        {"verb": TIMELINE_VERB, "reason": "not_involved", "public_id": license_request.public_id}
    ]
    # The refused look is on the request's record: admins see it there, the people involved do not.
    assert t("queue.event.refused") in card_text((await say(desk, JONAS, f"show {license_request.public_id}")).card)
    assert t("queue.event.refused") not in card_text((await say(desk, ANNA, f"show {license_request.public_id}")).card)


# ------------------------------------------------------------------ the cards against the Adaptive Card schema

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text("utf-8"))


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
async def test_the_queue_and_timeline_cards_are_valid_adaptive_cards(desk: Desk, locale: str) -> None:
    _license_request, join = await license_and_join(desk)
    desk.clock.advance(days=7)
    await click(desk, LENA, Verb.REJECT, {"request_id": join.public_id, "version": join.version, "reason": "no"})
    queue = await say(desk, JONAS, "pending", locale=locale)
    (opened_data, *_rest) = buttons(queue.card or {}, Verb.QUEUE_OPEN)
    opened = await click(desk, JONAS, Verb.QUEUE_OPEN, opened_data)
    timeline = await say(desk, ANNA, f"show {join.public_id}", locale=locale)
    empty = await say(desk, ANNA, "pending", locale=locale)
    validator = Draft6Validator(SCHEMA)
    for reply in (queue, opened, timeline, empty):
        assert reply.card is not None
        assert list(validator.iter_errors(reply.card)) == []

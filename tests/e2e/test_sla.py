"""The SLA clock (F17) end to end: due times on the cards, breaches, and the admins' "sla" report, on a set clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import holidays
import pytest
from conftest import desk_settings, start_desk
from desk_harness import WARSAW, Clock, Desk, action_data, card_text
from sqlalchemy import select

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import DevTenant, SeedUser
from storage.models import AuditEvent, Request

E3 = "ENTERPRISEPACK"


def _quiet_week() -> date:
    """The Monday of the first full week of March next year: in winter time, and free of Polish holidays
    (Easter Monday comes 23 March at the earliest) — so three business days from Monday 09:00 is Thursday 09:00."""
    year = datetime.now(UTC).year + 1
    monday = date(year, 3, 1) + timedelta(days=(7 - date(year, 3, 1).weekday()) % 7)
    week = [monday + timedelta(days=n) for n in range(5)]
    assert not set(week) & set(holidays.country_holidays("PL", years=year))
    return monday


@pytest.fixture
async def clock() -> Clock:
    start = Clock()
    start.set(_quiet_week(), 9)
    return start


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    """conftest's desk, on the test's clock."""
    tenant.state.set_prepaid_units(E3, 1000)  # free seats are not what these tests are about
    running = await start_desk(tenant, desk_settings(tenant, database_url), clock=clock)
    try:
        yield running
    finally:
        await running.client.close()


# ---------------------------------------------------------------- helpers


def _facts(card: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in card["body"]:
        if element.get("type") == "FactSet":
            found |= {fact["title"]: fact["value"] for fact in element["facts"]}
    return found


def _section(card: dict[str, Any], kind: str) -> dict[str, str]:
    sections = [element for element in card["body"] if element.get("id") == f"kind-{kind}"]
    assert len(sections) == 1, card_text(card)
    return _facts({"body": sections[0]["items"]})


def _no_e3_people(desk: Desk, count: int) -> list[SeedUser]:
    """Enabled, ordinary people with a usage location and no E3 (directly or via a group)."""
    seed = desk.tenant.seed
    taken = set(seed.admins_group.member_ids) | {seed.demo_employee.id}
    found = [
        user
        for user in seed.users
        if user.account_enabled
        and user.usage_location
        and user.id not in taken
        and E3 not in [sku.sku_part_number for sku in seed.skus_of(user.id)]
    ]
    return found[:count]


async def _request_e3(desk: Desk, person: SeedUser, locale: str = "en-US") -> dict[str, Any]:
    await desk.say(person, "request license E3 for me", locale=locale)
    _, status = desk.last_card(person)
    return status


async def _approve_latest(desk: Desk, admin: SeedUser, person: SeedUser) -> dict[str, Any]:
    """The admin approves the newest approval card about `person`; returns the card the click brings back."""
    cards = [(card_id, card) for card_id, card in desk.cards(admin) if person.display_name in card_text(card)]
    card_id, approval = cards[-1]
    reply = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert reply["statusCode"] == 200
    return reply["value"]


async def _due_times(desk: Desk) -> dict[str, datetime | None]:
    async with desk.uow() as uow:
        rows = (await uow.session.execute(select(Request.requester_id, Request.due_at))).all()
    return dict(rows)


# ---------------------------------------------------------------- due times on the cards


async def test_a_request_gets_its_exact_due_time_on_both_cards_and_in_the_audit(desk: Desk, clock: Clock) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    monday = _quiet_week()
    thursday = monday + timedelta(days=3)

    status = await _request_e3(desk, employee)  # Monday 09:00 in Warsaw

    # Three business days of 10.5 h (08:00-18:30, the 18:30 maintenance window closes the day): Thursday 09:00.
    due = datetime.combine(thursday, time(9), tzinfo=WARSAW).astimezone(UTC)
    assert _facts(status)["Due"] == f"{thursday:%d/%m/%Y}, 09:00"  # the requester's zone (Teams clientInfo)
    assert "SLA breached" not in card_text(status)
    assert (await _due_times(desk))[employee.id] == due
    async with desk.uow() as uow:
        event = (
            await uow.session.execute(select(AuditEvent).where(AuditEvent.action == "request.submitted"))
        ).scalar_one()
    assert event.detail["due_at"] == due.isoformat() and event.detail["sla_business_days"] == 3

    await desk.run_jobs()
    _, approval = desk.last_card(admin)
    assert "Approval needed" in card_text(approval)
    # The approver has never talked to the desk, so no zone is known for them: UTC, said so.
    assert _facts(approval)["Due"] == f"{thursday:%d/%m/%Y}, 08:00 UTC"

    # Polish and German requesters read the same rule in their words.
    polish, german = _no_e3_people(desk, 2)
    clock.set(monday, 17, 30)  # 1 h of service left today, 21 h Tuesday-Wednesday, 9.5 h on Thursday
    status = await _request_e3(desk, polish, locale="pl-PL")
    assert _facts(status)["Termin"] == f"{thursday.day}.{thursday.month:02d}.{thursday.year}, 17:30"
    # After hours the clock starts at Tuesday 08:00; 31.5 h run out exactly at Thursday's 18:30 closing.
    clock.set(monday, 21)
    status = await _request_e3(desk, german, locale="de-DE")
    assert _facts(status)["Fällig"] == f"{thursday:%d.%m.%y}, 18:30"


# ---------------------------------------------------------------- breaches and the report


async def test_on_time_and_late_requests_show_in_the_sla_report_with_exact_counts(desk: Desk, clock: Clock) -> None:
    seed = desk.tenant.seed
    employee, admin, lena = seed.demo_employee, seed.demo_admin, seed.list_owner
    [third] = _no_e3_people(desk, 1)
    monday = _quiet_week()
    thursday, friday = monday + timedelta(days=3), monday + timedelta(days=4)
    month = f"{monday:%Y-%m}"

    # 1. Monday 09:00, due Thursday 09:00: approved at 10:00 and done straight away — on time.
    await _request_e3(desk, employee)
    await desk.run_jobs()
    clock.set(monday, 10)
    await _approve_latest(desk, admin, employee)
    await desk.run_jobs()
    _, status = desk.last_card(employee)
    assert "Done" in card_text(status) and "SLA breached" not in card_text(status)

    # 2. Monday 11:00, due Thursday 11:00. 3. Monday 12:00, due Thursday 12:00; nobody ever decides it.
    clock.set(monday, 11)
    await _request_e3(desk, lena)
    clock.set(monday, 12)
    await _request_e3(desk, third)
    await desk.run_jobs()

    # Thursday 10:00: nothing is late yet, so the one finished request is the whole story.
    clock.set(thursday, 10)
    await desk.say(admin, "sla")
    _, report = desk.last_card(admin)
    assert _section(report, "license.assign") == {
        "Submitted": "3",
        "Finished": "1",
        "On time": "1",
        "Breached": "0",
        "Compliance": "100%",
    }

    # Thursday 12:30: request 2 is approved after its due time; the click already shows the breach.
    clock.set(thursday, 12, 30)
    approved = await _approve_latest(desk, admin, lena)
    assert "SLA breached" in card_text(approved)
    await desk.run_jobs()
    _, status = desk.last_card(lena)
    assert "Done" in card_text(status) and "SLA breached" in card_text(status)
    async with desk.uow() as uow:
        done = (await uow.session.execute(select(Request).where(Request.requester_id == lena.id))).scalar_one()
    assert done.completed_at == clock.now  # finished on the desk's clock, 1.5 h after its due time

    # Friday 09:00: request 2 finished late and request 3 is open past due — two breaches, one on time.
    clock.set(friday, 9)
    await desk.say(admin, "sla")
    _, report = desk.last_card(admin)
    expected = {"Submitted": "3", "Finished": "2", "On time": "1", "Breached": "2", "Compliance": "33%"}
    assert _section(report, "license.assign") == expected
    assert report["body"][0]["text"] == f"SLA compliance · {Translator('en-US').month(monday)}"

    # The same month by name, in German; the month before has nothing.
    await desk.say(admin, f"sla {month}", locale="de-DE")
    _, report = desk.last_card(admin)
    assert _section(report, "license.assign") == {
        "Eingereicht": "3",
        "Abgeschlossen": "2",
        "Rechtzeitig": "1",
        "Verletzt": "2",
        "Einhaltung": "33\u00a0%",
    }
    previous = (monday.replace(day=1) - timedelta(days=1)).replace(day=1)
    await desk.say(admin, f"sla {previous:%Y-%m}", locale="pl-PL")
    _, report = desk.last_card(admin)
    assert card_text(report).count('"id": "kind-') == 0
    assert report["body"][1]["text"] == Translator("pl-PL")("sla.empty", month=Translator("pl-PL").month(previous))


async def test_the_report_is_for_admins_only_and_a_bad_month_is_explained(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    await _request_e3(desk, employee)
    cards_before = len(desk.cards(employee))

    for text, locale in (("sla", "en-US"), ("sla 2026-11", "pl-PL"), ("SLA", "de-DE")):
        await desk.say(employee, text, locale=locale)
        assert desk.texts(employee)[-1] == Translator(locale)("sla.not_admin")
    assert len(desk.cards(employee)) == cards_before  # no report card reached a non-admin

    for bad in ("2026-13", "november", "11/2026"):
        await desk.say(admin, f"sla {bad}")
        assert desk.texts(admin)[-1] == Translator("en-US")("sla.bad_month", month=bad)
    assert not [card for _, card in desk.cards(admin) if "SLA compliance" in card_text(card)]

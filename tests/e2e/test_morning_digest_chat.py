"""The approvers' morning digest (F21) end to end: an admin opts in from the personal chat (English, German), an
employee's license request waits for the admins, nothing comes on a Saturday, and on Monday once service hours
begin devtenant's connector holds exactly one morning card in the admin's chat naming the request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Clock, Desk, card_text

from cards.i18n import Translator
from devtenant import DevTenant
from kinds.digest.morning import run_morning_digests


@pytest.fixture
async def clock() -> Clock:
    clock = Clock()
    clock.set(date(2026, 11, 27), 14)  # a Friday afternoon in Warsaw
    return clock


@pytest.fixture
async def morning_desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url), clock=clock)
    try:
        yield running
    finally:
        await running.client.close()


@pytest.mark.parametrize(("locale", "command"), [("en-US", "morning digest on"), ("de-DE", "Morgenübersicht an")])
async def test_an_opted_in_approver_gets_the_morning_card_on_a_business_day(
    morning_desk: Desk, clock: Clock, locale: str, command: str
) -> None:
    desk = morning_desk
    admin, employee = desk.tenant.seed.demo_admin, desk.tenant.seed.demo_employee
    t = Translator(locale)
    await desk.say(admin, command, locale=locale)
    assert desk.texts(admin)[-1] == t("digest.morning.on", zone="Europe/Warsaw")
    await desk.say(employee, "request license E3")
    await desk.run_jobs()
    async with desk.uow() as uow:
        (request,) = await uow.requests.list_for_requester(employee.id)
    before = len(desk.cards(admin))

    clock.set(date(2026, 11, 28), 9)  # Saturday
    assert await run_morning_digests(desk.services) == 0
    clock.set(date(2026, 11, 30), 8, 1)  # Monday, a minute into service hours
    assert await run_morning_digests(desk.services) == 1
    assert await run_morning_digests(desk.services) == 0
    new_cards = desk.cards(admin)[before:]
    assert len(new_cards) == 1
    shown = card_text(new_cards[0][1])
    assert t("digest.morning.title") in shown and request.public_id in shown

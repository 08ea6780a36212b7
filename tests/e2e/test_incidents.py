"""Incidents (F18) end to end against devtenant, on the settable clock: an admin makes a Teams channel the support
channel, an employee reports a problem in Polish, its card lands in that channel and in her chat, support claims
it, escalates it to second level, resolves it, she reopens it, it is resolved again and closes by itself three
business days later — every copy of the card kept current; and one filed through the English form, claimed,
resolved and confirmed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Clock, Desk, action_data, card_text, leaks

from cards.i18n import Translator
from devtenant import DevTenant
from kinds.incidents.auto_close import run_incident_pass
from kinds.incidents.policy import IncidentPolicy
from storage.models_incidents import Incident

CHANNEL_ID = "19:m365-support@thread.tacv2"


@pytest.fixture
async def clock() -> Clock:
    clock = Clock()
    clock.set(date(2026, 11, 23), 9)  # a Monday, 09:00 in Warsaw
    return clock


@pytest.fixture
async def support_desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url), clock=clock)
    running.open_channel(CHANNEL_ID)
    try:
        yield running
    finally:
        await running.client.close()


def _channel_cards(desk: Desk) -> list[dict[str, Any]]:
    return [a["content"] for item in desk.channel_items(CHANNEL_ID) for a in item.get("attachments") or []]


def _second_admin(desk: Desk) -> Any:
    seed = desk.tenant.seed
    return next(user for user in seed.users
                if user.id in seed.admins_group.member_ids and user.id != seed.demo_admin.id)


async def _incident(desk: Desk) -> Incident:
    async with desk.uow() as uow:
        incident = await uow.incidents.get(1)
    assert incident is not None
    return incident


def _click_data(card: dict[str, Any], verb: str, **inputs: str) -> dict[str, Any]:
    return {**action_data(card, verb), **inputs}


async def test_an_incident_in_polish_through_claim_escalation_resolution_reopen_and_auto_close(
    support_desk: Desk, clock: Clock
) -> None:
    desk = support_desk
    admin, employee, second = desk.tenant.seed.demo_admin, desk.tenant.seed.demo_employee, _second_admin(desk)
    pl = Translator("pl-PL")

    await desk.say_in_channel(CHANNEL_ID, admin, "kanał wsparcia tutaj", locale="pl-PL")
    assert desk.channel_items(CHANNEL_ID)[-1]["text"] == pl("incidents.channel.set")

    await desk.say(employee, "zgłoś problem: Outlook nie synchronizuje poczty od rana", locale="pl-PL")
    incident = await _incident(desk)
    assert (incident.category, incident.priority, incident.state) == ("mailbox", "P3", "new")
    (channel_card,) = _channel_cards(desk)
    assert incident.public_id in card_text(channel_card)
    _, mine = desk.last_card(employee)
    assert pl("incidents.title", id=incident.public_id, priority="P3") in card_text(mine)

    # Support claims it from the channel's card; her chat hears of it and both copies show it.
    await desk.click(admin, "incident.claim", _click_data(channel_card, "incident.claim"), locale="pl-PL")
    assert desk.texts(employee)[-1] == pl("incidents.told.claim", id=incident.public_id, name=admin.display_name)
    (channel_card,) = _channel_cards(desk)
    assert admin.display_name in card_text(channel_card)

    # An employee who is not support cannot act on the channel's card, and learns nothing.
    refused = await desk.click(employee, "incident.resolve",
                               _click_data(channel_card, "incident.resolve", note="sama rozwiązałam"),
                               locale="pl-PL")
    assert pl("incidents.refused") in json.dumps(refused, ensure_ascii=False)

    await desk.click(admin, "incident.escalate",
                     _click_data(channel_card, "incident.escalate", note="Potrzebny specjalista Exchange"),
                     locale="pl-PL")
    assert desk.texts(employee)[-1] == pl("incidents.told.escalate", id=incident.public_id)
    (channel_card,) = _channel_cards(desk)
    assert "Potrzebny specjalista Exchange" in card_text(channel_card)
    await desk.click(second, "incident.claim", _click_data(channel_card, "incident.claim"), locale="pl-PL")
    (channel_card,) = _channel_cards(desk)
    await desk.click(second, "incident.resolve",
                     _click_data(channel_card, "incident.resolve", note="Odtworzony profil Outlooka"),
                     locale="pl-PL")
    assert (await _incident(desk)).state == "resolved"

    # She reopens it from her own (updated) card; support resolves it again.
    _, mine = desk.last_card(employee)
    await desk.click(employee, "incident.reopen", _click_data(mine, "incident.reopen", note="Nadal nie działa"),
                     locale="pl-PL")
    reopened = await _incident(desk)
    assert (reopened.state, reopened.support_level, reopened.assignee_id) == ("in_progress", 2, second.id)
    (channel_card,) = _channel_cards(desk)
    assert "Nadal nie działa" in card_text(channel_card)
    await desk.click(second, "incident.resolve",
                     _click_data(channel_card, "incident.resolve", note="Wyczyszczona pamięć podręczna"),
                     locale="pl-PL")

    # Three business days later (Monday → Thursday 09:00) it closes by itself, once.
    policy = IncidentPolicy()
    clock.set(date(2026, 11, 26), 8, 59)
    assert (await run_incident_pass(desk.services, policy)).closed == 0
    clock.set(date(2026, 11, 26), 9, 30)
    assert (await run_incident_pass(desk.services, policy)).closed == 1
    assert (await run_incident_pass(desk.services, policy)).closed == 0
    closed = await _incident(desk)
    assert closed.state == "closed"
    assert desk.texts(employee)[-1] == pl("incidents.told.auto_close", id=incident.public_id)
    (channel_card,) = _channel_cards(desk)
    _, mine = desk.last_card(employee)
    for card in (channel_card, mine):
        assert pl("incidents.state.closed") in card_text(card)
        assert not card.get("actions")
    async with desk.uow() as uow:
        actions = [event.action for event in await uow.incidents.events(incident.id)]
    assert actions == ["filed", "claim", "escalate", "claim", "resolve", "reopen", "resolve", "auto_close"]
    assert leaks(desk.inbox(employee)) == [] and leaks(desk.channel_items(CHANNEL_ID)) == []


async def test_an_incident_filed_through_the_english_form_is_claimed_resolved_and_confirmed(
    support_desk: Desk,
) -> None:
    desk = support_desk
    admin, employee = desk.tenant.seed.demo_admin, desk.tenant.seed.demo_employee
    en = Translator("en-US")
    await desk.say_in_channel(CHANNEL_ID, admin, "support channel here", locale="en-US")

    await desk.say(employee, "report a problem")
    _, form = desk.last_card(employee)
    reply = await desk.click(employee, "incident.submit", {"text": "I lost access to the Sales list",
                                                           "category": "list", "impact": "high", "urgency": "high"})
    incident = await _incident(desk)
    assert (incident.category, incident.priority) == ("list", "P1")
    assert en("incidents.filed.title", id=incident.public_id) in json.dumps(reply)
    assert form["actions"][0]["verb"] == "incident.submit"

    (channel_card,) = _channel_cards(desk)
    await desk.click(admin, "incident.claim", _click_data(channel_card, "incident.claim"))
    (channel_card,) = _channel_cards(desk)
    await desk.click(admin, "incident.resolve",
                     _click_data(channel_card, "incident.resolve", note="Added you back to the list"))
    assert desk.texts(employee)[-1] == en("incidents.told.resolve", id=incident.public_id,
                                          note="Added you back to the list")
    _, mine = desk.last_card(employee)
    done = await desk.click(employee, "incident.confirm", _click_data(mine, "incident.confirm"))
    assert en("incidents.done.confirm") in json.dumps(done)
    assert (await _incident(desk)).state == "closed"
    assert desk.texts(admin)[-1] == en("incidents.told.confirm", id=incident.public_id,
                                       name=employee.display_name)

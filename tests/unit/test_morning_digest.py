"""The approvers' morning digest (F21) on the memory tenant: the opt-in command in en/pl/de, the business-day rule
(a Saturday, a Polish holiday, a Monday before and at opening), one card per approver and day across concurrent
passes, only what they may still decide, nothing when nothing waits, and opting out."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from desk_fixture import ANNA, JONAS, LENA, MARKETING, Desk
from jsonschema import Draft6Validator

from cards.digest import MorningItem, morning_card
from cards.i18n import Translator
from handlers.business_time import BusinessCalendar
from kinds.digest.morning import MorningDigestChoice, morning_day, parse_morning, run_morning_digests
from tests.unit.test_queue_kinds import file, say

pytest_plugins = ["desk_fixture"]

SCHEMA = Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text()))
SATURDAY = datetime(2025, 11, 8, 9, 0, tzinfo=UTC)  # 10:00 in Warsaw
MONDAY_EARLY = datetime(2025, 11, 10, 6, 59, tzinfo=UTC)  # 07:59 in Warsaw, before service hours
MONDAY_OPEN = datetime(2025, 11, 10, 7, 0, tzinfo=UTC)  # 08:00 in Warsaw
HOLIDAY = datetime(2025, 11, 11, 9, 0, tzinfo=UTC)  # Tuesday, Independence Day in Poland


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("morning digest on", MorningDigestChoice(True)),
        ("Morning digest OFF", MorningDigestChoice(False)),
        ("poranne podsumowanie wł", MorningDigestChoice(True)),
        ("poranne podsumowanie wył", MorningDigestChoice(False)),
        ("Morgenübersicht an", MorningDigestChoice(True)),
        ("Morgenübersicht aus", MorningDigestChoice(False)),
        ("morning digest", MorningDigestChoice(None)),
        ("morning coffee on", None),
    ],
)
def test_the_choice_reads_the_same_in_three_languages(text: str, expected: object) -> None:
    assert parse_morning(text) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [(SATURDAY, None), (HOLIDAY, None), (MONDAY_EARLY, None), (MONDAY_OPEN, date(2025, 11, 10))],
)
def test_only_business_days_once_service_hours_begin(now: datetime, expected: date | None) -> None:
    assert morning_day(BusinessCalendar(), now) == expected


async def _lenas_join(desk: Desk) -> str:
    """Anna asks to join Marketing, whose owner Lena decides; returns the request's id."""
    desk.clock.now = datetime(2025, 11, 7, 12, 0, tzinfo=UTC)  # Friday
    return (await file(desk, ANNA, f"join {MARKETING.display_name}")).public_id


async def test_an_opted_in_approver_gets_one_card_per_business_morning(desk: Desk) -> None:
    join = await _lenas_join(desk)
    answer = await say(desk, LENA, "poranne podsumowanie wł", locale="pl-PL")
    assert answer.text is not None and "Poranne podsumowanie włączone" in answer.text
    desk.messenger.sent.clear()

    desk.clock.now = SATURDAY
    assert await run_morning_digests(desk.services) == 0
    desk.clock.now = MONDAY_EARLY
    assert await run_morning_digests(desk.services) == 0
    desk.clock.now = MONDAY_OPEN
    sent = await asyncio.gather(run_morning_digests(desk.services), run_morning_digests(desk.services))
    assert sorted(sent) == [0, 1]
    assert await run_morning_digests(desk.services) == 0
    (message,) = desk.messenger.to(LENA.user_id)
    assert message.card is not None and not list(VALIDATOR.iter_errors(message.card))
    shown = json.dumps(message.card, ensure_ascii=False)
    assert join in shown and "Czeka na Ciebie 1 wniosek." in shown
    desk.clock.now = HOLIDAY
    assert await run_morning_digests(desk.services) == 0
    desk.clock.advance(days=1)  # Wednesday
    assert await run_morning_digests(desk.services) == 1

    assert (await say(desk, LENA, "Morgenübersicht aus", locale="de-DE")).text == "Morgenübersicht aus."
    desk.clock.advance(days=1)
    assert await run_morning_digests(desk.services) == 0
    assert len(desk.messenger.to(LENA.user_id)) == 2


async def test_nothing_is_sent_when_nothing_waits_or_the_approver_lost_the_right(desk: Desk) -> None:
    await _lenas_join(desk)
    await say(desk, ANNA, "morning digest on")  # Anna decides nothing
    await say(desk, LENA, "morning digest on")
    (marketing,) = [dl for dl in desk.tenant.lists.values() if dl.display_name == MARKETING.display_name]
    marketing.owners = [JONAS.user_principal_name]  # Lena no longer owns the list: the request is not hers now
    desk.messenger.sent.clear()
    desk.clock.now = MONDAY_OPEN
    assert await run_morning_digests(desk.services) == 0
    assert desk.messenger.sent == []


async def test_typed_without_on_or_off_it_explains(desk: Desk) -> None:
    assert (await say(desk, LENA, "morning digest")).text == Translator("en-US")("digest.morning.usage")


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_morning_card_is_valid_in_every_language(locale: str) -> None:
    item = MorningItem("REQ-000042", "Marketing", "Anna Kowalska", datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                       datetime(2026, 11, 4, 9, 0, tzinfo=UTC), breached=True)
    card = morning_card((item,), 3, Translator(locale, "Europe/Warsaw"))
    assert not list(VALIDATOR.iter_errors(card))
    assert "REQ-000042" in json.dumps(card)

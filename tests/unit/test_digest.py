"""Channel digests (F21): the command in en/pl/de, the schedule's moments across DST changes, one post per channel
and period however often (and on however many replicas) the pass runs, and the card valid in every language."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from desk_fixture import ANNA, JONAS, Desk
from jsonschema import Draft6Validator

from cards.digest import DigestContent, DigestItem, digest_card
from cards.i18n import Translator
from handlers.commands import parse
from handlers.context import ChannelAddress
from handlers.dispatch import dispatch_command
from kinds.digest.commands import DigestOff, DigestUsage, SetDigest, parse_digest
from kinds.digest.post import run_digests
from kinds.digest.schedule import DAILY, WEEKLY, Schedule, latest_due, period_of, previous_due
from kinds.registry import Registry
from tests.unit.conftest import command_of

pytest_plugins = ["desk_fixture"]

SCHEMA = Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text()))
WARSAW = ZoneInfo("Europe/Warsaw")
CHANNEL = ChannelAddress("19:ops@thread.tacv2", "https://smba.trafficmanager.net/emea/", "tenant", "28:bot")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("digest weekly monday 08:00", SetDigest(WEEKLY, 480, 0)),
        ("digest daily 7:30", SetDigest(DAILY, 450)),
        ("digest off", DigestOff()),
        ("podsumowanie co tydzień piątek 16:15", SetDigest(WEEKLY, 975, 4)),
        ("Podsumowanie codziennie 08:00", SetDigest(DAILY, 480)),
        ("podsumowanie wyłącz", DigestOff()),
        ("Zusammenfassung wöchentlich Montag 08:00", SetDigest(WEEKLY, 480, 0)),
        ("Zusammenfassung täglich 06:00", SetDigest(DAILY, 360)),
        ("Zusammenfassung aus", DigestOff()),
        ("digest", DigestUsage()),
        ("digest weekly funday 08:00", DigestUsage()),
        ("digest daily 24:00", DigestUsage()),
    ],
)
def test_the_command_reads_the_same_in_three_languages(text: str, expected: object, registry: Registry) -> None:
    assert parse_digest(text) == expected
    assert command_of(text, registry) == expected  # and the registry gives it to the digest family


def test_other_words_are_not_the_digest() -> None:
    assert parse_digest("digestive biscuits") is None
    assert parse_digest("pending") is None


def test_daily_due_is_the_latest_local_moment() -> None:
    daily = Schedule(DAILY, 8 * 60)
    before_eight = datetime(2026, 3, 10, 6, 59, tzinfo=UTC)  # 07:59 in Warsaw (CET)
    assert latest_due(daily, before_eight, WARSAW) == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert latest_due(daily, datetime(2026, 3, 10, 7, 0, tzinfo=UTC), WARSAW) == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)


def test_weekly_due_keeps_local_eight_oclock_across_the_clock_change() -> None:
    monday = Schedule(WEEKLY, 8 * 60, 0)
    # Summer time begins on Sunday 29 March 2026: Monday 08:00 is 07:00 UTC before, 06:00 UTC after.
    before = latest_due(monday, datetime(2026, 3, 29, 12, 0, tzinfo=UTC), WARSAW)
    assert before == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)
    after = latest_due(monday, datetime(2026, 3, 30, 6, 0, tzinfo=UTC), WARSAW)
    assert after == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert period_of(after, WARSAW) == "2026-03-30"
    assert previous_due(monday, after, WARSAW) == datetime(2026, 3, 23, 7, 0, tzinfo=UTC)  # 167 hours earlier


def test_a_moment_the_clock_skips_or_repeats_still_happens_once() -> None:
    skipped = Schedule(DAILY, 2 * 60 + 30)  # 02:30 does not exist in Warsaw on 29 March 2026
    due = latest_due(skipped, datetime(2026, 3, 29, 2, 0, tzinfo=UTC), WARSAW)
    assert due.astimezone(WARSAW).date().isoformat() == "2026-03-29"
    repeated = Schedule(DAILY, 2 * 60 + 30)  # 02:30 happens twice on 25 October 2026: the first one counts
    assert latest_due(repeated, datetime(2026, 10, 25, 3, 0, tzinfo=UTC), WARSAW) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


async def _set(desk: Desk, text: str, *, who: object = JONAS, locale: str = "en-US") -> str | None:
    actor = replace(desk.actor(who, locale=locale), channel=CHANNEL)  # type: ignore[arg-type]
    reply = await dispatch_command(desk.services, actor, parse(text, desk.services.kinds))
    return reply.text


async def test_an_admin_sets_it_and_it_posts_once_per_period(desk: Desk) -> None:
    desk.clock.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw
    answer = await _set(desk, "digest weekly monday 08:00")
    assert answer is not None and "every Monday at 08:00" in answer
    assert await run_digests(desk.services) == 0  # this Monday's 08:00 came before the digest was set
    desk.clock.advance(days=7)
    assert await asyncio.gather(run_digests(desk.services), run_digests(desk.services)) in ([1, 0], [0, 1])
    assert await run_digests(desk.services) == 0
    ((channel, card),) = desk.messenger.channel_posts
    assert channel == CHANNEL
    assert not list(VALIDATOR.iter_errors(card))
    desk.clock.advance(days=7)
    assert await run_digests(desk.services) == 1
    assert await _set(desk, "digest off") == "This channel's digest is off."
    desk.clock.advance(days=7)
    assert await run_digests(desk.services) == 0
    assert len(desk.messenger.channel_posts) == 2


async def test_someone_not_an_admin_changes_nothing(desk: Desk) -> None:
    answer = await _set(desk, "podsumowanie codziennie 08:00", who=ANNA, locale="pl-PL")
    assert answer == "Podsumowanie na kanale mogą ustawić tylko administratorzy."
    async with desk.services.uow() as uow:
        assert await uow.digests.all() == []


async def test_in_the_personal_chat_it_points_to_a_channel(desk: Desk) -> None:
    reply = await dispatch_command(
        desk.services, desk.actor(JONAS, locale="de-DE"), parse("Zusammenfassung täglich 08:00", desk.services.kinds)
    )
    assert reply.text == "Eine Zusammenfassung geht an einen Kanal: Erwähne mich in dem Kanal, der sie bekommen soll."


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_card_is_valid_in_every_language(locale: str) -> None:
    when = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    item = DigestItem("REQ-000042", "Microsoft 365 E3", "Anna Kowalska", datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
                      datetime(2026, 11, 4, 9, 0, tzinfo=UTC), breached=True)
    content = DigestContent(
        period_start=datetime(2026, 11, 16, 7, 0, tzinfo=UTC), period_end=when, waiting=7, breached=1,
        oldest=(item,), orphaned_lists=2, orphaned_mailboxes=1, orphans_filed=1, filed=12, decided=9, completed=8,
        median_decision_seconds=5400.0, chat_url="https://teams.microsoft.com/l/chat/0/0?users=28:bot",
    )
    card = digest_card(content, Translator(locale, "Europe/Warsaw"))
    assert not list(VALIDATOR.iter_errors(card))
    assert "REQ-000042" in json.dumps(card)

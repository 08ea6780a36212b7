"""The channel digest's fuller sections (F21, F22): unused lists and mailboxes, license waste, the period's license
alerts and the volume chart behind a link that lives for the digest's reading, in en/pl/de and on the memory
tenant."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from desk_fixture import JONAS, Desk
from jsonschema import Draft6Validator

from cards.charts import png_size
from cards.digest import DigestAlert, DigestChart, DigestContent, DigestUnused, DigestWaste, digest_card
from cards.i18n import Translator
from handlers.commands import parse
from handlers.context import ChannelAddress
from handlers.dispatch import dispatch_command
from kinds.digest.post import run_digests
from kinds.statistics.report import download_chart

pytest_plugins = ["desk_fixture"]

SCHEMA = Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text()))
CHANNEL = ChannelAddress("19:ops@thread.tacv2", "https://smba.trafficmanager.net/emea/", "tenant", "28:bot")


def _content(**changes: object) -> DigestContent:
    base = DigestContent(
        period_start=datetime(2026, 11, 16, 7, 0, tzinfo=UTC), period_end=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        waiting=0, breached=0, oldest=(), orphaned_lists=0, orphaned_mailboxes=0, orphans_filed=0, filed=0,
        decided=0, completed=0, median_decision_seconds=None,
        unused_lists=DigestUnused(90, 7, ("Alpha", "Beta", "Gamma", "Delta", "Epsilon")),
        unused_mailboxes=DigestUnused(60, 1, ("Press office",)),
        waste=DigestWaste(seats=3, monthly=(("EUR", Decimal("61.50")),)),
        alerts=(DigestAlert("low_seats", {"plan": "Office 365 E3", "free": 1}),
                DigestAlert("ending", {"plan": "Visio Plan 2", "days": 12})),
        chart=DigestChart("https://desk.example/reports/abc.png", "Bar chart: 4 requests"),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en-US", ["7 lists without mail for 90+ days", "and 2 more", "1 shared mailbox without activity",
                   "Wasted seats", "€61.50", "Office 365 E3 has 1 free seats", "ends in 12 days"]),
        ("pl-PL", ["7 list bez poczty od 90+ dni", "i jeszcze 2", "1 skrzynka współdzielona", "61,50\u00a0€",
                   "Visio Plan 2 kończy się za 12 dni"]),
        ("de-DE", ["7 Listen ohne E-Mail seit 90+ Tagen", "und 2 weitere", "1 freigegebenes Postfach",
                   "Verschwendete Lizenzen", "61,50\u00a0€"]),
    ],
)
def test_the_new_sections_read_in_every_language_and_stay_valid(locale: str, expected: list[str]) -> None:
    card = digest_card(_content(), Translator(locale, "Europe/Warsaw"))
    assert not list(VALIDATOR.iter_errors(card))
    shown = json.dumps(card, ensure_ascii=False)
    for phrase in expected:
        assert phrase in shown, phrase
    (image,) = [element for element in card["body"] if element.get("type") == "Image"]
    assert image["altText"] == "Bar chart: 4 requests" and image["url"].endswith(".png")


def test_what_the_desk_cannot_tell_is_said_not_shown_as_zero() -> None:
    card = digest_card(_content(unused_lists=None, unused_mailboxes=None, waste=None, alerts=(), chart=None),
                       Translator("en-US", "Europe/Warsaw"))
    assert not list(VALIDATOR.iter_errors(card))
    shown = json.dumps(card)
    assert "Lists: not known yet" in shown and "License waste could not be read" in shown
    assert "No license alerts in this period." in shown and '"Image"' not in shown


async def test_the_posted_digest_carries_the_periods_alerts_and_a_chart_that_outlives_a_report_link(
        desk: Desk) -> None:
    desk.clock.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # Monday 10:00 in Warsaw
    actor = replace(desk.actor(JONAS), channel=CHANNEL)
    await dispatch_command(desk.services, actor, parse("digest daily 08:00", desk.services.kinds))
    async with desk.services.uow() as uow:  # an alert the admins got on Tuesday, and one from before the period
        await uow.alerts.claim("low_seats:ENTERPRISEPACK", "2025-03-04", detail={"plan": "Office 365 E3", "free": 1},
                               now=desk.clock.now)
        await uow.alerts.claim("ending:VISIOCLIENT", "2025-03-01", detail={"plan": "Visio Plan 2", "days": 3},
                               now=desk.clock.now)
        await uow.commit()
    desk.clock.advance(days=1)  # Tuesday 10:00: the digest for Monday 08:00 .. Tuesday 08:00
    desk.clock.advance(days=1)  # Wednesday 10:00: Tuesday 08:00 .. Wednesday 08:00
    assert await run_digests(desk.services, chart_link_days=7) == 1
    ((_, card),) = desk.messenger.channel_posts
    assert not list(VALIDATOR.iter_errors(card))
    shown = json.dumps(card)
    assert "Office 365 E3 has 1 free seats left" in shown and "Visio" not in shown
    assert "Wasted seats" in shown
    (image,) = [element for element in card["body"] if element.get("type") == "Image"]
    assert image["altText"].startswith("Bar chart:")
    token = image["url"].rsplit("/", 1)[1].removesuffix(".png")
    desk.clock.advance(days=6)  # far beyond a report's 15 minutes, within the digest's week
    png = await download_chart(desk.services, token)
    assert png is not None and png_size(png)[0] > 0
    desk.clock.advance(days=1, minutes=1)
    assert await download_chart(desk.services, token) is None

"""The channel digest (F21) end to end: an admin @mentions the desk in a Teams channel to set a weekly digest (English,
then Polish), the digest pass runs on the settable clock, and devtenant's connector holds the digest card in that
channel's conversation; anything else said in the channel gets the personal-chat hint and files nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Clock, Desk, card_text

from cards.charts import png_size
from cards.i18n import Translator
from devtenant import DevTenant
from kinds.digest.channel import describe
from kinds.digest.commands import SetDigest
from kinds.digest.post import run_digests
from kinds.digest.schedule import WEEKLY

CHANNEL_ID = "19:desk-admins@thread.tacv2"


@pytest.fixture
async def clock() -> Clock:
    clock = Clock()
    clock.set(date(2026, 11, 23), 10)  # a Monday, 10:00 in Warsaw
    return clock


@pytest.fixture
async def channel_desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url), clock=clock)
    running.open_channel(CHANNEL_ID)
    try:
        yield running
    finally:
        await running.client.close()


@pytest.mark.parametrize(("locale", "command"), [
    ("en-US", "digest weekly monday 08:00"),
    ("pl-PL", "podsumowanie co tydzień poniedziałek 08:00"),
])
async def test_an_admin_sets_a_weekly_digest_and_the_channel_gets_it(
    channel_desk: Desk, clock: Clock, locale: str, command: str
) -> None:
    desk = channel_desk
    admin, employee = desk.tenant.seed.demo_admin, desk.tenant.seed.demo_employee
    t = Translator(locale)

    await desk.say_in_channel(CHANNEL_ID, employee, "request license E3", locale=locale)
    assert desk.channel_items(CHANNEL_ID)[-1]["text"] == t("channel.personal_only")
    await desk.say_in_channel(CHANNEL_ID, admin, command, locale=locale)
    schedule = describe(SetDigest(WEEKLY, 8 * 60, 0), t)
    assert desk.channel_items(CHANNEL_ID)[-1]["text"] == t("digest.set", schedule=schedule, zone="Europe/Warsaw")

    assert await run_digests(desk.services) == 0  # today's 08:00 was before the digest was set
    clock.now += timedelta(days=7)
    assert await run_digests(desk.services) == 1
    assert await run_digests(desk.services) == 0
    cards = [a["content"] for item in desk.channel_items(CHANNEL_ID) for a in item.get("attachments") or []]
    assert len(cards) == 1
    assert t("digest.title") in card_text(cards[0])
    assert desk.tenant.state.conversations[CHANNEL_ID].conversation_type == "channel"
    # The digest's chart is an image the channel's readers fetch: described for screen readers, served as a PNG.
    (chart,) = _images(cards[0])
    assert chart["altText"]
    response = await desk.client.get(urlsplit(chart["url"]).path)
    assert response.status == 200 and response.content_type == "image/png"
    assert png_size(await response.read())[0] > 0


def _images(element: Any) -> list[dict[str, Any]]:
    """Every Image element in a card, wherever it is nested."""
    if isinstance(element, list):
        return [image for item in element for image in _images(item)]
    if not isinstance(element, dict):
        return []
    found = [element] if element.get("type") == "Image" else []
    return found + [image for value in element.values() for image in _images(value)]

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
from devtenant.states.connector import Conversation
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
    state = tenant.state
    state.conversations[CHANNEL_ID] = Conversation(CHANNEL_ID, "channel", [], None, tenant.tenant_id)
    try:
        yield running
    finally:
        await running.client.close()


async def _say_in_channel(desk: Desk, user: Any, text: str, *, locale: str) -> None:
    """A channel message as Teams sends it: the @mention in the text and as an entity, the team in channelData."""
    activity = desk._base(user, locale)
    mention = "<at>M365 Desk</at>"
    activity["text"] = f"{mention} {text}"
    activity["conversation"] = {"conversationType": "channel", "id": CHANNEL_ID, "isGroup": True}
    activity["channelData"] = {
        "tenant": {"id": desk.tenant.tenant_id},
        "team": {"id": "19:team@thread.tacv2"},
        "channel": {"id": CHANNEL_ID},
    }
    activity["entities"].append({"type": "mention", "text": mention, "mentioned": activity["recipient"]})
    response = await desk.post(activity)
    assert response.status in (200, 201, 202), await response.text()


def _channel_items(desk: Desk) -> list[dict[str, Any]]:
    state = desk.tenant.state
    return [state.activities[i].as_inbox_item() for i in state.conversations[CHANNEL_ID].activity_ids]


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

    await _say_in_channel(desk, employee, "request license E3", locale=locale)
    assert _channel_items(desk)[-1]["text"] == t("channel.personal_only")
    await _say_in_channel(desk, admin, command, locale=locale)
    schedule = describe(SetDigest(WEEKLY, 8 * 60, 0), t)
    assert _channel_items(desk)[-1]["text"] == t("digest.set", schedule=schedule, zone="Europe/Warsaw")

    assert await run_digests(desk.services) == 0  # today's 08:00 was before the digest was set
    clock.now += timedelta(days=7)
    assert await run_digests(desk.services) == 1
    assert await run_digests(desk.services) == 0
    cards = [a["content"] for item in _channel_items(desk) for a in item.get("attachments") or []]
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

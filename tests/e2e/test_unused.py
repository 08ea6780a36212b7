"""Unused lists and mailboxes (F20) end to end against devtenant, on SQLite and PostgreSQL: traffic recorded through
the emulator's control API, the desk's message-trace collection, then ``unused lists`` (en) and ``ungenutzte
Postfächer`` (de) from an admin's chat — a list that got mail stays off the report, a quiet one is on it; a mailbox
active yesterday stays off, one never active is on it; a non-admin learns nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import DevTenant
from devtenant.seed import SeedUser
from handlers.directory_sync import run_sync
from kinds.usage.collect import collect_now


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url, sync_interval_seconds=0))
    try:
        yield running
    finally:
        await running.client.close()


async def control(tenant: DevTenant, method: str, path: str, body: dict[str, Any]) -> None:
    """The emulator's control API: traffic and activity as Exchange and the usage report would see them."""
    connector = aiohttp.TCPConnector(ssl=tenant.ssl_context())
    async with (aiohttp.ClientSession(connector=connector, trust_env=False) as session,
                session.request(method, f"{tenant.control_url}{path}", json=body) as reply):
        assert reply.status < 300, await reply.text()


async def every_page(desk: Desk, admin: SeedUser, card: dict[str, Any]) -> str:
    """The text of the report's pages, following its Next buttons (typed page clicks) to the end."""
    shown = card_text(card)
    label = Translator("en")("usage.next")
    while nexts := [a for a in card.get("actions", []) if a.get("verb") == Verb.USAGE_PAGE and a["title"] == label]:
        card = (await desk.click(admin, Verb.USAGE_PAGE, nexts[0]["data"]))["value"]
        shown += card_text(card)
    return shown


async def test_a_quiet_list_is_unused_and_one_that_got_mail_is_not(desk: Desk) -> None:
    seed = desk.tenant.seed
    admin, busy, quiet = seed.demo_admin, seed.open_list, seed.closed_list
    assert (await run_sync(desk.services, full=True)).ok
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await control(desk.tenant, "POST", "/usage/messages",
                  {"recipient": busy.primary_smtp_address, "received": [yesterday.isoformat()]})
    run = await collect_now(desk.services, "e2e", force=True)
    assert run.queries > 0

    await desk.say(admin, "unused lists 30d")
    shown = await every_page(desk, admin, desk.last_card(admin)[1])
    assert quiet.display_name in shown
    assert busy.display_name not in shown
    lists = len(seed.distribution_lists)
    assert Translator("en")("usage.count.lists", count=lists - 1) in shown, "every list but the busy one"

    await desk.say(seed.demo_employee, "unused lists")
    assert desk.cards(seed.demo_employee) == []
    assert desk.texts(seed.demo_employee)[-1] == Translator("en")("usage.not_admin")


async def test_a_mailbox_never_active_is_unused_in_german_and_an_active_one_is_not(desk: Desk) -> None:
    seed = desk.tenant.seed
    active, never = seed.shared_mailboxes[0], seed.shared_mailboxes[1]
    assert (await run_sync(desk.services, full=True)).ok
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    await control(desk.tenant, "PUT", f"/usage/mailboxes/{active.primary_smtp_address}",
                  {"lastActivityDate": yesterday})
    german = next(seed.user(a) for a in seed.admins_group.member_ids if a != seed.demo_admin.id)

    await desk.say(german, "ungenutzte Postfächer 60d", locale="de-DE")
    shown = card_text(desk.last_card(german)[1])
    assert never.display_name in shown
    assert active.display_name not in shown

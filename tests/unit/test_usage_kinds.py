"""Unused lists and shared mailboxes (F20) on the memory tenant: a quiet list, a never-seen list once the desk has
watched long enough (and the note while it has not), an active list left out; mailboxes by the report's Last Activity
Date; concealed names refused with the setting to change; non-admins refused; paging by typed buttons; the CSV."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk, small_tenant
from jsonschema import Draft6Validator
from test_request_lifecycle import action_data

from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.directory_sync import run_sync
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.licenses.reports import download
from kinds.usage.collect import collect_now
from kinds.usage.commands import ShowUnused, parse_unused
from m365.memory import ListSeed, MailboxSeed, TenantSeed, UserSeed

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
SILENT = ListSeed("silent", "Silent List", owners=(ANNA.user_id,), member_ids=(ANNA.user_id, LENA.user_id))
HELPDESK = MailboxSeed("helpdesk", "Helpdesk")
ARCHIVE = MailboxSeed("archive", "Old Archive", full_access=((ANNA.user_id, True),), send_as=(ANNA.user_id,))


def usage_tenant(*extra_lists: ListSeed) -> TenantSeed:
    seed = small_tenant()
    return replace(seed, lists=(*seed.lists, SILENT, *extra_lists), mailboxes=(HELPDESK, ARCHIVE))


@pytest.fixture
async def udesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(migrated_sqlite, tmp_path, usage_tenant()) as built:
        assert (await run_sync(built.services)).ok
        yield built


async def ask(desk: Desk, person: UserSeed, text: str, locale: str = "en-US") -> Reply:
    return await dispatch_command(desk.services, desk.actor(person, locale=locale), parse(text, desk.services.kinds))


def shown(reply: Reply) -> str:
    assert reply.card is not None, reply.text
    assert list(Draft6Validator(SCHEMA).iter_errors(reply.card)) == []
    return json.dumps(reply.card, ensure_ascii=False)


async def test_the_commands_in_three_languages() -> None:
    assert parse_unused("unused lists") == ShowUnused(what="lists")
    assert parse_unused("unused lists 120d csv") == ShowUnused(what="lists", days="120", csv=True)
    assert parse_unused("nieużywane skrzynki 30 dni") == ShowUnused(what="mailboxes", days="30")
    assert parse_unused("ungenutzte Postfächer csv") == ShowUnused(what="mailboxes", csv=True)
    assert parse_unused("unused kittens") is None
    assert parse_unused("unused lists 3 4") is None


async def test_quiet_and_never_seen_lists_and_the_active_one_left_out(udesk: Desk) -> None:
    before = await ask(udesk, JONAS, "unused lists")
    assert before.card is None and "has not read message trace yet" in before.text

    usage = udesk.tenant.usage
    usage.add_messages("book-club@contoso.com", [udesk.clock.now - timedelta(days=10)])
    assert (await collect_now(udesk.services, "replica-a")).finished
    # Watched for under 90 days: the never-seen list waits, the admins are told why; Book Club had mail.
    early = shown(await ask(udesk, JONAS, "unused lists"))
    assert "0 unused lists" in early and "watched lists' mail for 89 days only" in early
    assert "Silent List" not in early

    udesk.clock.advance(days=100)
    usage.add_messages("marketing@contoso.com", [udesk.clock.now - timedelta(days=2)])
    assert (await collect_now(udesk.services, "replica-a")).finished
    card = shown(await ask(udesk, JONAS, "unused lists 90d"))
    assert "2 unused lists" in card and "Marketing Team" not in card
    assert card.index("Silent List") < card.index("Book Club")  # never seen first
    assert "never seen in 189 days of history" in card and "Anna Kowalska" in card
    german = shown(await ask(udesk, JONAS, "ungenutzte Listen 200d", locale="de-DE"))
    assert "0 ungenutzte Listen" in german  # Book Club had mail 110 days ago; Silent List waits for 200 days
    assert "erst seit 189 Tagen" in german


async def test_mailboxes_by_last_activity_date_with_delegates(udesk: Desk) -> None:
    today = udesk.clock.now.date()
    udesk.tenant.usage.set_mailbox_activity("helpdesk@contoso.com", today - timedelta(days=3))
    udesk.tenant.usage.set_mailbox_activity("archive@contoso.com", today - timedelta(days=75))
    card = shown(await ask(udesk, JONAS, "unused mailboxes"))
    assert "1 unused shared mailbox" in card and "Helpdesk" not in card
    assert "Old Archive" in card and (today - timedelta(days=75)).isoformat() in card
    assert '"title": "Delegates", "value": "1"' in card  # Full Access and Send As by one person count once
    polish = shown(await ask(udesk, JONAS, "nieużywane skrzynki 2d", locale="pl-PL"))
    assert "2 nieużywane skrzynki" in polish


async def test_concealed_names_are_refused_with_the_setting_to_change(udesk: Desk) -> None:
    udesk.tenant.usage.names_concealed = True
    reply = await ask(udesk, JONAS, "unused mailboxes")
    assert reply.card is None
    assert "Settings → Org settings → Services → Reports" in reply.text
    assert '"Display concealed user, group, and site names in all reports"' in reply.text
    german = await ask(udesk, JONAS, "ungenutzte Postfächer", locale="de-DE")
    assert german.card is None and "Organisationseinstellungen" in german.text


async def test_non_admins_learn_nothing(udesk: Desk) -> None:
    assert (await collect_now(udesk.services, "replica-a")).finished
    for text in ("unused lists", "unused mailboxes csv"):
        refused = await ask(udesk, LENA, text)
        assert refused.card is None and refused.text == "Only admins can see unused lists and mailboxes."
    clicked = await dispatch_click(udesk.services, udesk.actor(LENA), Verb.USAGE_PAGE,
                                   {"what": "mailboxes", "days": 60, "offset": 0})
    assert clicked.card is None and clicked.text == "Only admins can see unused lists and mailboxes."


async def test_pages_and_the_csv(migrated_sqlite: Path, tmp_path: Path) -> None:
    many = tuple(ListSeed(f"quiet-{n:02}", f"Quiet {n:02}") for n in range(11))
    async with open_desk(migrated_sqlite, tmp_path, usage_tenant(*many)) as desk:
        assert (await run_sync(desk.services)).ok
        assert (await collect_now(desk.services, "replica-a")).finished
        desk.clock.advance(days=95)
        assert (await collect_now(desk.services, "replica-a")).finished
        first = await ask(desk, JONAS, "unused lists")
        assert "14 unused lists" in shown(first) and first.card is not None
        nxt = action_data(first.card, Verb.USAGE_PAGE)
        assert nxt == {"what": "lists", "days": 90, "offset": 10}
        second = await dispatch_click(desk.services, desk.actor(JONAS), Verb.USAGE_PAGE, nxt)
        page = shown(second)
        assert "Silent List" in page and "Quiet 00" not in page and '"title": "Previous"' in page

        with_csv = await ask(desk, JONAS, "unused lists csv")
        assert "link works for 15 minutes" in with_csv.text
        token = with_csv.text.split("/reports/")[1].split(".csv")[0]
        downloaded = await download(desk.services, token)
        assert downloaded is not None
        name, _, content = downloaded
        rows = content.splitlines()
        assert name == "unused-lists.csv" and len(rows) == 15
        assert rows[0] == "name,address,owners,last_activity,history_days,members"
        assert "Silent List,silent@contoso.com,Anna Kowalska,,184,2" in rows

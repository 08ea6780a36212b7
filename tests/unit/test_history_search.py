"""The admins' history over the desk's SQLite: each filter narrows the one query (person as requester, subject or
decider; family, kind, state, resource, dates, text), pages go newest first with buttons that carry the filters,
the CSV goes behind a short-lived link, and nobody but an admin learns anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk
from jsonschema import Draft6Validator

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.history.search import CSV_NAME
from kinds.licenses.reports import download
from m365.ports import UserState
from storage.models import Request

pytest_plugins = ["desk_fixture"]

NOW = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
# (kind, requester, target label, state, days ago)
FILED = (
    ("license.assign", ANNA, "Anna Kowalska · Microsoft 365 E3", "completed", 40),
    ("dl.join", ANNA, "Sales Team <sales@contoso.com>", "pending", 20),
    ("dl.join", LENA, "Marketing Team <marketing@contoso.com>", "rejected", 10),
    ("license.seats", JONAS, "Microsoft 365 E3 · 5 seats", "awaiting_fulfilment", 5),
    ("license.assign", JONAS, "Lena Schmidt · Business Standard", "cancelled", 1),
)


async def seed_requests(desk: Desk) -> dict[str, str]:
    """The FILED requests (oldest first), Lena as the subject of Jonas's license request for her, Lena's decision
    on Anna's join, and the directory cache knowing everyone; returns target label → public id."""
    desk.clock.now = NOW
    ids: dict[str, str] = {}
    async with desk.services.uow() as uow:
        await uow.user_cache.upsert_users(
            [UserState(p.user_id, p.display_name, p.user_principal_name, p.user_principal_name, True)
             for p in (ANNA, LENA, JONAS)]
        )
        for kind, person, label, state, days in sorted(FILED, key=lambda item: -item[4]):
            request = await uow.requests.add(
                Request(kind=kind, requester_id=person.user_id, requester_name=person.display_name,
                        target_id=label.split("<")[-1].rstrip(">"), target_label=label, payload={}, plan=[],
                        approver_ids=[], state=state, created_at=NOW - timedelta(days=days))
            )
            ids[label] = request.public_id
            if person is JONAS and kind == "license.assign":
                await uow.requests.add_subjects(request, [LENA.user_id])
            if kind == "dl.join" and person is ANNA:
                await uow.decisions.add(request_id=request.id, approver_id=LENA.user_id,
                                        approver_name=LENA.display_name, outcome="approved")
        await uow.commit()
    return ids


async def ask(desk: Desk, text: str, *, locale: str = "en-US", person: Any = JONAS) -> Reply:
    return await dispatch_command(desk.services, desk.actor(person, locale=locale), parse(text, desk.services.kinds))


def shown(reply: Reply) -> list[str]:
    """The request ids on the card, in the order shown."""
    assert reply.card is not None, reply.text
    found = []
    for block in reply.card["body"]:
        if block.get("type") == "ColumnSet":
            first = block["columns"][0]["items"][0]["text"]
            found.append(first.split("**")[1])
    return found


def labels(ids: dict[str, str], *wanted: str) -> list[str]:
    return [ids[label] for label in wanted]


E3 = "Anna Kowalska · Microsoft 365 E3"
SALES = "Sales Team <sales@contoso.com>"
MARKETING = "Marketing Team <marketing@contoso.com>"
SEATS = "Microsoft 365 E3 · 5 seats"
FOR_LENA = "Lena Schmidt · Business Standard"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("history", (FOR_LENA, SEATS, MARKETING, SALES, E3)),
        # A person as requester (Anna), as the one a request is for or who decided (Lena), by name or address.
        ("history anna", (SALES, E3)),
        ("history user:lena", (FOR_LENA, MARKETING, SALES)),
        ("history lena.schmidt@contoso.com", (FOR_LENA, MARKETING, SALES)),
        ("history licenses", (FOR_LENA, E3)),
        ("history seats", (SEATS,)),
        ("history dl.join", (MARKETING, SALES)),
        ("history done", (E3,)),
        ("history withdrawn", (FOR_LENA,)),
        ("history pending rejected", (MARKETING, SALES)),
        ("history list:sales", (SALES,)),
        ("history plan:E3", (SEATS, E3)),
        ("history mailbox:sales", ()),
        ("history last 14 days", (FOR_LENA, SEATS, MARKETING)),
        ("history from:2026-11-20 to:2026-11-29", (SALES,)),
        ("history from:2026-11-20 to:2026-11-30", (MARKETING, SALES)),  # "to" takes its whole day
        ('history "business standard"', (FOR_LENA,)),
        ("history anna licenses last 60 days", (E3,)),
    ],
)
async def test_each_filter_narrows_the_history(desk: Desk, text: str, expected: tuple[str, ...]) -> None:
    ids = await seed_requests(desk)
    assert shown(await ask(desk, text)) == labels(ids, *expected)


async def test_the_grammar_reads_polish_and_german_alike(desk: Desk) -> None:
    ids = await seed_requests(desk)
    assert shown(await ask(desk, "historia anna ostatnie 30 dni", locale="pl-PL")) == labels(ids, SALES)
    assert shown(await ask(desk, "Verlauf Listen abgelehnt", locale="de-DE")) == labels(ids, MARKETING)


async def test_pages_go_newest_first_and_the_buttons_carry_the_filters(desk: Desk) -> None:
    desk.clock.now = NOW
    async with desk.services.uow() as uow:
        for day in range(23):
            await uow.requests.add(
                Request(kind="dl.join", requester_id=ANNA.user_id, requester_name=ANNA.display_name,
                        target_id=f"t{day}", target_label=f"List {day}", payload={}, plan=[], approver_ids=[],
                        state="pending", created_at=NOW - timedelta(days=day))
            )
        await uow.commit()
    first = await ask(desk, "history anna pending")
    assert len(shown(first)) == 10
    assert first.card is not None
    (older,) = [a for a in first.card["actions"] if a["verb"] == Verb.HISTORY_PAGE]
    assert older["data"] == {"person": "anna", "states": "pending", "offset": 10}
    jonas = desk.actor(JONAS)
    second = await dispatch_click(desk.services, jonas, Verb.HISTORY_PAGE, older["data"])
    third = await dispatch_click(desk.services, jonas, Verb.HISTORY_PAGE, {**older["data"], "offset": 20})
    assert len(shown(second)) == 10 and len(shown(third)) == 3
    assert not set(shown(first)) & set(shown(second))
    assert third.card is not None
    assert [a["data"]["offset"] for a in third.card["actions"]] == [10]  # only "newer" on the last page
    forged = await dispatch_click(desk.services, jonas, Verb.HISTORY_PAGE, {"states": "deleted", "offset": 0})
    assert forged.text == Translator("en")("error.bad_card")


async def test_the_csv_is_behind_a_short_lived_link(desk: Desk) -> None:
    ids = await seed_requests(desk)
    reply = await ask(desk, "history user:lena csv")
    assert reply.text is not None and "/reports/" in reply.text
    token = reply.text.split("/reports/")[1].split(".csv")[0]
    found = await download(desk.services, token)
    assert found is not None
    name, content_type, content = found
    assert (name, content_type) == (CSV_NAME, "text/csv")
    rows = content.splitlines()
    assert rows[0].startswith("request,kind,requester")
    assert [row.split(",")[0] for row in rows[1:]] == labels(ids, FOR_LENA, MARKETING, SALES)
    desk.clock.advance(minutes=desk.services.reports.link_minutes + 1)
    assert await download(desk.services, token) is None


@pytest.mark.parametrize(("locale", "word"), [("en-US", "foo:bar"), ("pl-PL", "od:wczoraj"), ("de-DE", "x.y")])
async def test_an_unreadable_filter_gets_a_message_naming_it(desk: Desk, locale: str, word: str) -> None:
    reply = await ask(desk, f"history {word}", locale=locale)
    assert reply.card is None and reply.text == Translator(locale)("history.bad_filter", word=word)


async def test_someone_not_an_admin_learns_nothing(desk: Desk, tmp_path: Path) -> None:
    await seed_requests(desk)
    for text in ("history", "history anna", "history foo:bar", "history csv"):
        reply = await ask(desk, text, person=ANNA)
        assert reply.card is None and reply.text == Translator("en")("history.not_admin")
    click = await dispatch_click(desk.services, desk.actor(ANNA), Verb.HISTORY_PAGE, {"offset": 0})
    assert click.text == Translator("en")("history.not_admin")


async def test_the_cards_are_valid_adaptive_cards_in_every_language(desk: Desk) -> None:
    schema = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
    await seed_requests(desk)
    for locale, text in (("en-US", "history csv"), ("pl-PL", "historia nic"), ("de-DE", "Verlauf Lizenzen")):
        reply = await ask(desk, text, locale=locale)
        assert reply.card is not None
        assert list(Draft6Validator(schema).iter_errors(reply.card)) == []

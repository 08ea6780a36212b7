"""The admins' history end to end over HTTP: filters in English and German on requests filed through the desk, and
the CSV behind its short-lived link."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from desk_harness import Desk, card_text

from cards.i18n import Translator


async def _withdrawn_then_pending(desk: Desk) -> tuple[str, str]:
    """The employee asks for E3, withdraws it and asks again: (withdrawn id, pending id)."""
    employee = desk.tenant.seed.demo_employee
    ids = []
    for _ in range(2):
        await desk.say(employee, "request license E3")
        async with desk.uow() as uow:
            ids.append((await uow.requests.list_for_requester(employee.id))[0].public_id)
        if len(ids) == 1:
            await desk.say(employee, f"withdraw {ids[0]}")
    return ids[0], ids[1]


async def test_history_filters_in_english_and_german(desk: Desk) -> None:
    seed = desk.tenant.seed
    admin, employee = seed.demo_admin, seed.demo_employee
    withdrawn, pending = await _withdrawn_then_pending(desk)

    await desk.say(admin, f'history user:"{employee.display_name}" pending')
    _, card = desk.last_card(admin)
    assert pending in card_text(card) and withdrawn not in card_text(card)

    await desk.say(admin, "Verlauf Lizenzen zurückgezogen letzte 30 Tage", locale="de-DE")
    _, card = desk.last_card(admin)
    text = card_text(card)
    assert withdrawn in text and pending not in text and "Verlauf der Anträge und Störungen" in text

    await desk.say(admin, "Verlauf von:gestern", locale="de-DE")
    assert desk.texts(admin)[-1] == Translator("de-DE")("history.bad_filter", word="von:gestern")
    await desk.say(employee, "history licenses")
    assert desk.texts(employee)[-1] == Translator("en-US")("history.not_admin")


async def test_history_csv_link_downloads_the_matching_requests(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    withdrawn, pending = await _withdrawn_then_pending(desk)

    await desk.say(admin, "historia licencje csv", locale="pl-PL")
    _, card = desk.last_card(admin)
    [link] = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert link["url"] in desk.texts(admin)[-1]
    response = await desk.client.get(urlsplit(link["url"]).path)
    assert response.status == 200 and response.content_type == "text/csv"
    assert 'filename="request-history.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [(r["request"], r["state"]) for r in rows] == [(pending, "pending"), (withdrawn, "cancelled")]

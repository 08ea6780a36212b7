"""The admins' "statistics" (F21, F22): the command in three languages, the numbers on known requests (SQLite),
the charts as PNGs of the promised size, the card against the schema, and the charts' short-lived links."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk
from jsonschema import Draft6Validator
from sqlalchemy import func, select

from cards.charts import ChartText, Series, compliance_chart, png_size, seats_chart, volume_chart
from cards.i18n import Translator
from cards.statistics import (
    Chart,
    FamilyTimes,
    KindVolume,
    MonthCompliance,
    Ranked,
    StatisticsView,
    duration,
    statistics_card,
)
from kinds.registry import Registry
from kinds.statistics.commands import ShowStatistics
from kinds.statistics.report import Charts, download_chart, show_statistics
from storage.models import ReportFile, Request
from tests.unit.conftest import command_of

pytest_plugins = ["desk_fixture"]

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
H = timedelta(hours=1)
TEXT = ChartText("Title", "Axis", "Nothing yet")


@pytest.mark.parametrize("typed", ["stats", "statistics", "Statistics", "show stats", "statystyki",
                                   "pokaż statystyki", "Statistik", "zeige Statistik"])
def test_the_command_in_every_language(typed: str, registry: Registry) -> None:
    assert command_of(typed, registry) == ShowStatistics()


@pytest.mark.parametrize("typed", ["stats please", "statistics 2026", "status"])
def test_other_text_is_not_the_command(typed: str, registry: Registry) -> None:
    assert command_of(typed, registry) != ShowStatistics()


def _request(kind: str, requester: str, name: str, target: str, created: datetime, **fields: Any) -> Request:
    # A license request keeps its plan's SKU part number in its payload (kinds.licenses.assign).
    payload = {"sku_part_number": "ENTERPRISEPACK"} if kind.startswith("license.") else {}
    return Request(kind=kind, requester_id=requester, requester_name=name, target_id=target, target_label=target,
                   payload=payload, plan=[], approver_ids=[JONAS.user_id], created_at=created, **fields)


async def _store_requests(desk: Desk) -> None:
    """The desk's clock stands at Monday 3 March 2025, 09:00 UTC (ISO week 10); the window starts in week 3."""
    feb24, feb25 = datetime(2025, 2, 24, 10, tzinfo=UTC), datetime(2025, 2, 25, 10, tzinfo=UTC)
    jan13 = datetime(2025, 1, 13, 9, tzinfo=UTC)
    rows = [
        # Week 9: decided after 2 h and completed after 3 h, on time; decided after 4 h, completed after 5 h, late.
        _request("license.assign", ANNA.user_id, "Anna Kowalska", "Anna - E3", feb24, state="completed",
                 decided_at=feb24 + 2 * H, completed_at=feb24 + 3 * H, due_at=feb24 + 72 * H),
        _request("license.assign", ANNA.user_id, "Anna Kowalska", "Anna - E3", feb25, state="completed",
                 decided_at=feb25 + 4 * H, completed_at=feb25 + 5 * H, due_at=feb25 + H),
        # Week 10: waiting, not due yet (neither on time nor breached).
        _request("dl.join", LENA.user_id, "Lena Schmidt", "Book Club", datetime(2025, 3, 3, 8, tzinfo=UTC),
                 due_at=datetime(2025, 3, 4, 8, tzinfo=UTC)),
        # Week 3: rejected after a day, within its due time.
        _request("dl.join", ANNA.user_id, "Anna Kowalska", "Marketing Team", jan13, state="rejected",
                 decided_at=jan13 + 24 * H, due_at=jan13 + 72 * H),
        # Before the window: counted only in January's SLA compliance.
        _request("license.assign", LENA.user_id, "Lena Schmidt", "Lena - E3", datetime(2025, 1, 5, tzinfo=UTC),
                 state="completed", decided_at=datetime(2025, 1, 5, 1, tzinfo=UTC),
                 completed_at=datetime(2025, 1, 5, 2, tzinfo=UTC), due_at=datetime(2025, 1, 8, tzinfo=UTC)),
    ]
    async with desk.services.uow() as uow:
        for row in rows:
            await uow.requests.add(row)
        await uow.commit()


def _section(card: dict[str, Any], element_id: str) -> list[dict[str, Any]]:
    (section,) = [element for element in card["body"] if element.get("id") == element_id]
    return list(section["items"])


def _facts(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["title"], f["value"].replace("\u00a0", " ")) for item in items if item["type"] == "FactSet"
            for f in item["facts"]]


def _table(items: list[dict[str, Any]]) -> list[list[str]]:
    (table,) = [item for item in items if item["type"] == "Table"]
    return [[cell["items"][0]["text"] for cell in row["cells"]] for row in table["rows"]]


async def test_the_numbers_of_known_requests(desk: Desk) -> None:
    await _store_requests(desk)

    reply = await show_statistics(desk.services, desk.actor(JONAS), ShowStatistics())

    card = reply.card
    assert card is not None and card["body"][0]["text"] == "Statistics"
    assert card["body"][1]["text"] == "Requests filed in the last 8 weeks, since W3."
    rows = _table(_section(card, "volume"))
    assert rows == [
        ["Week", "Requests", "Top kind"],
        ["W3", "1", "Join a distribution list"],
        *([f"W{week}", "0", "—"] for week in range(4, 9)),
        ["W9", "2", "License assignment"],
        ["W10", "1", "Join a distribution list"],
        ["Total", "4", ""],
    ]
    assert _facts(_section(card, "volume")) == [("Join a distribution list", "2"), ("License assignment", "2")]
    assert _facts(_section(card, "times")) == [
        ("To decision", "3 h (of 2 requests)"), ("To completion", "4 h (of 2 requests)"),  # licenses
        ("To decision", "24 h (of 1 request)"), ("To completion", "— (of 0 requests)"),  # lists
    ]
    assert [item["text"] for item in _section(card, "times") if item["type"] == "TextBlock"][1:] == [
        "**Licenses**", "**Distribution lists**"]
    assert _facts(_section(card, "sla")) == [
        ("October 2024", "—"), ("November 2024", "—"), ("December 2024", "—"),
        ("January 2025", "100% (2 of 2 on time)"), ("February 2025", "50% (1 of 2 on time)"), ("March 2025", "—"),
    ]
    assert _facts(_section(card, "top-requesters")) == [("Anna Kowalska", "3"), ("Lena Schmidt", "1")]
    # Anna's two E3 requests are about the plan, named as the license report names it, not about Anna.
    assert _facts(_section(card, "top-resources")) == [("Office 365 E3", "2"), ("Book Club", "1"),
                                                       ("Marketing Team", "1")]


async def test_the_charts_are_pngs_behind_links_that_expire(desk: Desk) -> None:
    await _store_requests(desk)

    reply = await show_statistics(desk.services, desk.actor(JONAS, locale="pl-PL"), ShowStatistics())

    assert reply.card is not None
    images = [element for element in _all_elements(reply.card) if element.get("type") == "Image"]
    assert [image["id"] for image in images] == ["chart-volume", "chart-sla", "chart-seats"]
    volume_alt = images[0]["altText"]
    assert volume_alt.startswith("Skumulowany wykres słupkowy") and "razem 4 wnioski" in volume_alt
    assert "5 planów" not in images[2]["altText"] and "3 planów" in images[2]["altText"]  # the seed's three plans
    for image in images:
        assert image["url"].startswith("http://127.0.0.1:3978/reports/") and image["url"].endswith(".png")
        token = image["url"].rsplit("/", 1)[1].removesuffix(".png")
        png = await download_chart(desk.services, token)
        assert png is not None and png_size(png) == (800, 400)
    desk.clock.advance(minutes=desk.services.reports.link_minutes)
    assert await download_chart(desk.services, token) is None
    assert await download_chart(desk.services, "not-a-token") is None


async def test_people_outside_the_admins_group_learn_nothing(desk: Desk) -> None:
    await _store_requests(desk)

    reply = await show_statistics(desk.services, desk.actor(ANNA, locale="de-DE"), ShowStatistics())

    assert reply.card is None
    assert reply.text == "Nur Mitglieder der Administratorengruppe können die Statistik sehen."
    async with desk.services.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ReportFile)) == 0


async def test_an_empty_desk_says_so_and_still_draws(desk: Desk) -> None:
    reply = await show_statistics(desk.services, desk.actor(JONAS), ShowStatistics())

    assert reply.card is not None
    assert _section(reply.card, "volume")[1]["text"] == "No requests in this period."
    assert _section(reply.card, "times")[1]["text"] == "No request of this period has been decided yet."


def _all_elements(element: Any) -> list[dict[str, Any]]:
    if isinstance(element, list):
        return [found for item in element for found in _all_elements(item)]
    if not isinstance(element, dict):
        return []
    return [element, *(found for value in element.values() for found in _all_elements(value))]


def test_each_chart_is_a_png_of_the_promised_size() -> None:
    charts = [
        volume_chart(["W1", "W2"], [Series("Licenses", (1.0, 2.0)), Series("Lists", (3.0, 0.0))], TEXT),
        volume_chart(["W1", "W2"], [], TEXT),
        compliance_chart(["Jan", "Feb", "Mar"], [None, 0.5, 1.0], TEXT),
        compliance_chart(["Jan"], [None], TEXT),
        seats_chart(["E3", "Business Basic"], [3, 5], [1, 0], ("Assigned", "Free"), TEXT),
        seats_chart([], [], [], ("Assigned", "Free"), TEXT),
    ]
    for png in charts:
        assert png_size(png) == (800, 400)
        assert len(png) < 1_000_000  # Teams' limit for a card image
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))


def test_durations_read_as_hours_then_days() -> None:
    t = Translator("en-US")
    assert [duration(s, t) for s in (None, 1800, 3 * 3600, 30 * 3600, 3 * 86400 + 7 * 3600)] == [
        "—", "0.5 h", "3 h", "30 h", "3.5 d"]
    assert duration(5400, Translator("pl-PL")) == "1,5 godz."


def _view() -> StatisticsView:
    weeks = tuple(date(2025, 1, 13) + timedelta(weeks=n) for n in range(8))
    return StatisticsView(
        as_of=datetime(2025, 3, 3, 9, tzinfo=UTC),
        weeks=weeks,
        volumes=(KindVolume("license.assign", (0, 1, 0, 0, 2, 0, 0, 3)), KindVolume("dl.join", (1,) * 8)),
        times=(FamilyTimes("licenses", 3, 7200.0, 2, None), FamilyTimes("new-family", 1, 60.0, 1, 60.0)),
        months=(MonthCompliance(date(2025, 2, 1), 1, 1), MonthCompliance(date(2025, 3, 1), 0, 0)),
        requesters=(Ranked("Anna *Kowalska*", 4),),
        resources=(Ranked("Book Club", 2),),
        charts=(Chart("chart-volume", "https://desk.contoso.com/reports/x.png", "Bars"),
                Chart("chart-sla", "https://desk.contoso.com/reports/y.png", "Line"),
                Chart("chart-seats", "https://desk.contoso.com/reports/z.png", "Seats")),
        link_minutes=15,
    )


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_card_is_valid_in_every_language(locale: str) -> None:
    validator = Draft6Validator(SCHEMA)
    for view in (_view(), StatisticsView(as_of=datetime(2025, 3, 3, tzinfo=UTC), weeks=())):
        card = statistics_card(view, Translator(locale, "Europe/Warsaw"))
        assert list(validator.iter_errors(card)) == []
    card = statistics_card(_view(), Translator(locale, "Europe/Warsaw"))
    images = [element for element in _all_elements(card) if element.get("type") == "Image"]
    assert [image["altText"] for image in images] == ["Bars", "Line", "Seats"]


def test_names_are_escaped_and_links_are_explained() -> None:
    card = statistics_card(_view(), Translator("en-US", "Europe/Warsaw"))
    assert _facts(_section(card, "top-requesters")) == [("Anna \\*Kowalska\\*", "4")]
    assert card["body"][-1]["text"].endswith("The chart links work for 15 minutes.")
    assert [item["text"] for item in _section(card, "times") if item["type"] == "TextBlock"][1:] == [
        "**Licenses**", "**new-family**"]


async def _chart_pngs(desk: Desk, reply: Any) -> dict[str, bytes]:
    pngs = {}
    for image in (e for e in _all_elements(reply.card) if e.get("type") == "Image"):
        png = await download_chart(desk.services, image["url"].rsplit("/", 1)[1].removesuffix(".png"))
        assert png is not None
        pngs[image["id"]] = png
    return pngs


async def test_a_chart_is_drawn_once_per_change_of_its_figures(desk: Desk) -> None:
    await _store_requests(desk)
    charts = Charts()

    first = await show_statistics(desk.services, desk.actor(JONAS), ShowStatistics(), charts=charts)
    again = await show_statistics(desk.services, desk.actor(JONAS), ShowStatistics(), charts=charts)

    drawn = {name: getattr(charts, name).cache_info() for name in ("volume", "compliance", "seats")}
    assert {name: (info.misses, info.hits) for name, info in drawn.items()} == {
        "volume": (1, 1), "compliance": (1, 1), "seats": (1, 1)}
    assert await _chart_pngs(desk, again) == await _chart_pngs(desk, first)  # new links, the same images
    assert first.card != again.card  # ... behind links of their own

    async with desk.services.uow() as uow:  # one more request this week: only the volume chart changes
        await uow.requests.add(_request("dl.join", LENA.user_id, "Lena Schmidt", "Book Club",
                                        datetime(2025, 3, 3, 8, 30, tzinfo=UTC)))
        await uow.commit()
    changed = await show_statistics(desk.services, desk.actor(JONAS), ShowStatistics(), charts=charts)

    assert charts.volume.cache_info().misses == 2 and charts.compliance.cache_info().misses == 1
    new, old = await _chart_pngs(desk, changed), await _chart_pngs(desk, first)
    assert new["chart-volume"] != old["chart-volume"] and new["chart-sla"] == old["chart-sla"]
    # The same figures read in another language are other words on the image: drawn for that language.
    await show_statistics(desk.services, desk.actor(JONAS, locale="de-DE"), ShowStatistics(), charts=charts)
    assert charts.volume.cache_info().misses == 3


def test_the_family_keeps_its_charts_for_the_desk_it_is_built_into(registry: Registry) -> None:
    (command,) = [c for c in registry.commands if c.name == "statistics"]
    assert isinstance(command.handle, functools.partial) and isinstance(command.handle.keywords["charts"], Charts)


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_weeks_table_fits_a_narrow_chat_in_every_language(locale: str) -> None:
    """Three columns whatever the number of weeks and kinds, headers of short words; kinds beyond the top five
    are summed as others (seven kinds here)."""
    kinds = ("license.assign", "dl.join", "dl.leave", "mailbox.grant", "license.remove", "dl.create", "group.leave")
    view = replace(_view(), volumes=tuple(KindVolume(kind, (7 - n,) * 8) for n, kind in enumerate(kinds)))
    t = Translator(locale, "Europe/Warsaw")
    card = statistics_card(view, t)
    (table,) = [item for item in _section(card, "volume") if item["type"] == "Table"]
    assert len(table["columns"]) == 3 and all(len(row["cells"]) == 3 for row in table["rows"])
    assert len(table["rows"]) == 1 + 8 + 1  # header, a row per week, the total
    headers = [cell["items"][0]["text"] for cell in table["rows"][0]["cells"]]
    assert max(len(word) for header in headers for word in header.split()) <= 11
    kind_facts = _facts(_section(card, "volume"))
    assert len(kind_facts) == 6 and kind_facts[-1][1] == t.number((2 + 1) * 8)  # the two quietest kinds, summed
    assert table["rows"][1]["cells"][2]["items"][0]["text"] == t("request.kind.license.assign")

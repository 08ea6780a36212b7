"""The "sla" command, its month arithmetic, its card, and the SLA settings app.py turns into a calendar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cards.i18n import Translator
from cards.sla import SlaKindLine, SlaReportView, sla_card
from handlers.business_time import BusinessCalendar
from handlers.commands import ShowSla
from handlers.sla_report import month_bounds, parse_month
from kinds.registry import Registry
from runtime.configuration import business_calendar, sla_targets
from settings import Settings
from tests.unit.conftest import command_of

WARSAW = ZoneInfo("Europe/Warsaw")
AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("sla", ShowSla()),
        ("SLA", ShowSla()),
        ("sla 2026-11", ShowSla(month="2026-11")),
        ("<at>M365 Desk</at> sla  2026-3", ShowSla(month="2026-3")),
        ("sla listopad", ShowSla(month="listopad")),  # the handler refuses it, with a message
    ],
)
def test_sla_command_in_every_language(typed: str, command: ShowSla, registry: Registry) -> None:
    assert command_of(typed, registry) == command


def test_month_defaults_to_the_given_day_and_refuses_what_is_not_a_month() -> None:
    today = date(2026, 11, 20)
    assert parse_month("", default=today) == date(2026, 11, 1)
    assert parse_month("2026-11", default=today) == date(2026, 11, 1)
    assert parse_month("2027-2", default=today) == date(2027, 2, 1)
    for bad in ("2026-13", "2026-00", "11-2026", "2026/11", "november", "1999-12", "2026-11-01", "2026-"):
        assert parse_month(bad, default=today) is None, bad


def test_month_bounds_are_local_midnights_across_dst_and_the_year_end() -> None:
    start, end = month_bounds(date(2026, 3, 1), WARSAW)  # the clocks spring forward on 29 March
    assert start.astimezone(UTC) == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert end.astimezone(UTC) == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    start, end = month_bounds(date(2026, 12, 1), WARSAW)
    assert end.astimezone(UTC) == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def _facts(card: dict[str, Any], kind: str) -> dict[str, str]:
    sections = [element for element in card["body"] if element.get("id") == f"kind-{kind}"]
    assert len(sections) == 1
    fact_set = next(item for item in sections[0]["items"] if item["type"] == "FactSet")
    return {fact["title"]: fact["value"].replace("\u00a0", " ") for fact in fact_set["facts"]}


def test_the_card_shows_each_kind_with_its_target_counts_and_compliance() -> None:
    view = SlaReportView(
        month=date(2026, 11, 1),
        as_of=AS_OF,
        lines=(
            SlaKindLine("dl.join", 1.0, submitted=2, finished=0, on_time=0, breached=0),
            SlaKindLine("license.assign", 3.0, submitted=7, finished=5, on_time=4, breached=2, unmeasured=1),
        ),
        previous_month="2026-10",
    )
    card = sla_card(view, Translator("en-US", "Europe/Warsaw"))
    assert card["body"][0]["text"] == "SLA compliance · November 2026"
    assert _facts(card, "license.assign") == {
        "Submitted": "7",
        "Finished": "5",
        "On time": "4",
        "Breached": "2",
        "Compliance": "67%",
        "Without a due time (filed before the SLA clock)": "1",
    }
    assert _facts(card, "dl.join")["Compliance"] == "—"  # nothing finished or overdue yet: no share to show
    sections = [element for element in card["body"] if element.get("type") == "Container"]
    assert [section["id"] for section in sections] == ["kind-dl.join", "kind-license.assign"]
    assert [block.get("text") for block in sections[1]["items"][:2]] == [
        "**License assignment**",
        "Target (business days): 3",
    ]
    assert "**sla 2026-10**" in json.dumps(card)

    german = sla_card(view, Translator("de-DE", "Europe/Warsaw"))
    assert german["body"][0]["text"] == "SLA-Einhaltung · November 2026"
    assert _facts(german, "license.assign")["Einhaltung"] == "67 %"
    polish = sla_card(view, Translator("pl-PL", "Europe/Warsaw"))
    assert polish["body"][0]["text"] == "Zgodność z SLA · listopad 2026"


def test_an_empty_month_says_so() -> None:
    card = sla_card(SlaReportView(month=date(2026, 11, 1), as_of=AS_OF), Translator("en-US"))
    assert card["body"][1]["text"] == "No requests were submitted in November 2026."


# ---------------------------------------------------------------- settings → calendar and targets


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_default_settings_give_the_products_calendar_and_targets(registry: Registry) -> None:
    settings = _settings()
    assert business_calendar(settings) == BusinessCalendar()
    targets = sla_targets(settings, registry.sla_days())
    assert [targets.days_for(kind) for kind in ("license.assign", "license.seats", "dl.join")] == [3, 1, 1]
    # Monday 09:00 in Warsaw + 3 business days (10.5 h each: 08:00-18:30 after the evening maintenance window)
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=WARSAW)
    assert targets.due_at("license.assign", monday, business_calendar(settings)) == monday + timedelta(days=3)


def test_targets_and_zone_from_the_environment(monkeypatch: pytest.MonkeyPatch, registry: Registry) -> None:
    monkeypatch.setenv("DESK_SLA_TARGETS", '{"license.assign": 2, "default": 0.5}')
    monkeypatch.setenv("DESK_SLA_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DESK_SLA_HOLIDAY_COUNTRY", "")
    settings = Settings(_env_file=None)
    targets = sla_targets(settings, registry.sla_days())
    assert targets.default_days == 0.5
    # The setting overrides the kind's own default; the other kinds keep theirs.
    assert [targets.days_for(kind) for kind in ("license.assign", "license.change", "dl.join")] == [2, 3, 1]
    calendar = business_calendar(settings)
    assert (calendar.timezone, calendar.holiday_country) == ("Europe/Berlin", None)


def test_the_calendar_file_overrides_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(
        json.dumps({"service_hours": {"mon-fri": "09:00-17:00"}, "maintenance": {}, "closed_dates": ["2026-12-31"]}),
        encoding="utf-8",
    )
    calendar = business_calendar(_settings(sla_calendar_file=path, sla_holiday_country="DE"))
    assert calendar.holiday_country == "DE" and calendar.timezone == "Europe/Warsaw"
    assert calendar.business_days(1) == timedelta(hours=8)
    assert calendar.is_closed_date(date(2026, 12, 31))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sla_timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"sla_holiday_country": "XX"}, "no country"),
        ({"sla_calendar_file": Path("/nonexistent/calendar.json")}, "calendar.json"),
    ],
)
def test_bad_sla_settings_stop_the_desk_with_the_reason(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        business_calendar(_settings(**values))


def test_bad_calendar_file_and_targets_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text('{"service_hours": {"mon": "8-20"}}', encoding="utf-8")
    with pytest.raises(ValueError, match="HH:MM"):
        business_calendar(_settings(sla_calendar_file=path))
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="JSON object"):
        business_calendar(_settings(sla_calendar_file=path))
    with pytest.raises(ValueError, match="positive"):
        sla_targets(_settings(sla_targets={"license.assign": 0}), {})

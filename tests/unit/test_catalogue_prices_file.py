"""The price file's wiring: where Settings points, and what app.py makes of a missing or broken file."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest

from handlers.plans import Price
from runtime.configuration import price_table
from settings import Settings


def test_the_price_file_defaults_to_config_and_can_be_moved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings(_env_file=None).prices_file == Path("config/prices.json")
    monkeypatch.setenv("DESK_PRICES_FILE", str(tmp_path / "mine.json"))
    assert Settings(_env_file=None).prices_file == tmp_path / "mine.json"


def test_prices_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"prices": {"SPB": {"amount": 20.60, "currency": "EUR"}}}', encoding="utf-8")
    table = price_table(Settings(_env_file=None, prices_file=path))
    assert table.prices == {"SPB": Price(Decimal("20.60"), "EUR")}


def test_no_file_configured_means_no_prices() -> None:
    assert price_table(Settings(_env_file=None, prices_file=None)).prices == {}


def test_a_missing_file_is_a_warning_not_a_crash(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="desk"):
        table = price_table(Settings(_env_file=None, prices_file=tmp_path / "absent.json"))
    assert table.prices == {}
    assert "absent.json" in caplog.text


def test_a_broken_file_stops_the_desk_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"prices": {"SPB": {"amount": 20.60, "currency": "EURO"}}}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"prices\.json: SPB: currency 'EURO'"):
        price_table(Settings(_env_file=None, prices_file=path))

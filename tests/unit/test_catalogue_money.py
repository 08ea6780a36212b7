"""The plan catalogue's money: exact amounts, the price file, costs and totals, and formatting per reader."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from cards.catalogue import CatalogueView, PlanLine, catalogue_card
from cards.i18n import Translator
from handlers.plans import Price, PriceTable, normalize_currency, parse_amount

ROOT = Path(__file__).parents[2]
SEEDED_PLANS = {"O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM", "SPB", "ENTERPRISEPACK", "ENTERPRISEPREMIUM"}
NBSP = {"\u00a0", "\u202f"}  # Babel separates digits and symbols with (narrow) no-break spaces


def _plain(value: str) -> str:
    return "".join(" " if char in NBSP else char for char in value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23.10", Decimal("23.10")),
        ("23,10", Decimal("23.10")),
        ("23,1", Decimal("23.10")),
        ("23", Decimal("23.00")),
        ("0", Decimal("0.00")),
        (" 7.5 ", Decimal("7.50")),
        ("9999999999.99", Decimal("9999999999.99")),  # the most NUMERIC(12, 2) holds
    ],
)
def test_amounts_with_either_decimal_separator(text: str, expected: Decimal) -> None:
    amount = parse_amount(text)
    assert amount == expected and isinstance(amount, Decimal)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text", ["", "abc", "-5", "+5", "23.105", "1e3", "1 234,50", "1,234.50", "23.", ".5", "€23", "NaN", "12345678901"]
)
def test_malformed_amounts_are_refused(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(("text", "code"), [("EUR", "EUR"), ("eur", "EUR"), ("PLN", "PLN"), (" usd ", "USD")])
def test_iso_currencies(text: str, code: str) -> None:
    assert normalize_currency(text) == code


@pytest.mark.parametrize("text", ["", "EURO", "€", "zł", "ZZZ", "XXX", "XTS", "E1R", "ÄÖÜ"])
def test_not_currencies(text: str) -> None:
    assert normalize_currency(text) is None


def test_the_committed_price_file_prices_every_seeded_plan() -> None:
    raw = (ROOT / "config" / "prices.json").read_text(encoding="utf-8")
    assert "example" in json.loads(raw)["_note"].lower()
    table = PriceTable.parse(raw)
    assert set(table.prices) == SEEDED_PLANS
    for price in table.prices.values():
        assert price.currency == "EUR" and isinstance(price.amount, Decimal) and price.amount > 0


def test_price_file_amounts_stay_exact() -> None:
    # 0.1 + 0.2 style errors would show in cents; the file's numbers are read as Decimal, not float.
    table = PriceTable.parse('{"prices": {"A": {"amount": 22.10, "currency": "eur"}, "B": {"amount": "5,6", '
                             '"currency": "PLN"}, "C": {"amount": 7, "currency": "USD"}, "_c": "comment"}}')
    assert table.prices == {
        "A": Price(Decimal("22.10"), "EUR"),
        "B": Price(Decimal("5.60"), "PLN"),
        "C": Price(Decimal("7.00"), "USD"),
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"E3": 5}', '"prices"'),
        ('{"prices": {"ENTERPRISEPACK": 22.5}}', "ENTERPRISEPACK"),
        ('{"prices": {"ENTERPRISEPACK": {"amount": -1, "currency": "EUR"}}}', "is not a price"),
        ('{"prices": {"ENTERPRISEPACK": {"amount": true, "currency": "EUR"}}}', "is not a price"),
        ('{"prices": {"ENTERPRISEPACK": {"amount": 22.555, "currency": "EUR"}}}', "is not a price"),
        ('{"prices": {"ENTERPRISEPACK": {"amount": 22.5, "currency": "EURO"}}}', "ISO 4217"),
        ('{"prices": {"ENTERPRISEPACK": {"amount": 22.5}}}', "ISO 4217"),
    ],
)
def test_a_broken_price_file_names_the_problem(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PriceTable.parse(raw, source="prices.json")


def test_database_prices_override_the_file() -> None:
    file = PriceTable({"ENTERPRISEPACK": Price(Decimal("22.60"), "EUR"), "SPB": Price(Decimal("20.60"), "EUR")})
    effective = file.overridden_by({"ENTERPRISEPACK": Price(Decimal("23.10"), "EUR")})
    assert effective.get("ENTERPRISEPACK") == Price(Decimal("23.10"), "EUR")
    assert effective.get("SPB") == Price(Decimal("20.60"), "EUR")
    assert effective.get("ENTERPRISEPREMIUM") is None
    assert file.get("ENTERPRISEPACK") == Price(Decimal("22.60"), "EUR")  # the file's table is untouched


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("en-US", "1234.5", "EUR", "€1,234.50"),
        ("pl-PL", "1234.5", "EUR", "1 234,50 €"),
        ("de-DE", "1234.5", "EUR", "1.234,50 €"),
        ("pl-PL", "86.5", "PLN", "86,50 zł"),
        ("en-US", "0", "EUR", "€0.00"),
        ("fr-FR", "23.1", "EUR", "€23.10"),  # a language the desk does not speak reads English
    ],
)
def test_money_in_the_readers_locale(locale: str, amount: str, currency: str, expected: str) -> None:
    assert _plain(Translator(locale).money(Decimal(amount), currency)) == expected


def test_cost_is_purchased_seats_times_price_and_totals_skip_unpriced_plans() -> None:
    view = CatalogueView(
        plans=(
            PlanLine("A", "Plan A", purchased=30, assigned=27, price=Decimal("5.60"), currency="EUR"),
            PlanLine("B", "Plan B", purchased=3, assigned=4, price=Decimal("0.10"), currency="EUR"),
            PlanLine("C", "Plan C", purchased=5, assigned=5, price=Decimal("86.50"), currency="PLN"),
            PlanLine("D", "Plan D", purchased=9, assigned=1),
        )
    )
    a, b, c, d = view.plans
    assert (a.free, b.free, d.free) == (3, 0, 8)  # over-assignment shows as no free seats
    assert a.monthly_cost == Decimal("168.00") and b.monthly_cost == Decimal("0.30")
    assert d.monthly_cost is None
    assert view.totals() == (("EUR", Decimal("168.30")), ("PLN", Decimal("432.50")))
    assert view.has_unpriced


def _texts(element: dict) -> list[str]:
    """Every TextBlock's text under ``element`` (a card or one of its rows), in reading order."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(_plain(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(element)
    return found


def _element(card: dict, element_id: str) -> dict:
    matches = [element for element in card["body"] if element.get("id") == element_id]
    assert len(matches) == 1, element_id
    return matches[0]


def test_card_rows_show_seats_price_cost_and_the_total() -> None:
    view = CatalogueView(
        plans=(
            PlanLine("ENTERPRISEPACK", "Office 365 E3", 20, 15, Decimal("22.60"), "EUR"),
            PlanLine("ENTERPRISEPREMIUM", "Office 365 E5", 4, 2),
        )
    )
    card = catalogue_card(view, Translator("en-US"))
    assert _texts(_element(card, "plan-ENTERPRISEPACK")) == [
        "**Office 365 E3**",
        "Purchased 20 · Assigned 15 · Free 5",
        "€452.00 per month",
        "€22.60 per seat per month",
    ]
    assert _texts(_element(card, "plan-ENTERPRISEPREMIUM"))[2:] == ["—", "no price set"]
    assert _texts(_element(card, "total")) == ["Total per month", "€452.00"]
    assert "Plans without a price (—) are not included in the total." in _texts(card)
    assert not any("price E3 23.10 EUR" in line for line in _texts(card))  # the hint is for admins only


def test_card_labels_are_localized_and_product_names_are_not() -> None:
    view = CatalogueView(
        plans=(PlanLine("SPB", "Microsoft 365 Business Premium", 1234, 1000, Decimal("5.60"), "EUR"),),
        can_set_prices=True,
    )
    polish = catalogue_card(view, Translator("pl-PL"))
    assert _texts(_element(polish, "plan-SPB")) == [
        "**Microsoft 365 Business Premium**",
        "Zakupione 1 234 · Przypisane 1 000 · Wolne 234",
        "6 910,40 € miesięcznie",
        "5,60 € za licencję miesięcznie",
    ]
    assert any("**cena E3 23,10 EUR**" in line for line in _texts(polish))
    german = catalogue_card(view, Translator("de-DE"))
    assert _texts(_element(german, "total")) == ["Summe pro Monat", "6.910,40 €"]
    assert _texts(german)[0] == "Lizenzpläne"


def test_a_tenant_without_plans_gets_a_sentence_not_an_empty_table() -> None:
    card = catalogue_card(CatalogueView(), Translator("de-DE"))
    assert _texts(card) == ["Lizenzpläne", "Dieser Mandant hat noch keine Lizenzpläne."]

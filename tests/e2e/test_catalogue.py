"""The plan catalogue (F8) end to end: "licenses" shows the tenant's plans with seats and costs; admins set prices."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency, format_decimal
from conftest import desk_settings, start_desk
from desk_harness import Desk
from sqlalchemy import select

from cards.i18n import Translator
from devtenant import DevTenant
from storage.models import AuditEvent, PlanPrice

SKU_NAMES = json.loads((Path(__file__).parents[2] / "handlers" / "data" / "sku_names.json").read_text())["names"]
# The price file these tests start from; Office 365 E5 deliberately has no price.
FILE_PRICES = {
    "O365_BUSINESS_ESSENTIALS": Decimal("5.60"),
    "O365_BUSINESS_PREMIUM": Decimal("11.70"),
    "SPB": Decimal("20.60"),
    "ENTERPRISEPACK": Decimal("22.60"),
}
BABEL = {"en-US": "en_GB", "pl-PL": "pl_PL", "de-DE": "de_DE"}


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    """conftest's desk, but with a price file of known prices (the committed example is for admins to edit)."""
    prices = {part: {"amount": str(amount), "currency": "EUR"} for part, amount in FILE_PRICES.items()}
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"_note": "test prices", "prices": prices}), encoding="utf-8")
    running = await start_desk(tenant, desk_settings(tenant, database_url, prices_file=path))
    try:
        yield running
    finally:
        await running.client.close()


# ---------------------------------------------------------------- helpers


def _plain(value: str) -> str:
    """Babel puts (narrow) no-break spaces in amounts; compare with plain spaces."""
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def _money(amount: Decimal, locale: str, currency: str = "EUR") -> str:
    return _plain(format_currency(amount, currency, locale=BABEL[locale]))


def _count(value: int, locale: str) -> str:
    return _plain(format_decimal(value, locale=BABEL[locale]))


def _texts(element: Any) -> list[str]:
    found: list[str] = []
    if isinstance(element, dict):
        if element.get("type") == "TextBlock":
            found.append(_plain(element["text"]))
        for value in element.values():
            found.extend(_texts(value))
    elif isinstance(element, list):
        for value in element:
            found.extend(_texts(value))
    return found


def _row(card: dict[str, Any], element_id: str) -> list[str]:
    rows = [element for element in card["body"] if element.get("id") == element_id]
    assert len(rows) == 1, f"{element_id} not exactly once in {[e.get('id') for e in card['body']]}"
    return _texts(rows[0])


def _seats(desk: Desk) -> dict[str, tuple[int, int]]:
    """(purchased, assigned) per part number, as the emulated Graph reports subscribedSkus right now."""
    return {
        sku["skuPartNumber"]: (sku["prepaidUnits"]["enabled"], sku["consumedUnits"])
        for sku in desk.tenant.state.subscribed_skus()
    }


async def _stored_prices(desk: Desk) -> dict[str, tuple[Decimal, str]]:
    async with desk.uow() as uow:
        rows = (await uow.session.execute(select(PlanPrice))).scalars().all()
    return {row.sku_part_number: (row.amount, row.currency) for row in rows}


async def _price_events(desk: Desk) -> list[AuditEvent]:
    async with desk.uow() as uow:
        stmt = select(AuditEvent).where(AuditEvent.action == "price.set").order_by(AuditEvent.id)
        return list((await uow.session.execute(stmt)).scalars())


def _assert_catalogue(card: dict[str, Any], desk: Desk, prices: dict[str, Decimal], locale: str) -> None:
    """Every subscribed plan once, with the tenant's live seat numbers, its price and purchased × price."""
    t = Translator(locale)
    seats = _seats(desk)
    assert {e.get("id") for e in card["body"] if e.get("id")} == {f"plan-{p}" for p in seats} | {"total"}
    total = Decimal("0")
    for part, (purchased, assigned) in seats.items():
        row = _row(card, f"plan-{part}")
        assert row[0] == f"**{SKU_NAMES[part]}**"
        free = max(purchased - assigned, 0)
        expected = t("catalogue.seats", purchased=_count(purchased, locale), assigned=_count(assigned, locale),
                     free=_count(free, locale))
        assert row[1] == _plain(expected)
        if part in prices:
            cost = prices[part] * purchased
            total += cost
            assert row[2] == _plain(t("catalogue.monthly_cost", cost=_money(cost, locale)))
            assert row[3] == _plain(t("catalogue.price_per_seat", price=_money(prices[part], locale)))
        else:
            assert row[2:] == ["—", t("catalogue.no_price")]
    assert _row(card, "total") == [t("catalogue.total"), _money(total, locale)]
    assert (_plain(t("catalogue.unpriced_note")) in _texts(card)) == (set(seats) - set(prices) != set())


# ---------------------------------------------------------------- the catalogue


async def test_licenses_shows_every_plan_with_live_seats_prices_and_total(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    # Live numbers, not the seed's: buy more E3 seats than ever seeded (and enough to need a thousands separator).
    desk.tenant.state.set_prepaid_units("ENTERPRISEPACK", 1234)
    seats = _seats(desk)
    assert len(seats) == 5 and seats["ENTERPRISEPREMIUM"][0] > 0

    await desk.say(employee, "licenses")

    _, card = desk.last_card(employee)
    assert card["version"] == "1.5" and _texts(card)[0] == "License plans"
    _assert_catalogue(card, desk, FILE_PRICES, "en-US")
    e3 = _row(card, "plan-ENTERPRISEPACK")
    assert e3[1].startswith("Purchased 1,234 · ")
    assert e3[2:] == [f"€{Decimal('22.60') * 1234:,} per month", "€22.60 per seat per month"]
    assert _row(card, "plan-ENTERPRISEPREMIUM")[2] == "—"  # no price in the file: shown, left out of the total
    assert not any("price E3" in line for line in _texts(card))  # the how-to-set-a-price hint is for admins


@pytest.mark.parametrize(("locale", "words", "title"), [("pl-PL", "licencje", "Plany licencyjne"),
                                                         ("de-DE", "Lizenzen", "Lizenzpläne"),
                                                         ("en-US", "plans", "License plans")])
async def test_catalogue_in_the_readers_language(desk: Desk, locale: str, words: str, title: str) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, words, locale=locale)
    _, card = desk.last_card(employee)
    assert _texts(card)[0] == title
    _assert_catalogue(card, desk, FILE_PRICES, locale)


# ---------------------------------------------------------------- the price command


async def test_admin_sets_a_price_the_card_shows_it_and_it_is_audited(desk: Desk) -> None:
    seed = desk.tenant.seed
    admin, employee = seed.demo_admin, seed.demo_employee

    await desk.say(admin, "price E5 37.40 EUR")

    assert desk.texts(admin)[-1] == "Office 365 E5 now costs €37.40 per seat per month."
    _, card = desk.last_card(admin)
    prices = FILE_PRICES | {"ENTERPRISEPREMIUM": Decimal("37.40")}
    _assert_catalogue(card, desk, prices, "en-US")
    assert any("**price E3 23.10 EUR**" in line for line in _texts(card))  # admins see how to set prices
    assert await _stored_prices(desk) == {"ENTERPRISEPREMIUM": (Decimal("37.40"), "EUR")}

    # A chat price overrides the file's, in Polish with a decimal comma, and anyone reading the catalogue sees it.
    await desk.say(admin, "cena E3 23,10 EUR", locale="pl-PL")
    assert _plain(desk.texts(admin)[-1]) == (
        "Cena Office 365 E3 wynosi teraz 23,10 € za licencję miesięcznie (wcześniej: 22,60 €)."
    )
    prices["ENTERPRISEPACK"] = Decimal("23.10")
    await desk.say(employee, "Lizenzen", locale="de-DE")
    _, card = desk.last_card(employee)
    _assert_catalogue(card, desk, prices, "de-DE")

    events = await _price_events(desk)
    assert [(e.actor_id, e.detail["sku_part_number"], e.detail["amount"], e.detail["currency"]) for e in events] == [
        (admin.id, "ENTERPRISEPREMIUM", "37.40", "EUR"),
        (admin.id, "ENTERPRISEPACK", "23.10", "EUR"),
    ]
    assert events[0].detail["previous"] is None
    assert events[1].detail["previous"] == {"amount": "22.60", "currency": "EUR"}
    async with desk.uow() as uow:
        check = await uow.audit.verify()  # with the desk's audit keys
    assert check.ok and check.checked == 3  # the two prices and the routing policy audited at start


async def test_setting_a_price_again_replaces_it(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    await desk.say(admin, "Preis Business Basic 6 EUR", locale="de-DE")
    await desk.say(admin, "price business basic 86.5 pln")
    assert _plain(desk.texts(admin)[-1]) == (
        "Microsoft 365 Business Basic now costs PLN86.50 per seat per month (before: €6.00)."
    )
    assert await _stored_prices(desk) == {"O365_BUSINESS_ESSENTIALS": (Decimal("86.50"), "PLN")}
    _, card = desk.last_card(admin)
    purchased = _seats(desk)["O365_BUSINESS_ESSENTIALS"][0]
    # Two currencies: one total line each, never added together.
    eur = sum(FILE_PRICES[p] * _seats(desk)[p][0] for p in ("O365_BUSINESS_PREMIUM", "SPB", "ENTERPRISEPACK"))
    assert _row(card, "total") == ["Total per month", _money(eur, "en-US"),
                                   _money(Decimal("86.50") * purchased, "en-US", "PLN")]


async def test_a_non_admin_is_refused_and_nothing_changes(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    assert not await desk.services.tenant.directory.is_member_of(employee.id, desk.tenant.seed.admins_group.id)

    for text, locale in (("price E3 1 EUR", "en-US"), ("cena E3 1,00 PLN", "pl-PL"), ("Preis E3 x Y", "de-DE")):
        await desk.say(employee, text, locale=locale)
        assert desk.texts(employee)[-1] == Translator(locale)("price.not_admin")

    assert await _stored_prices(desk) == {}
    assert await _price_events(desk) == []
    await desk.say(employee, "licenses")
    _, card = desk.last_card(employee)
    _assert_catalogue(card, desk, FILE_PRICES, "en-US")


@pytest.mark.parametrize(
    ("text", "locale", "key", "params"),
    [
        ("price E3 abc EUR", "en-US", "price.bad_amount", {"amount": "abc"}),
        ("price E3 23.105 EUR", "en-US", "price.bad_amount", {"amount": "23.105"}),
        ("price E3 -5 EUR", "en-US", "price.bad_amount", {"amount": "-5"}),
        ("cena E3 23,10 EURO", "pl-PL", "price.bad_currency", {"currency": "EURO"}),
        ("Preis E3 23,10 €", "de-DE", "price.bad_currency", {"currency": "€"}),
        ("price E3 23.10", "en-US", "price.usage", {}),
        ("price", "en-US", "price.usage", {}),
    ],
)
async def test_malformed_price_gets_a_clear_message_and_changes_nothing(
    desk: Desk, text: str, locale: str, key: str, params: dict[str, str]
) -> None:
    admin = desk.tenant.seed.demo_admin
    await desk.say(admin, text, locale=locale)
    assert desk.texts(admin)[-1] == Translator(locale)(key, **params)
    assert await _stored_prices(desk) == {}
    assert await _price_events(desk) == []


async def test_unknown_plan_lists_the_tenants_plans_and_changes_nothing(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    await desk.say(admin, "price Visio Plan 2 10 EUR")
    answer = desk.texts(admin)[-1]
    assert answer.startswith('I don\'t know the plan "Visio Plan 2", so nothing was changed.')
    assert all(SKU_NAMES[part] in answer for part in _seats(desk))
    assert await _stored_prices(desk) == {}
    assert await _price_events(desk) == []


async def test_help_mentions_the_catalogue(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "help")
    _, card = desk.last_card(employee)
    assert any(line.startswith("• **licenses**") for line in _texts(card))

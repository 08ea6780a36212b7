"""The license report (F11) end to end: numbers from devtenant's live state, waste and savings, CSV link, refusals."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk
from sqlalchemy import update

from cards.i18n import Translator
from devtenant import DevTenant
from devtenant.graph.licensing import assign_license
from storage.models import ReportFile

E3, E5, BASIC, STANDARD = "ENTERPRISEPACK", "ENTERPRISEPREMIUM", "O365_BUSINESS_ESSENTIALS", "O365_BUSINESS_PREMIUM"
PRICES = {BASIC: Decimal("5.60"), STANDARD: Decimal("11.70"), "SPB": Decimal("20.60"), E3: Decimal("22.60")}
OVERLAPS = {E5: {E3, "STANDARDPACK"}, "SPB": {STANDARD, BASIC}, STANDARD: {BASIC}, "SPE_E5": {"SPE_E3"}}


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    """A desk with known prices (E5 has none) and one compliance rule: E3 only for members of LIC_Office365_E3."""
    path = tmp_path / "prices.json"
    prices = {part: {"amount": str(amount), "currency": "EUR"} for part, amount in PRICES.items()}
    path.write_text(json.dumps({"prices": prices}), encoding="utf-8")
    rule = {"plans": [E3], "only_members_of": tenant.seed.license_groups[0].id}
    settings = desk_settings(tenant, database_url, prices_file=path, compliance_rules=[rule])
    running = await start_desk(tenant, settings)
    try:
        yield running
    finally:
        await running.client.close()


def _overlap_people(tenant: DevTenant) -> None:
    """Two recent, enabled people get a second plan that their first includes (the seed has no overlaps)."""
    state = tenant.state
    recent = [u for u in state.users.values() if u["accountEnabled"] and u["signInActivity"]
              and _since(u) < timedelta(days=30)]
    e3_holder = next(u for u in recent if [a["skuId"] for a in u["assignedLicenses"]] == [state.sku(E3)["skuId"]]
                     and not any(s["assignedByGroup"] for s in u["licenseAssignmentStates"]))
    std_id = state.sku(STANDARD)["skuId"]
    std_holder = next(u for u in recent if [a["skuId"] for a in u["assignedLicenses"]] == [std_id])
    for part, user in ((E5, e3_holder), (BASIC, std_holder)):
        state.set_prepaid_units(part, state.sku(part)["prepaidUnits"]["enabled"] + 1)
        assign_license(state, user, [(state.sku(part)["skuId"], [])], [])


def _since(user: dict[str, Any]) -> timedelta:
    stamp = user["signInActivity"]["lastSuccessfulSignInDateTime"]
    return datetime.now(UTC) - datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _expected(tenant: DevTenant, days: int) -> dict[str, list[tuple[str, str]]]:
    """(user id, part number) per finding kind, straight from the emulator's state (independent of the desk)."""
    state = tenant.state
    part = {sku_id: sku["skuPartNumber"] for sku_id, sku in state.skus.items()}
    found: dict[str, list[tuple[str, str]]] = {"disabled": [], "stale": [], "overlap": [], "compliance": []}
    group = set(state.group_members[tenant.seed.license_groups[0].id])
    for user in state.users.values():
        held = [part[a["skuId"]] for a in user["assignedLicenses"]]
        if E3 in held and user["id"] not in group:
            found["compliance"].append((user["id"], E3))
        if not held:
            continue
        if not user["accountEnabled"]:
            found["disabled"] += [(user["id"], p) for p in held]
        elif user["signInActivity"] is None or _since(user) > timedelta(days=days):
            found["stale"] += [(user["id"], p) for p in held]
        else:
            found["overlap"] += [(user["id"], p) for p in held if any(p in OVERLAPS.get(big, ()) for big in held)]
    return found


def _section(card: dict[str, Any], element_id: str) -> list[str]:
    (section,) = [e for e in card["body"] if e.get("id") == element_id]
    return [item["text"] for item in section["items"]]


def _saving(pairs: list[tuple[str, str]]) -> Decimal:
    return sum((PRICES.get(p, Decimal(0)) for _, p in pairs), Decimal(0))


async def test_report_shows_waste_with_people_counts_and_savings(desk: Desk) -> None:
    tenant, admin = desk.tenant, desk.tenant.seed.demo_admin
    _overlap_people(tenant)
    expected = _expected(tenant, 90)
    assert expected["disabled"] and expected["stale"] and len(expected["overlap"]) == 2 and expected["compliance"]

    await desk.say(admin, "report licenses")

    _, card = desk.last_card(admin)
    t = Translator("en-US")
    assert card["body"][0]["text"] == "License report"
    for kind, element_id in (("disabled", "waste-disabled"), ("stale", "waste-stale"), ("overlap", "waste-overlap")):
        pairs = expected[kind]
        lines = _section(card, element_id)
        people = len({user for user, _ in pairs})
        assert lines[1] == t("report.summary", licenses=t.number(len(pairs)), people=t.number(people)), kind
        assert t("report.saves", money=t.money(_saving(pairs), "EUR")) in lines, kind
    assert _section(card, "waste-stale")[0] == "**No successful sign-in for 90 days or more**"
    overlap_lines = _section(card, "waste-overlap")
    assert any(", included in Office 365 E5" in line and "Office 365 E3" in line for line in overlap_lines)
    assert any(", included in Microsoft 365 Business Standard" in line for line in overlap_lines)
    everything = {pair for kind in ("disabled", "stale", "overlap") for pair in expected[kind]}
    assert _section(card, "waste-total") == [
        t("report.total_savings", money=t.money(_saving(sorted(everything)), "EUR"))]
    compliance = _section(card, "compliance-1")
    assert compliance[0] == "**Rule: Office 365 E3 only for members of LIC_Office365_E3**"
    breakers = expected["compliance"]
    assert compliance[1] == t("report.summary", licenses=t.number(len(breakers)), people=t.number(len(breakers)))
    # The plans' seats and costs are the catalogue's numbers, with the total.
    plans = _section(card, "plans")
    skus = {s["skuPartNumber"]: s for s in tenant.state.subscribed_skus()}
    total = sum((PRICES[p] * s["prepaidUnits"]["enabled"] for p, s in skus.items() if p in PRICES), Decimal(0))
    assert t("report.total", money=t.money(total, "EUR")) in plans
    assert _section(card, "over-assigned")[1] == t("report.none")


async def test_stale_days_are_the_admins_choice(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    expected = _expected(desk.tenant, 45)
    await desk.say(admin, "report licenses 45", locale="pl-PL")
    _, card = desk.last_card(admin)
    t = Translator("pl-PL")
    assert card["body"][0]["text"] == "Raport licencji"
    lines = _section(card, "waste-stale")
    people = len({user for user, _ in expected["stale"]})
    assert lines[:2] == [f"**{t('report.section.stale', days='45')}**",
                         t("report.summary", licenses=t.number(len(expected["stale"])), people=t.number(people))]
    assert len(expected["stale"]) > len(_expected(desk.tenant, 90)["stale"])


async def test_over_assignment_is_reported(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    skus = {s["skuPartNumber"]: s for s in desk.tenant.state.subscribed_skus()}
    desk.tenant.state.set_prepaid_units(BASIC, skus[BASIC]["consumedUnits"] - 3)
    await desk.say(admin, "Lizenzbericht", locale="de-DE")
    _, card = desk.last_card(admin)
    t = Translator("de-DE")
    assigned = skus[BASIC]["consumedUnits"]
    assert _section(card, "over-assigned")[1] == t("report.over_line", plan="Microsoft 365 Business Basic",
                                                   purchased=t.number(assigned - 3), assigned=t.number(assigned),
                                                   excess="3")


async def test_non_admins_and_bad_input_get_a_clear_answer(desk: Desk) -> None:
    employee, admin = desk.tenant.seed.demo_employee, desk.tenant.seed.demo_admin
    await desk.say(employee, "report licenses csv")
    assert desk.texts(employee)[-1] == Translator("en-US")("report.not_admin")
    assert desk.cards(employee) == []
    await desk.say(admin, "raport licencji wczoraj", locale="pl-PL")
    assert desk.texts(admin)[-1] == Translator("pl-PL")("report.bad_days", days="wczoraj")
    async with desk.uow() as uow:
        assert (await uow.session.execute(ReportFile.__table__.select())).first() is None


async def test_csv_link_serves_every_finding_until_it_expires(desk: Desk) -> None:
    tenant, admin = desk.tenant, desk.tenant.seed.demo_admin
    _overlap_people(tenant)
    expected = _expected(tenant, 90)

    await desk.say(admin, "report licenses csv")

    _, card = desk.last_card(admin)
    (action,) = card["actions"]
    assert action["type"] == "Action.OpenUrl" and action["title"] == "Download CSV"
    assert action["url"] in desk.texts(admin)[-1]
    path = urlsplit(action["url"]).path
    response = await desk.client.get(path)
    assert response.status == 200 and response.content_type == "text/csv"
    assert 'filename="license-report.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    upn = {u["id"]: u["userPrincipalName"] for u in tenant.state.users.values()}
    by_kind = {"disabled_account": "disabled", "stale_sign_in": "stale", "overlap": "overlap",
               "compliance": "compliance"}
    for kind, key in by_kind.items():
        got = sorted((r["upn"], r["plan"]) for r in rows if r["kind"] == kind)
        names = {E3: "Office 365 E3", E5: "Office 365 E5", BASIC: "Microsoft 365 Business Basic",
                 STANDARD: "Microsoft 365 Business Standard", "SPB": "Microsoft 365 Business Premium"}
        assert got == sorted((upn[u], names[p]) for u, p in expected[key]), kind
    disabled_rows = [r for r in rows if r["kind"] == "disabled_account"]
    assert sum(Decimal(r["monthly_saving"]) for r in disabled_rows if r["monthly_saving"]) == _saving(
        expected["disabled"])
    assert (await desk.client.get("/reports/not-a-token.csv")).status == 404
    async with desk.uow() as uow:  # fifteen minutes later
        await uow.session.execute(update(ReportFile).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        await uow.commit()
    assert (await desk.client.get(path)).status == 404

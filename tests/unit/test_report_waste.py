"""The license report's numbers (F11) on known inputs: waste, stale sign-ins, overlaps, savings, CSV, alerts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cards.i18n import Translator
from cards.reports import COMPLIANCE, DISABLED, OVERLAP, STALE, TOP, Finding, license_report_card
from handlers.alerts import find_alerts, render
from handlers.plans import Price, PriceTable
from handlers.report_policy import DEFAULT_OVERLAPS, ComplianceRule, ReportPolicy
from kinds.licenses.report_commands import ShowLicenseReport, parse_report
from kinds.licenses.reports import RuleInput, build_report, parse_days, report_csv
from kinds.registry import Registry
from m365.ports import LicenseHolder, Sku, Subscription, UserLicense
from tests.unit.conftest import command_of

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
E3, E5, BASIC, STANDARD, PREMIUM = "ENTERPRISEPACK", "ENTERPRISEPREMIUM", "O365_BUSINESS_ESSENTIALS", \
    "O365_BUSINESS_PREMIUM", "SPB"
NAMES = {E3: "Office 365 E3", E5: "Office 365 E5", BASIC: "Business Basic", STANDARD: "Business Standard",
         PREMIUM: "Business Premium"}
PRICES = PriceTable({E3: Price(Decimal("22.60"), "EUR"), BASIC: Price(Decimal("5.60"), "EUR"),
                     STANDARD: Price(Decimal("11.70"), "EUR")})  # E5 and Premium have no price
SKUS = [
    Sku("e3", E3, enabled_units=10, consumed_units=12),  # over-assigned by 2
    Sku("e5", E5, enabled_units=3, consumed_units=3),
    Sku("basic", BASIC, enabled_units=20, consumed_units=5),
    Sku("std", STANDARD, enabled_units=4, consumed_units=2),
]


def _holder(n: int, *parts: str, enabled: bool = True, days_ago: float | None = 1, group: str | None = None
            ) -> LicenseHolder:
    return LicenseHolder(
        id=f"u{n}", display_name=f"Person {n:02d}", user_principal_name=f"p{n}@contoso.com", account_enabled=enabled,
        licenses=tuple(UserLicense(f"id-{p}", p, assigned_by_group=group) for p in parts),
        last_successful_sign_in=None if days_ago is None else NOW - timedelta(days=days_ago))


def _report(holders: list[LicenseHolder], *, days: int = 90, rules: tuple[RuleInput, ...] = ()):
    return build_report(skus=SKUS, holders=holders, prices=PRICES, name_of=lambda p: NAMES.get(p, p),
                        overlaps=DEFAULT_OVERLAPS, rules=rules, now=NOW, stale_days=days)


def test_disabled_accounts_waste_every_license_they_hold_and_save_the_priced_ones() -> None:
    view = _report([_holder(1, E3, BASIC, enabled=False, days_ago=400), _holder(2, E5, enabled=False),
                    _holder(3, E3)])
    assert [(f.user_id, f.sku_part_number, f.saving) for f in view.disabled] == [
        ("u1", E3, Decimal("22.60")), ("u1", BASIC, Decimal("5.60")), ("u2", E5, None)]
    assert view.stale == ()  # a disabled account is not counted again as stale


def test_stale_means_no_successful_sign_in_for_n_days_or_none_recorded() -> None:
    holders = [_holder(1, E3, days_ago=89.9), _holder(2, E3, days_ago=90.1), _holder(3, BASIC, days_ago=None)]
    view = _report(holders)
    assert [(f.user_id, f.last_sign_in) for f in view.stale] == [("u2", NOW - timedelta(days=90.1)), ("u3", None)]
    assert [f.user_id for f in _report(holders, days=60).stale] == ["u1", "u2", "u3"]


@pytest.mark.parametrize(("held", "redundant"), [
    ((E5, E3), [(E3, "Office 365 E5")]),
    ((PREMIUM, STANDARD, BASIC), [(STANDARD, "Business Premium"), (BASIC, "Business Premium")]),
    ((STANDARD, BASIC), [(BASIC, "Business Standard")]),
    ((E3, BASIC), []),  # not in the overlap table
])
def test_overlaps_name_the_redundant_plan_and_what_covers_it(held: tuple[str, ...], redundant: list) -> None:
    view = _report([_holder(1, *held)])
    assert [(f.sku_part_number, f.covered_by) for f in view.overlaps] == redundant


def test_savings_per_kind_and_in_total_count_each_license_once() -> None:
    holders = [_holder(1, E3, enabled=False), _holder(2, E3, days_ago=200), _holder(3, E5, E3),
               _holder(4, STANDARD, BASIC), _holder(5, E5, E3, days_ago=None)]
    view = _report(holders)
    assert len(view.disabled) == 1 and len(view.stale) == 3 and len(view.overlaps) == 2
    # 22.60 (u1) + 22.60 (u2) + [E5 unpriced] + 22.60 (u5) + 22.60 (u3's E3) + 5.60 (u4's Basic)
    assert view.total_savings() == (("EUR", Decimal("96.00")),)


def test_a_seat_held_directly_and_through_a_group_is_one_seat() -> None:
    twice = LicenseHolder("u1", "Person", "p@contoso.com", False,
                          (UserLicense("id", E3), UserLicense("id", E3, assigned_by_group="g")))
    view = _report([twice])
    assert len(view.disabled) == 1 and view.disabled[0].via_group is False


def test_over_assignment_and_plan_costs() -> None:
    view = _report([])
    assert [(o.plan, o.excess) for o in view.over_assigned] == [("Office 365 E3", 2)]
    assert view.totals() == (("EUR", Decimal("22.60") * 10 + Decimal("5.60") * 20 + Decimal("11.70") * 4),)


def test_compliance_lists_holders_outside_the_group() -> None:
    rule = RuleInput(ComplianceRule((E5,), "g1"), "Executives", frozenset({"u1"}))
    view = _report([_holder(1, E5), _holder(2, E5, E3), _holder(3, E3)], rules=(rule,))
    (section,) = view.compliance
    assert section.group == "Executives" and section.plans == ("Office 365 E5",)
    assert [(f.kind, f.user_id) for f in section.findings] == [(COMPLIANCE, "u2")]


def test_csv_has_one_row_per_finding_and_defuses_formulas() -> None:
    evil = LicenseHolder("u9", "=HYPERLINK(\"x\")", "e@contoso.com", False, (UserLicense("id", E3),))
    view = _report([evil, _holder(2, E5, days_ago=None)])
    rows = list(csv.reader(io.StringIO(report_csv(view))))
    assert rows[0] == ["kind", "person", "upn", "plan", "monthly_saving", "currency"]
    assert rows[1] == [DISABLED, "'=HYPERLINK(\"x\")", "e@contoso.com", "Office 365 E3", "22.60", "EUR"]
    assert rows[2] == [STALE, "Person 02", "p2@contoso.com", "Office 365 E5", "", ""]
    assert rows[3] == ["over_assignment", "", "", "Office 365 E3", "", ""]
    assert len(rows) == 4


def test_long_lists_are_cut_to_the_top_ten_with_the_rest_counted() -> None:
    view = _report([_holder(n, E3, enabled=False) for n in range(1, 26)])
    card = license_report_card(view, Translator("en-US"))
    section = next(e for e in card["body"] if e.get("id") == "waste-disabled")
    lines = [i["text"] for i in section["items"]]
    assert sum("@contoso.com" in line for line in lines) == TOP
    assert "… and 15 more (all of them are in the CSV file)" in lines
    assert "Removing them would save €565.00 per month." in lines  # 25 × 22.60


def test_unpriced_findings_are_said_to_be_left_out() -> None:
    card = license_report_card(_report([_holder(1, E5, enabled=False)]), Translator("en-US"))
    texts = [i["text"] for e in card["body"] if e.get("id") == "waste-disabled" for i in e["items"]]
    assert "None of them is on a plan with a price, so no saving can be shown." in texts
    assert "1 of them is on a plan without a price and is not counted in the saving." in texts


@pytest.mark.parametrize(("text", "expected"), [
    ("report licenses", ShowLicenseReport()),
    ("report licenses 60", ShowLicenseReport(days="60")),
    ("Report Licences csv", ShowLicenseReport(csv=True)),
    ("report licenses 30 csv", ShowLicenseReport(days="30", csv=True)),
    ("raport licencji 45", ShowLicenseReport(days="45")),
    ("Lizenzbericht CSV", ShowLicenseReport(csv=True)),
    ("report licenses soon", ShowLicenseReport(days="soon")),
])
def test_report_command_in_three_languages(text: str, expected: ShowLicenseReport, registry: Registry) -> None:
    assert parse_report(text) == expected
    assert command_of(text, registry) == expected


@pytest.mark.parametrize(("text", "days"), [("", 90), ("60", 60), ("0", None), ("3651", None), ("six", None),
                                            ("-5", None), ("٣٠", None)])
def test_days(text: str, days: int | None) -> None:
    assert parse_days(text, default=90) == days


def test_alerts_for_low_seats_and_ending_subscriptions() -> None:
    subs = [Subscription("s1", "std", STANDARD, "Enabled", 4, NOW + timedelta(days=20)),
            Subscription("s2", "e3", E3, "Enabled", 10, NOW + timedelta(days=31)),
            Subscription("s3", "basic", BASIC, "Deleted", 20, NOW + timedelta(days=3))]
    alerts = find_alerts(SKUS, subs, name_of=lambda p: NAMES[p], free_seats_below=2, ending_within_days=30,
                         now=NOW, today=lambda moment: moment.date())
    assert [a.key for a in alerts] == ["low_seats:ENTERPRISEPACK", "low_seats:ENTERPRISEPREMIUM",
                                       "ending:O365_BUSINESS_PREMIUM"]
    assert alerts[0].params["free"] == 0 and alerts[2].params["days"] == 20
    assert render(alerts[1], Translator("en-US")).startswith("⚠ Office 365 E5: only 0 free seats left")
    assert "in 20 days" in render(alerts[2], Translator("en-US"))
    assert find_alerts(SKUS, [], name_of=str, free_seats_below=0, ending_within_days=30, now=NOW,
                       today=lambda m: date(2026, 1, 1)) == []


def test_policy_rejects_bad_rules() -> None:
    with pytest.raises(ValueError, match="compliance rule 1"):
        ReportPolicy.from_config(compliance_rules=[{"plans": [], "only_members_of": "g"}])
    with pytest.raises(ValueError, match="only_members_of"):
        ReportPolicy.from_config(compliance_rules=[{"plans": ["X"]}])
    policy = ReportPolicy.from_config(overlaps={"A": ["B"]}, public_url="https://desk.example/")
    assert policy.overlaps == {"A": ("B",)} and policy.public_url == "https://desk.example"


def test_finding_defaults() -> None:
    assert Finding(OVERLAP, "u", "P", "p@x", "Plan", "X").saving is None

"""The license report card (F11): seats and costs per plan, waste with its savings, over-assignment, compliance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cards.catalogue import CatalogueView, PlanLine
from cards.elements import Element, card, text, title
from cards.i18n import Translator

TOP = 10  # people listed per section; the rest are counted ("and N more") and are in the CSV
DISABLED = "disabled_account"
STALE = "stale_sign_in"
OVERLAP = "overlap"
COMPLIANCE = "compliance"
OVER_ASSIGNMENT = "over_assignment"


@dataclass(frozen=True, slots=True)
class Finding:
    """One license that is wasted or breaks a rule: who holds which plan, and what removing it saves per month."""

    kind: str
    user_id: str
    person: str
    upn: str
    plan: str  # display name
    sku_part_number: str
    saving: Decimal | None = None  # the plan's price per seat per month; None = the plan has no price
    currency: str | None = None
    last_sign_in: datetime | None = None  # stale sign-ins only
    covered_by: str | None = None  # overlaps only: the plan that includes this one
    via_group: bool = False  # the license comes from a group: remove the person from the group instead


@dataclass(frozen=True, slots=True)
class OverAssigned:
    plan: str
    purchased: int
    assigned: int

    @property
    def excess(self) -> int:
        return self.assigned - self.purchased


@dataclass(frozen=True, slots=True)
class ComplianceSection:
    plans: tuple[str, ...]  # display names
    group: str  # the group's display name (or id when it has none)
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class LicenseReportView:
    as_of: datetime
    stale_days: int
    plans: tuple[PlanLine, ...] = ()
    disabled: tuple[Finding, ...] = ()
    stale: tuple[Finding, ...] = ()
    overlaps: tuple[Finding, ...] = ()
    over_assigned: tuple[OverAssigned, ...] = ()
    compliance: tuple[ComplianceSection, ...] = ()
    csv_url: str | None = None
    csv_example: str = "report licenses csv"

    def totals(self) -> tuple[tuple[str, Decimal], ...]:
        return CatalogueView(plans=self.plans).totals()

    def total_savings(self) -> tuple[tuple[str, Decimal], ...]:
        """All waste together, each (person, plan) once: a disabled account's E3 is not also a stale one's."""
        seen: dict[tuple[str, str], Finding] = {}
        for finding in (*self.disabled, *self.stale, *self.overlaps):
            seen.setdefault((finding.user_id, finding.sku_part_number), finding)
        return savings(seen.values())


def savings(findings: Iterable[Finding]) -> tuple[tuple[str, Decimal], ...]:
    """Monthly saving per currency over the priced findings (one entry unless admins mixed currencies)."""
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for finding in findings:
        if finding.saving is not None and finding.currency:
            sums[finding.currency] += finding.saving
    return tuple(sorted(sums.items()))


def license_report_card(view: LicenseReportView, t: Translator) -> Element:
    body: list[Element] = [title(t("report.title")), text(t("report.as_of", time=t.datetime(view.as_of)), subtle=True)]
    body.append(_plans_section(view, t))
    body.append(_waste_section("waste-disabled", t("report.section.disabled"), view.disabled, t))
    body.append(_waste_section("waste-stale", t("report.section.stale", days=t.number(view.stale_days)), view.stale, t))
    body.append(_waste_section("waste-overlap", t("report.section.overlap"), view.overlaps, t))
    total = view.total_savings()
    body.append(
        {
            "type": "Container",
            "id": "waste-total",
            "separator": True,
            "items": [text(t("report.total_savings", money=_money(total, t)), weight="Bolder")],
        }
    )
    body.append(_over_assigned_section(view, t))
    for number, section in enumerate(view.compliance, 1):
        heading = t("report.section.compliance", plans=", ".join(section.plans), group=section.group)
        body.append(_waste_section(f"compliance-{number}", heading, section.findings, t, priced=False))
    actions: list[Element] = []
    if view.csv_url:
        actions.append({"type": "Action.OpenUrl", "title": t("report.csv_button"), "url": view.csv_url})
    else:
        body.append(text(t("report.csv_hint", example=view.csv_example), subtle=True))
    return card(body, actions)


def _plans_section(view: LicenseReportView, t: Translator) -> Element:
    items: list[Element] = [text(f"**{t('report.plans')}**")]
    for plan in view.plans:
        seats = t(
            "catalogue.seats",
            purchased=t.number(plan.purchased),
            assigned=t.number(plan.assigned),
            free=t.number(plan.free),
        )
        cost = plan.monthly_cost
        cost_text = "—" if cost is None or plan.currency is None else t.money(cost, plan.currency)
        items.append(text(f"{plan.name} · {seats} · {cost_text}"))
    totals = view.totals()
    items.append(text(t("report.total", money=_money(totals, t) if totals else "—"), weight="Bolder"))
    if any(plan.price is None for plan in view.plans):
        items.append(text(t("catalogue.unpriced_note"), subtle=True))
    return {"type": "Container", "id": "plans", "separator": True, "items": items}


def _waste_section(
    element_id: str, heading: str, findings: tuple[Finding, ...], t: Translator, *, priced: bool = True
) -> Element:
    items: list[Element] = [text(f"**{heading}**")]
    people = len({finding.user_id for finding in findings})
    items.append(text(t("report.summary", licenses=t.number(len(findings)), people=t.number(people)), subtle=True))
    if priced and findings:
        amounts = savings(findings)
        items.append(text(t("report.saves", money=_money(amounts, t)) if amounts else t("report.saves_none")))
        unpriced = sum(1 for finding in findings if finding.saving is None)
        if unpriced:
            items.append(text(t("report.unpriced", count=t.number(unpriced)), subtle=True))
    if not findings:
        items.append(text(t("report.none"), subtle=True))
    for finding in findings[:TOP]:
        items.append(text(_line(finding, t)))
    if len(findings) > TOP:
        items.append(text(t("report.more", count=t.number(len(findings) - TOP)), subtle=True))
    return {"type": "Container", "id": element_id, "separator": True, "items": items}


def _over_assigned_section(view: LicenseReportView, t: Translator) -> Element:
    items: list[Element] = [text(f"**{t('report.section.over_assigned')}**")]
    if not view.over_assigned:
        items.append(text(t("report.none"), subtle=True))
    for line in view.over_assigned:
        items.append(
            text(
                t(
                    "report.over_line",
                    plan=line.plan,
                    purchased=t.number(line.purchased),
                    assigned=t.number(line.assigned),
                    excess=t.number(line.excess),
                ),
                color="Attention",
            )
        )
    return {"type": "Container", "id": "over-assigned", "separator": True, "items": items}


def _line(finding: Finding, t: Translator) -> str:
    params = {"person": finding.person, "upn": finding.upn, "plan": finding.plan}
    line: str
    if finding.kind == STALE:
        line = (
            t("report.line_stale", **params, time=t.datetime(finding.last_sign_in))
            if finding.last_sign_in
            else t("report.line_never", **params)
        )
    elif finding.kind == OVERLAP:
        line = t("report.line_overlap", **params, covering=finding.covered_by or "")
    else:
        line = "{person} ({upn}) · {plan}".format(**params)  # names and a plan only: nothing to translate
    return line + (f" · {t('report.via_group')}" if finding.via_group else "")


def _money(amounts: tuple[tuple[str, Decimal], ...], t: Translator) -> str:
    return " + ".join(t.money(amount, currency) for currency, amount in amounts) if amounts else "—"

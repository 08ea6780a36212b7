"""The admins' license report (F11): seats and costs, waste with its savings, over-assignment, compliance, CSV."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from cards.catalogue import PlanLine
from cards.i18n import Markdown
from cards.reports import (
    COMPLIANCE,
    DISABLED,
    OVER_ASSIGNMENT,
    OVERLAP,
    STALE,
    ComplianceSection,
    Finding,
    LicenseReportView,
    OverAssigned,
    license_report_card,
)
from handlers.context import Actor, Reply, actor_translator
from handlers.plans import PriceTable
from handlers.report_policy import ComplianceRule
from handlers.services import Services, is_admin
from kinds.licenses.catalogue import effective_prices
from kinds.licenses.report_commands import ShowLicenseReport
from m365.errors import NotFound
from m365.ports import LicenseHolder, Sku

logger = logging.getLogger(__name__)

CSV_NAME = "license-report.csv"
CSV_TYPE = "text/csv"
MAX_DAYS = 3650
_CSV_EXAMPLES = {"en": "report licenses csv", "pl": "raport licencji csv", "de": "Lizenzbericht csv"}
# Spreadsheets run cells that start with these as formulas; a display name must never become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class RuleInput:
    """A compliance rule with what the directory says about its group, read before the pure computation."""

    rule: ComplianceRule
    group_name: str
    member_ids: frozenset[str]


async def show_report(services: Services, actor: Actor, command: ShowLicenseReport) -> Reply:
    """Checks the admins group on the server first, then the input; reads only, except the CSV's download link."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("report.not_admin"))
    policy = services.reports
    days = parse_days(command.days, default=policy.stale_days)
    if days is None:
        return Reply(text=t("report.bad_days", days=command.days[:40]))
    skus, holders, rules = await asyncio.gather(
        services.tenant.licenses.list_skus(),
        services.tenant.licenses.license_holders(),
        rule_inputs(services, policy.compliance_rules),
    )
    async with services.uow() as uow:
        prices = await effective_prices(services, uow)
    now = services.clock()
    view = build_report(
        skus=skus,
        holders=holders,
        prices=prices,
        name_of=plan_namer(services, skus),
        overlaps=policy.overlaps,
        rules=rules,
        now=now,
        stale_days=days,
    )
    view = replace(view, csv_example=_CSV_EXAMPLES[t.language])
    if not command.csv:
        return Reply(card=license_report_card(view, t))
    token = secrets.token_urlsafe(32)
    async with services.uow() as uow:
        await uow.report_files.add(
            token_hash=token_hash(token),
            name=CSV_NAME,
            content_type=CSV_TYPE,
            content=report_csv(view),
            created_by=actor.user_id,
            now=now,
            expires_at=now + timedelta(minutes=policy.link_minutes),
        )
        await uow.commit()
    url = f"{policy.public_url}/reports/{token}.csv"
    logger.info("license report CSV for %s, link valid %d min", actor.user_id, policy.link_minutes)
    return Reply(
        text=t("report.csv_ready", url=Markdown(url), minutes=t.number(policy.link_minutes)),
        card=license_report_card(replace(view, csv_url=url), t),
    )


async def download(services: Services, token: str) -> tuple[str, str, str] | None:
    """(name, content type, content) of a report whose link is still valid; None otherwise, whatever the reason."""
    if not token or len(token) > 100:
        return None
    async with services.uow() as uow:
        row = await uow.report_files.get_valid(token_hash(token), now=services.clock())
        return (row.name, row.content_type, row.content) if row is not None else None


def token_hash(token: str) -> str:
    """Only the hash is stored: the database alone does not give anyone a working link."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_days(text: str, *, default: int) -> int | None:
    """ "" → the default; "60" → 60; anything else, 0 or more than ten years → None."""
    text = text.strip()
    if not text:
        return default
    if not text.isascii() or not text.isdigit():
        return None
    days = int(text)
    return days if 1 <= days <= MAX_DAYS else None


def build_report(
    *,
    skus: Sequence[Sku],
    holders: Sequence[LicenseHolder],
    prices: PriceTable,
    name_of: Callable[[str], str],
    overlaps: Mapping[str, Sequence[str]],
    rules: Sequence[RuleInput],
    now: datetime,
    stale_days: int,
) -> LicenseReportView:
    """The whole report from what Graph said and the prices: pure, so every number is testable on known inputs."""
    plans = []
    for sku in sorted(skus, key=lambda s: name_of(s.sku_part_number)):
        price = prices.get(sku.sku_part_number)
        plans.append(
            PlanLine(
                sku_part_number=sku.sku_part_number,
                name=name_of(sku.sku_part_number),
                purchased=sku.enabled_units,
                assigned=sku.consumed_units,
                price=price.amount if price else None,
                currency=price.currency if price else None,
                status=sku.capability_status,
            )
        )
    over = tuple(
        OverAssigned(line.name, line.purchased, line.assigned) for line in plans if line.assigned > line.purchased
    )

    def finding(kind: str, holder: LicenseHolder, part: str, **extra: object) -> Finding:
        price = prices.get(part)
        return Finding(
            kind=kind,
            user_id=holder.id,
            person=holder.display_name,
            upn=holder.user_principal_name,
            plan=name_of(part),
            sku_part_number=part,
            saving=price.amount if price else None,
            currency=price.currency if price else None,
            via_group=_only_via_group(holder, part),
            **extra,  # type: ignore[arg-type]  # the kind-specific fields, typed where built
        )

    cutoff = now - timedelta(days=stale_days)
    disabled: list[Finding] = []
    stale: list[Finding] = []
    overlapping: list[Finding] = []
    for holder in sorted(holders, key=lambda h: (h.display_name.casefold(), h.user_principal_name)):
        parts = _held_parts(holder)
        if not holder.account_enabled:
            # Every seat of a disabled account is waste; it is not counted again as stale or overlapping.
            disabled.extend(finding(DISABLED, holder, part) for part in parts)
            continue
        last = holder.last_successful_sign_in
        if last is None or last < cutoff:
            stale.extend(finding(STALE, holder, part, last_sign_in=last) for part in parts)
            continue
        for part in parts:
            covering = next((big for big in parts if part in overlaps.get(big, ()) and big != part), None)
            if covering is not None:
                overlapping.append(finding(OVERLAP, holder, part, covered_by=name_of(covering)))
    sections = []
    for item in rules:
        wanted = set(item.rule.plans)
        breakers = [
            finding(COMPLIANCE, holder, part)
            for holder in sorted(holders, key=lambda h: (h.display_name.casefold(), h.user_principal_name))
            if holder.id not in item.member_ids
            for part in _held_parts(holder)
            if part in wanted
        ]
        sections.append(
            ComplianceSection(
                plans=tuple(name_of(part) for part in item.rule.plans), group=item.group_name, findings=tuple(breakers)
            )
        )
    return LicenseReportView(
        as_of=now,
        stale_days=stale_days,
        plans=tuple(plans),
        disabled=tuple(disabled),
        stale=tuple(stale),
        overlaps=tuple(overlapping),
        over_assigned=over,
        compliance=tuple(sections),
    )


def report_csv(view: LicenseReportView) -> str:
    """One row per finding: kind, person, UPN, plan, monthly saving (and its currency)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "person", "upn", "plan", "monthly_saving", "currency"])
    findings = [*view.disabled, *view.stale, *view.overlaps]
    for section in view.compliance:
        findings.extend(section.findings)
    for item in findings:
        saving = "" if item.kind == COMPLIANCE or item.saving is None else str(item.saving)
        currency = "" if not saving else item.currency or ""
        writer.writerow([item.kind, _cell(item.person), _cell(item.upn), _cell(item.plan), saving, currency])
    for line in view.over_assigned:
        writer.writerow([OVER_ASSIGNMENT, "", "", _cell(line.plan), "", ""])
    return out.getvalue()


def _held_parts(holder: LicenseHolder) -> list[str]:
    """The plans a person holds, each once: a seat held directly and through a group is one seat."""
    parts: list[str] = []
    for lic in holder.licenses:
        part = lic.sku_part_number or lic.sku_id
        if part not in parts:
            parts.append(part)
    return parts


def _only_via_group(holder: LicenseHolder, part: str) -> bool:
    paths = [lic for lic in holder.licenses if (lic.sku_part_number or lic.sku_id) == part]
    return bool(paths) and all(lic.assigned_by_group for lic in paths)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def plan_namer(services: Services, skus: Sequence[Sku]) -> Callable[[str], str]:
    by_part = {sku.sku_part_number: sku for sku in skus}

    def name_of(part: str) -> str:
        sku = by_part.get(part)
        return services.plans.name(sku) if sku is not None else services.plans.display_names.get(part, part)

    return name_of


async def rule_inputs(services: Services, rules: Sequence[ComplianceRule]) -> list[RuleInput]:
    directory = services.tenant.directory
    inputs = []
    for rule in rules:
        try:
            members, name = await asyncio.gather(
                directory.group_member_ids(rule.only_members_of), directory.get_group_name(rule.only_members_of)
            )
        except NotFound:
            # A deleted group has no members: everyone holding the plans breaks the rule until it is fixed.
            logger.warning("compliance rule group %s not found", rule.only_members_of)
            members, name = [], None
        inputs.append(RuleInput(rule=rule, group_name=name or rule.only_members_of, member_ids=frozenset(members)))
    return inputs

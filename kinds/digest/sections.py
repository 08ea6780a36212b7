"""The channel digest's fuller sections (F21, F22): unused lists and mailboxes (the usage report's selection over
the directory cache), license waste (the license report's computation), the license alerts raised in the period
(AlertSent rows) and the request-volume chart behind a signed link that lives as long as a digest is read."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from cards.charts import ChartText, Series, volume_chart
from cards.digest import DigestAlert, DigestChart, DigestUnused, DigestWaste
from cards.i18n import Translator
from cards.statistics import week_label
from handlers.services import Services
from kinds.licenses.catalogue import effective_prices
from kinds.licenses.reports import build_report, plan_namer, rule_inputs, token_hash
from kinds.usage.collect import covered_since
from kinds.usage.commands import DEFAULT_DAYS, LISTS, MAILBOXES
from kinds.usage.report import REPORT_PERIOD_DAYS
from kinds.usage.unused import NamesConcealed, unused_lists, unused_mailboxes
from m365.errors import M365Error
from storage.repositories.unused import UnusedReportRepository
from storage.statistics_queries import requests_per_kind_and_week

logger = logging.getLogger(__name__)

TOP_UNUSED = 5
CHART_WEEKS = 8
CHART_TYPE = "image/png"
ALERT_PREFIXES = ("low_seats:", "ending:")


async def unused_sections(services: Services) -> tuple[DigestUnused | None, DigestUnused | None]:
    """(lists, mailboxes) quiet for the usage report's default periods; None where the desk cannot tell (lists not
    collected yet, no usage report, names concealed) — the card then says so rather than a false zero."""
    now = services.clock()
    since = await covered_since(services)
    async with services.uow() as uow:
        reads = UnusedReportRepository(uow.session)
        lists = await reads.all_lists() if since is not None else []
        seen = await uow.last_mail_seen.last_seen(dl.primary_smtp_address for dl in lists)
        mailboxes = await reads.all_mailboxes()
        owners = await reads.mailbox_owner_names()
    list_section = None
    if since is not None:
        found = unused_lists(lists, seen, since, now, DEFAULT_DAYS[LISTS])
        list_section = DigestUnused(DEFAULT_DAYS[LISTS], len(found), tuple(r.name for r in found[:TOP_UNUSED]))
    mailbox_section = None
    usage = services.tenant.usage
    if usage is not None:
        try:
            concealed = await usage.names_concealed()
            rows = [] if concealed else await usage.mailbox_usage(REPORT_PERIOD_DAYS)
            concealed = concealed or (bool(rows) and not any("@" in r.user_principal_name for r in rows))
            quiet = unused_mailboxes(mailboxes, rows, concealed=concealed, today=now.date(),
                                     days=DEFAULT_DAYS[MAILBOXES], owners=owners)
            mailbox_section = DigestUnused(DEFAULT_DAYS[MAILBOXES], len(quiet),
                                           tuple(r.name for r in quiet[:TOP_UNUSED]))
        except NamesConcealed:
            mailbox_section = None
        except M365Error:
            logger.warning("mailbox usage report unreadable; the digest goes without unused mailboxes", exc_info=True)
    return list_section, mailbox_section


async def waste_section(services: Services) -> DigestWaste | None:
    """Wasted seats (disabled, stale, overlapping; each person and plan once) and their monthly cost, computed as
    the license report computes them; None when the tenant could not be read."""
    policy = services.reports
    try:
        skus, holders, rules = await asyncio.gather(
            services.tenant.licenses.list_skus(),
            services.tenant.licenses.license_holders(),
            rule_inputs(services, policy.compliance_rules),
        )
    except M365Error:
        logger.warning("licenses unreadable; the digest goes without license waste", exc_info=True)
        return None
    async with services.uow() as uow:
        prices = await effective_prices(services, uow)
    view = build_report(skus=skus, holders=holders, prices=prices, name_of=plan_namer(services, skus),
                        overlaps=policy.overlaps, rules=rules, now=services.clock(), stale_days=policy.stale_days)
    seats = {(f.user_id, f.sku_part_number) for f in (*view.disabled, *view.stale, *view.overlaps)}
    return DigestWaste(seats=len(seats), monthly=view.total_savings())


async def alert_section(services: Services, start: datetime, end: datetime) -> tuple[DigestAlert, ...]:
    """The license alerts raised on the local days of [start, end): what the admins were told, once each."""
    zone = services.calendar.zone
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)] if last >= first else []
    found: list[DigestAlert] = []
    async with services.uow() as uow:
        for day in days:
            for row in await uow.alerts.sent_on(day.isoformat()):
                if row.alert_key.startswith(ALERT_PREFIXES):
                    found.append(DigestAlert(row.alert_key.split(":", 1)[0], dict(row.detail or {})))
    return tuple(found)


def draw_volume(weeks: Sequence[date], per_kind: dict[str, list[int]], t: Translator) -> tuple[bytes, str]:
    """(PNG, alt text) of request volume by kind and week; CPU work, run off the event loop by the caller."""
    ordered = sorted(per_kind.items(), key=lambda item: (-sum(item[1]), item[0]))
    layers = [Series(kind, tuple(counts)) for kind, counts in ordered]
    png = volume_chart([week_label(week, t) for week in weeks], layers,
                       ChartText(str(t("digest.chart.title")), str(t("digest.chart.requests")),
                                 str(t("digest.chart.empty"))))
    total = sum(sum(counts) for counts in per_kind.values())
    return png, str(t("digest.chart.alt", count=total, weeks=t.number(len(weeks))))


async def chart_section(services: Services, t: Translator, *, link_days: int, created_by: str) -> DigestChart | None:
    """The volume chart stored behind a signed link valid ``link_days`` (a digest is read for days, not minutes);
    0 = no chart."""
    if link_days <= 0:
        return None
    now = services.clock()
    zone = services.calendar.zone
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=back) for back in range(CHART_WEEKS - 1, -1, -1)]
    week_starts = [datetime(day.year, day.month, day.day, tzinfo=zone) for day in mondays]
    async with services.uow() as uow:
        volumes = await requests_per_kind_and_week(uow.session, week_starts=week_starts, end=now)
    per_kind: dict[str, list[int]] = {}
    for row in volumes:
        if 0 <= row.week < len(mondays):
            per_kind.setdefault(row.kind, [0] * len(mondays))[row.week] += row.count
    png, alt_text = await asyncio.to_thread(draw_volume, mondays, per_kind, t)
    token = secrets.token_urlsafe(32)
    async with services.uow() as uow:
        await uow.report_files.add(
            token_hash=token_hash(token), name="digest-volume.png", content_type=CHART_TYPE,
            # report_files holds text: the chart is kept as base64 and decoded when served (as statistics does).
            content=base64.b64encode(png).decode("ascii"), created_by=created_by, now=now,
            expires_at=now + timedelta(days=link_days))
        await uow.commit()
    return DigestChart(f"{services.reports.public_url}/reports/{token}.png", alt_text)

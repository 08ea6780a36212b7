"""The admins' ``unused lists`` / ``unused mailboxes`` report (F20): lists from the directory cache against the
desk's "last mail seen" record, shared mailboxes from the usage report's Last Activity Date; paged cards, and all of
them as CSV behind the license report's signed short-lived link. A report with concealed names is refused with what
to change, never misread."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from cards.i18n import Markdown, Translator
from cards.usage import PAGE_SIZE, UnusedLine, UnusedView, unused_card
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.card_data import bounded
from kinds.licenses.reports import token_hash
from kinds.usage.collect import covered_since
from kinds.usage.commands import LISTS, MAILBOXES, MAX_DAYS, ShowUnused, period_days
from kinds.usage.unused import NamesConcealed, UnusedResource, unused_mailboxes
from storage.repositories.unused import UnusedReportRepository

logger = logging.getLogger(__name__)

CSV_TYPE = "text/csv"
# The longest period of the mailbox usage report: its Last Activity Date is the latest it knows.
REPORT_PERIOD_DAYS = 180
_CSV_EXAMPLES = {
    LISTS: {"en": "unused lists csv", "pl": "nieużywane listy csv", "de": "ungenutzte Listen csv"},
    MAILBOXES: {"en": "unused mailboxes csv", "pl": "nieużywane skrzynki csv", "de": "ungenutzte Postfächer csv"},
}
# Spreadsheets run cells that start with these as formulas; a display name must never become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class UsagePageClick:
    """A page button: which resources, the period and where (what is on the page is read again now)."""

    what: str = bounded(20)
    days: int | None = None
    offset: int | None = None


class _Refusal(Exception):
    """The report cannot be made; the message (already in the reader's language) says why."""


async def show_unused(services: Services, actor: Actor, command: ShowUnused) -> Reply:
    """Admins only, checked on the server first: anyone else learns nothing about any list or mailbox."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("usage.not_admin"))
    days = period_days(command)
    if days is None:
        return Reply(text=t("usage.bad_days", days=command.days[:40]))
    try:
        view, lines = await _report(services, t, command.what, days, 0, everything=command.csv)
    except _Refusal as refusal:
        return Reply(text=str(refusal))
    if not command.csv:
        return Reply(card=unused_card(view, t))
    url = await _csv_link(services, actor, command.what, lines)
    minutes = services.reports.link_minutes
    return Reply(text=t("usage.csv_ready", url=Markdown(url), minutes=t.number(minutes)),
                 card=unused_card(replace(view, csv_url=url), t))


async def page_clicked(services: Services, actor: Actor, data: UsagePageClick) -> Reply:
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("usage.not_admin"))
    what = data.what if data.what in (LISTS, MAILBOXES) else LISTS
    days = data.days if data.days is not None and 1 <= data.days <= MAX_DAYS else None
    if days is None:
        days = period_days(ShowUnused(what=what))
        assert days is not None  # the default always is one
    offset = data.offset if data.offset is not None and 0 <= data.offset < _MAX_OFFSET else 0
    try:
        view, _ = await _report(services, t, what, days, offset)
    except _Refusal as refusal:
        return Reply(text=str(refusal))
    return Reply(card=unused_card(view, t))


async def _report(services: Services, t: Translator, what: str, days: int, offset: int,
                  *, everything: bool = False) -> tuple[UnusedView, list[UnusedLine]]:
    """The page at ``offset`` and the lines read: every one when ``everything`` (for the CSV), else the page's."""
    if what == LISTS:
        # Lists are found, ordered and paged in SQL: only the page's lines are read and named (a CSV reads all).
        lines, total, short_history = await _list_lines(services, t, days, offset, None if everything else PAGE_SIZE)
        page = lines[offset:offset + PAGE_SIZE] if everything else lines
    else:
        lines, short_history = await _mailbox_lines(services, t, days), None
        page, total = lines[offset:offset + PAGE_SIZE], len(lines)
    view = UnusedView(what=what, days=days, as_of=services.clock(), items=tuple(page), total=total, offset=offset,
                      short_history_days=short_history, csv_example=_CSV_EXAMPLES[what][t.language])
    return view, lines


async def _list_lines(services: Services, t: Translator, days: int, offset: int,
                      limit: int | None) -> tuple[list[UnusedLine], int, int | None]:
    """The quiet lists from ``offset`` (all of them when ``limit`` is None: then from the first), how many there
    are, and the days of history when fewer than ``days``. The rule is kinds.usage.unused.unused_lists', in SQL."""
    since = await covered_since(services)
    if since is None:
        raise _Refusal(t("usage.not_collected"))
    now = services.clock()
    history = max((now - since).days, 0)
    async with services.uow() as uow:
        found = await uow.last_mail_seen.quiet_lists(cutoff=now - timedelta(days=days), never_seen_too=history >= days,
                                                     offset=0 if limit is None else offset, limit=limit)
        owner_names = await UnusedReportRepository(uow.session).names_by_address(
            o for item in found.items for o in item.owners)
    lines = [UnusedLine(name=item.display_name, address=item.address,
                        owners=tuple(owner_names.get(o.lower(), o) for o in item.owners),
                        last_activity=item.last_received, history_days=history, people=item.members)
             for item in found.items]
    return lines, found.total, history if history < days else None


async def _mailbox_lines(services: Services, t: Translator, days: int) -> list[UnusedLine]:
    usage = services.tenant.usage
    if usage is None:
        raise _Refusal(t("usage.unavailable"))
    concealed = await usage.names_concealed()
    rows = [] if concealed else await usage.mailbox_usage(REPORT_PERIOD_DAYS)
    # The setting may change between the two calls, and a report of hashes names no mailbox: no row with an
    # address in it means concealed names too (a tenant with mailboxes always has addresses in the report).
    concealed = concealed or (bool(rows) and not any("@" in r.user_principal_name for r in rows))
    async with services.uow() as uow:
        reads = UnusedReportRepository(uow.session)
        mailboxes = await reads.all_mailboxes()
        delegates = await reads.delegate_counts()
        owners = await reads.mailbox_owner_names()
    try:
        found = unused_mailboxes(mailboxes, rows, concealed=concealed, today=services.clock().date(), days=days,
                                 owners=owners)
    except NamesConcealed:
        logger.warning("mailbox usage report conceals names; unused mailboxes refused until the setting is off")
        raise _Refusal(t("usage.names_concealed")) from None
    identity_of = {m.primary_smtp_address.lower(): m.identity for m in mailboxes}
    return [_line(r, r.owners, delegates.get(identity_of.get(r.address.lower(), ""), 0)) for r in found]


def _line(found: UnusedResource, owners: tuple[str, ...], people: int) -> UnusedLine:
    return UnusedLine(name=found.name, address=found.address, owners=owners, last_activity=found.last_activity,
                      history_days=found.history_days, people=people)


async def _csv_link(services: Services, actor: Actor, what: str, lines: list[UnusedLine]) -> str:
    policy = services.reports
    now = services.clock()
    token = secrets.token_urlsafe(32)
    async with services.uow() as uow:
        await uow.report_files.add(
            token_hash=token_hash(token),
            name=f"unused-{what}.csv",
            content_type=CSV_TYPE,
            content=unused_csv(what, lines),
            created_by=actor.user_id,
            now=now,
            expires_at=now + timedelta(minutes=policy.link_minutes),
        )
        await uow.commit()
    logger.info("unused %s CSV for %s, link valid %d min", what, actor.user_id, policy.link_minutes)
    return f"{policy.public_url}/reports/{token}.csv"


def unused_csv(what: str, lines: list[UnusedLine]) -> str:
    """One row per resource; last_activity empty = never seen (in history_days of the desk's record, for lists)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "address", "owners", "last_activity", "history_days",
                     "members" if what == LISTS else "delegates"])
    for line in lines:
        writer.writerow([_cell(line.name), _cell(line.address), _cell("; ".join(line.owners)),
                         line.last_activity.isoformat() if line.last_activity is not None else "",
                         line.history_days, line.people])
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value

"""The admins' ``orphaned`` report (F20): orphaned lists and shared mailboxes with their former owners and managers,
paged, and all of them as CSV behind a signed short-lived link (the license report's download route)."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from cards.i18n import Markdown, Translator
from cards.orphans import PAGE_SIZE, OrphanedView, OrphanLine, OrphanSection, OwnerLine, orphaned_card
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.card_data import bounded
from kinds.licenses.reports import token_hash
from kinds.orphans.commands import BOTH, LISTS, MAILBOXES, ShowOrphaned
from storage.repositories.directory_rows import Page
from storage.repositories.orphans import LIST, OrphanedResource, OrphanRepository

logger = logging.getLogger(__name__)

CSV_NAME = "orphaned.csv"
CSV_TYPE = "text/csv"
_CSV_EXAMPLES = {"en": "orphaned csv", "pl": "osierocone csv", "de": "verwaist csv"}
# Spreadsheets run cells that start with these as formulas; a display name must never become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class OrphanPageClick:
    """A page button: which resources and from where (what is on the page is read again now)."""

    what: str = bounded(20)
    offset: int | None = None


async def show_orphaned(services: Services, actor: Actor, command: ShowOrphaned) -> Reply:
    """Admins only, checked on the server first: anyone else learns nothing about any list or mailbox."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("orphans.not_admin"))
    if command.csv:
        return await _csv_reply(services, actor, t, command.what)
    return Reply(card=orphaned_card(await _view(services, t, command.what, 0), t))


async def page_clicked(services: Services, actor: Actor, data: OrphanPageClick) -> Reply:
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("orphans.not_admin"))
    what = data.what if data.what in (LISTS, MAILBOXES) else BOTH
    offset = data.offset if data.offset is not None and 0 <= data.offset < _MAX_OFFSET else 0
    return Reply(card=orphaned_card(await _view(services, t, what, offset), t))


async def _view(services: Services, t: Translator, what: str, offset: int) -> OrphanedView:
    async with services.uow() as uow:
        orphans = OrphanRepository(uow.session)
        sections = []
        if what in (BOTH, LISTS):
            sections.append(_section(LIST, await orphans.orphaned_lists(offset=offset, limit=PAGE_SIZE)))
        if what in (BOTH, MAILBOXES):
            sections.append(_section("mailbox", await orphans.orphaned_mailboxes(offset=offset, limit=PAGE_SIZE)))
    return OrphanedView(as_of=services.clock(), sections=tuple(sections), csv_example=_CSV_EXAMPLES[t.language])


def _section(kind: str, page: Page[OrphanedResource]) -> OrphanSection:
    return OrphanSection(kind=kind, items=tuple(orphan_line(item) for item in page.items), total=page.total,
                         offset=page.offset)


def orphan_line(item: OrphanedResource) -> OrphanLine:
    return OrphanLine(
        kind=item.kind,
        identity=item.identity,
        display_name=item.display_name,
        address=item.address,
        former_owners=tuple(
            OwnerLine(name=o.name, address=o.address, state=o.state, manager_name=o.manager_name)
            for o in item.former_owners
        ),
    )


async def _csv_reply(services: Services, actor: Actor, t: Translator, what: str) -> Reply:
    async with services.uow() as uow:
        orphans = OrphanRepository(uow.session)
        items: list[OrphanedResource] = []
        if what in (BOTH, LISTS):
            items.extend((await orphans.orphaned_lists(limit=None)).items)
        if what in (BOTH, MAILBOXES):
            items.extend((await orphans.orphaned_mailboxes(limit=None)).items)
    policy = services.reports
    now = services.clock()
    token = secrets.token_urlsafe(32)
    async with services.uow() as uow:
        await uow.report_files.add(
            token_hash=token_hash(token),
            name=CSV_NAME,
            content_type=CSV_TYPE,
            content=orphans_csv(items),
            created_by=actor.user_id,
            now=now,
            expires_at=now + timedelta(minutes=policy.link_minutes),
        )
        await uow.commit()
    url = f"{policy.public_url}/reports/{token}.csv"
    logger.info("orphaned CSV for %s, link valid %d min", actor.user_id, policy.link_minutes)
    view = await _view(services, t, what, 0)
    view = OrphanedView(as_of=view.as_of, sections=view.sections, csv_url=url, csv_example=view.csv_example)
    return Reply(
        text=t("orphans.csv_ready", url=Markdown(url), minutes=t.number(policy.link_minutes)),
        card=orphaned_card(view, t),
    )


def orphans_csv(items: list[OrphanedResource]) -> str:
    """One row per former owner (one row with empty owner columns for a resource that never had one)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "name", "address", "former_owner", "owner_address", "owner_state", "manager"])
    for item in items:
        head = [item.kind, _cell(item.display_name), _cell(item.address)]
        if not item.former_owners:
            writer.writerow([*head, "", "", "", ""])
        for owner in item.former_owners:
            writer.writerow([*head, _cell(owner.name), _cell(owner.address), owner.state,
                             _cell(owner.manager_name or "")])
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value

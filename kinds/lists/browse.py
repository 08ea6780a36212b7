"""Browsing the directory (F1–F3): find lists and shared mailboxes, page through them, show one list, and "show X"
for whatever X is (a list, else a shared mailbox, else a search).

Finding and showing read the desk's directory cache (kept by handlers/directory_sync.py): fast, paged, and
searchable by description, which Exchange's own search is not. A list the cache does not know yet is read from
Exchange directly, so a list created a minute ago outside the desk can still be opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from cards.i18n import Translator
from cards.lists import (
    MEMBERS_PAGE_SIZE,
    PAGE_SIZE,
    BrowseSection,
    BrowseView,
    Choice,
    DirectoryEntry,
    ListDetailView,
    browse_card,
    choice_card,
    list_card,
)
from handlers.commands import MAX_MESSAGE, argument_too_long
from handlers.context import Actor, Reply, actor_translator
from handlers.directory_sync import LEASE as SYNC_LEASE
from handlers.services import Services, is_admin
from kinds.card_data import bounded
from kinds.lists.commands import FindDirectory, MyLists, MyMailboxes, MyMemberships, ShowAnything, ShowList
from kinds.lists.lookup import MAX_LIST_REF, ListClick, find_list, owns, requester_address, show_then, too_long_reply
from kinds.mailboxes.card import show_found_mailbox, show_mailbox
from m365.ports import DistributionList, SharedMailbox
from storage.uow import UnitOfWork

_VIEWS = frozenset({"search", "my_lists", "memberships", "my_mailboxes"})
_KINDS = frozenset({"all", "lists", "mailboxes"})
_QUERY = 200  # characters of a search kept (a page button carries the query it was made for)


@dataclass(frozen=True, slots=True)
class PageClick:
    """A page button: which view and page to show (what is on it is read again now)."""

    view: str | None = bounded(40, optional=True)
    offset: int | None = None
    query: str | None = bounded(MAX_MESSAGE, optional=True)
    kind: str | None = bounded(40, optional=True)
    list_id: str | None = bounded(MAX_LIST_REF, optional=True)  # the list whose members are paged (view "list")


async def find_typed(services: Services, actor: Actor, command: FindDirectory) -> Reply:
    return await browse(services, actor, view="search", query=command.query, kind=command.kind, offset=0)


async def my_lists_typed(services: Services, actor: Actor, _command: MyLists) -> Reply:
    return await browse(services, actor, view="my_lists")


async def my_memberships_typed(services: Services, actor: Actor, _command: MyMemberships) -> Reply:
    return await browse(services, actor, view="memberships")


async def my_mailboxes_typed(services: Services, actor: Actor, _command: MyMailboxes) -> Reply:
    return await browse(services, actor, view="my_mailboxes")


async def show_typed(services: Services, actor: Actor, command: ShowList) -> Reply:
    return await show_list(services, actor, command.list_name)


async def show_anything_typed(services: Services, actor: Actor, command: ShowAnything) -> Reply:
    return await show_anything(services, actor, command.name)


async def show_clicked(services: Services, actor: Actor, data: ListClick) -> Reply:
    return await show_list(services, actor, data.list_id)


async def page_clicked(services: Services, actor: Actor, data: PageClick) -> Reply:
    """A page button: its data say only which page to show; what is on it is read again now."""
    offset = data.offset if data.offset is not None and 0 <= data.offset < 1_000_000 else 0
    if data.view == "list" and data.list_id is not None:
        return await show_list(services, actor, data.list_id, offset=offset)
    if data.view not in _VIEWS:
        return Reply(text=actor_translator(actor)("error.bad_card"))
    kind = data.kind if data.kind in _KINDS else "all"
    query = (data.query or "")[:_QUERY]
    return await browse(services, actor, view=data.view, query=query, kind=kind, offset=offset)


async def browse(
    services: Services, actor: Actor, *, view: str, query: str = "", kind: str = "all", offset: int = 0
) -> Reply:
    t = actor_translator(actor)
    address = await requester_address(services, actor) or ""
    sections: list[BrowseSection] = []
    async with services.uow() as uow:
        cache = uow.directory_cache
        if view == "search":
            if kind in ("all", "lists"):
                page = await cache.search_lists(query, offset=offset if kind == "lists" else 0, limit=PAGE_SIZE)
                sections.append(BrowseSection("lists", tuple(_list_entry(d) for d in page.items), page.total,
                                              page.offset))
            if kind in ("all", "mailboxes"):
                mailboxes = await cache.search_mailboxes(query, offset=offset if kind == "mailboxes" else 0,
                                                         limit=PAGE_SIZE)
                sections.append(BrowseSection("mailboxes", tuple(_mailbox_entry(m) for m in mailboxes.items),
                                              mailboxes.total, mailboxes.offset))
        elif view == "my_lists":
            page = await cache.lists_owned_by(address, offset=offset, limit=PAGE_SIZE)
            sections.append(BrowseSection("lists", tuple(_list_entry(d) for d in page.items), page.total, page.offset))
        elif view == "memberships":
            page = await cache.lists_with_member(address, offset=offset, limit=PAGE_SIZE)
            sections.append(BrowseSection("lists", tuple(_list_entry(d) for d in page.items), page.total, page.offset))
        else:
            mailboxes = await cache.mailboxes_for(address, actor.user_id, offset=offset, limit=PAGE_SIZE)
            sections.append(BrowseSection("mailboxes", tuple(_mailbox_entry(m) for m in mailboxes.items),
                                          mailboxes.total, mailboxes.offset))
        synced = await _last_synced(uow, t)
    return Reply(card=browse_card(BrowseView(view=view, query=query, sections=tuple(sections),
                                             synced_at=synced), t))


async def _last_synced(uow: UnitOfWork, t: Translator) -> str | None:
    """When the directory was last read from the tenant, so a reader knows how fresh the results are."""
    state = await uow.sync_state.state(SYNC_LEASE)
    return t.datetime(state.last_run) if state and state.last_run else None


def _list_entry(the_list: DistributionList) -> DirectoryEntry:
    return DirectoryEntry("list", the_list.identity, the_list.display_name, the_list.primary_smtp_address,
                          the_list.description)


def _mailbox_entry(mailbox: SharedMailbox) -> DirectoryEntry:
    return DirectoryEntry("mailbox", mailbox.identity, mailbox.display_name, mailbox.primary_smtp_address)


async def show_anything(services: Services, actor: Actor, name: str) -> Reply:
    """"show X": the list called exactly X, else the shared mailbox called exactly X (a card to pick one when several
    are), else whatever the directory has matching X (a search, where "*" is a plain character)."""
    name = name.strip()
    if (refusal := argument_too_long(name)) is not None:
        return too_long_reply(actor_translator(actor), refusal)
    if await services.tenant.distribution_lists.lists_named(name):
        return await show_list(services, actor, name)
    mailboxes = services.tenant.mailboxes
    if mailboxes is not None and (found := await mailboxes.mailboxes_named(name)):
        if len(found) == 1:
            return await show_found_mailbox(services, actor, found[0])
        return await show_mailbox(services, actor, name)  # several: the card to pick one
    return await browse(services, actor, view="search", query=name[:_QUERY])


async def show_list(services: Services, actor: Actor, name: str, *, offset: int = 0) -> Reply:
    """The list with its owners, settings and a page of members, and what the reader may do with it."""
    t = actor_translator(actor)
    if (refusal := argument_too_long(name)) is not None:
        return too_long_reply(t, refusal)
    address = await requester_address(services, actor) or ""
    async with services.uow() as uow:
        cached = await uow.directory_cache.lists_named(name)
        if len(cached) > 1:
            choices = [Choice(d.display_name, d.primary_smtp_address, *show_then(d)) for d in cached]
            return Reply(card=choice_card(t, kind="lists", name=name.strip(), choices=choices))
        the_list = cached[0] if cached else None
        if the_list is not None:
            members = await uow.directory_cache.list_members(the_list.identity, offset=offset, limit=MEMBERS_PAGE_SIZE)
            is_member = bool(address) and await uow.directory_cache.is_list_member(the_list.identity, address)
            member_items, member_total = members.items, members.total
    if the_list is None:
        # Not in the cache (yet): Exchange has the last word, e.g. for a list created outside the desk minutes ago.
        live = await find_list(services, t, name)
        if isinstance(live, Reply):
            return live
        the_list = live
        everyone = await services.tenant.distribution_lists.members(the_list.identity)
        member_items = tuple(everyone[offset: offset + MEMBERS_PAGE_SIZE])
        member_total = len(everyone)
        is_member = any(m.primary_smtp_address.casefold() == address.casefold() for m in everyone)
    is_owner = owns(the_list, address)
    may_manage = is_owner or await is_admin(services, actor)
    view = ListDetailView(dl=the_list, members=tuple(member_items), members_total=member_total, offset=offset,
                          is_member=is_member, is_owner=is_owner, may_manage=may_manage)
    return Reply(card=list_card(view, t))

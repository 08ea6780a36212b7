"""Distribution lists and browsing (F1–F5): find and show lists and mailboxes, and route every list request.

Finding and showing read the desk's directory cache (kept by handlers/directory_sync.py): fast, paged, and
searchable by description, which Exchange's own search is not. A list the cache does not know yet is read from
Exchange directly, so a list created a minute ago outside the desk can still be opened.
"""

from __future__ import annotations

from typing import Any

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
    modify_form,
)
from cards.verbs import Verb
from handlers import list_requests
from handlers.commands import argument_too_long
from handlers.context import Actor, Reply, actor_translator
from handlers.directory_sync import LEASE as SYNC_LEASE
from handlers.list_commands import (
    ChangeMembers,
    CreateList,
    DeleteList,
    FindDirectory,
    LeaveList,
    ListCommand,
    ModifyList,
    MyLists,
    MyMailboxes,
    MyMemberships,
    ShowAnything,
    ShowList,
)
from handlers.list_requests import show_then, too_long_reply
from handlers.mailboxes import show_found_mailbox, show_mailbox
from handlers.services import Services, is_admin
from m365.ports import DistributionList, SharedMailbox
from storage.uow import UnitOfWork

VERBS = frozenset({Verb.BROWSE_PAGE, Verb.LIST_SHOW, Verb.LIST_LEAVE, Verb.LIST_CREATE_SUBMIT,
                   Verb.LIST_MODIFY_SUBMIT, Verb.LIST_DELETE, Verb.LIST_MEMBERS_SUBMIT})
_VIEWS = frozenset({"search", "my_lists", "memberships", "my_mailboxes"})
_KINDS = frozenset({"all", "lists", "mailboxes"})


async def handle_command(services: Services, actor: Actor, command: ListCommand) -> Reply:
    t = actor_translator(actor)
    match command:
        case FindDirectory(query=query, kind=kind):
            return await browse(services, actor, view="search", query=query, kind=kind, offset=0)
        case MyLists():
            return await browse(services, actor, view="my_lists")
        case MyMemberships():
            return await browse(services, actor, view="memberships")
        case MyMailboxes():
            return await browse(services, actor, view="my_mailboxes")
        case ShowList(list_name=name):
            return await show_list(services, actor, name)
        case ShowAnything(name=name):
            return await show_anything(services, actor, name)
        case LeaveList(list_name=name):
            return await list_requests.request_leave(services, actor, name)
        case ChangeMembers(list_name=name, add=add, members=members):
            return await list_requests.request_member_changes(services, actor, name, add=add, values=members)
        case CreateList(name=name):
            return await list_requests.show_create_form(services, actor, name)
        case ModifyList(list_name=name):
            found = await list_requests.find_list(services, t, name)
            if isinstance(found, Reply):
                return found
            return Reply(card=modify_form(found, t))
        case DeleteList(list_name=name):
            return await list_requests.request_delete(services, actor, name)
    raise AssertionError(f"unhandled list command {command!r}")


async def handle_verb(services: Services, actor: Actor, verb: Verb, data: dict[str, Any]) -> Reply:
    t = actor_translator(actor)
    list_id = data.get("list_id")
    match verb:
        case Verb.BROWSE_PAGE:
            return await _page(services, actor, data)
        case Verb.LIST_SHOW if isinstance(list_id, str):
            return await show_list(services, actor, list_id)
        case Verb.LIST_LEAVE if isinstance(list_id, str):
            return await list_requests.request_leave(services, actor, list_id)
        case Verb.LIST_MEMBERS_SUBMIT if isinstance(list_id, str):
            add = data.get("change", "add") != "remove"
            addresses = data.get("addresses") if isinstance(data.get("addresses"), str) else ""
            values = list_requests.split_addresses(addresses)
            return await list_requests.request_member_changes(services, actor, list_id, add=add, values=values)
        case Verb.LIST_CREATE_SUBMIT:
            return await list_requests.create_submitted(services, actor, data)
        case Verb.LIST_MODIFY_SUBMIT if isinstance(list_id, str):
            return await list_requests.modify_submitted(services, actor, data)
        case Verb.LIST_DELETE if isinstance(list_id, str):
            return await list_requests.request_delete(services, actor, list_id)
    return Reply(text=t("error.bad_card"))


async def _page(services: Services, actor: Actor, data: dict[str, Any]) -> Reply:
    """A page button: its data says only which page to show; what is on it is read again now."""
    offset = data.get("offset")
    offset = offset if isinstance(offset, int) and 0 <= offset < 1_000_000 else 0
    view = data.get("view")
    if view == "list" and isinstance(data.get("list_id"), str):
        return await show_list(services, actor, data["list_id"], offset=offset)
    query = data.get("query") if isinstance(data.get("query"), str) else ""
    kind = data.get("kind") if data.get("kind") in _KINDS else "all"
    if view not in _VIEWS:
        return Reply(text=actor_translator(actor)("error.bad_card"))
    return await browse(services, actor, view=str(view), query=query[:200], kind=str(kind), offset=offset)


async def browse(
    services: Services, actor: Actor, *, view: str, query: str = "", kind: str = "all", offset: int = 0
) -> Reply:
    t = actor_translator(actor)
    address = await list_requests.requester_address(services, actor) or ""
    sections: list[BrowseSection] = []
    async with services.uow() as uow:
        cache = uow.directory_cache
        if view == "search":
            if kind in ("all", "lists"):
                page = await cache.search_lists(query, offset=offset if kind == "lists" else 0, limit=PAGE_SIZE)
                sections.append(BrowseSection("lists", tuple(_list_entry(d) for d in page.items), page.total,
                                              page.offset))
            if kind in ("all", "mailboxes"):
                page = await cache.search_mailboxes(query, offset=offset if kind == "mailboxes" else 0,
                                                    limit=PAGE_SIZE)
                sections.append(BrowseSection("mailboxes", tuple(_mailbox_entry(m) for m in page.items),
                                              page.total, page.offset))
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


def _list_entry(dl: DistributionList) -> DirectoryEntry:
    return DirectoryEntry("list", dl.identity, dl.display_name, dl.primary_smtp_address, dl.description)


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
    return await browse(services, actor, view="search", query=name[:200])


async def show_list(services: Services, actor: Actor, name: str, *, offset: int = 0) -> Reply:
    """The list with its owners, settings and a page of members, and what the reader may do with it."""
    t = actor_translator(actor)
    if (refusal := argument_too_long(name)) is not None:
        return too_long_reply(t, refusal)
    address = await list_requests.requester_address(services, actor) or ""
    async with services.uow() as uow:
        cached = await uow.directory_cache.lists_named(name)
        if len(cached) > 1:
            choices = [Choice(d.display_name, d.primary_smtp_address, *show_then(d)) for d in cached]
            return Reply(card=choice_card(t, kind="lists", name=name.strip(), choices=choices))
        dl = cached[0] if cached else None
        if dl is not None:
            members = await uow.directory_cache.list_members(dl.identity, offset=offset, limit=MEMBERS_PAGE_SIZE)
            is_member = bool(address) and await uow.directory_cache.is_list_member(dl.identity, address)
            member_items, member_total = members.items, members.total
    if dl is None:
        # Not in the cache (yet): Exchange has the last word, e.g. for a list created outside the desk minutes ago.
        live = await list_requests.find_list(services, t, name)
        if isinstance(live, Reply):
            return live
        dl = live
        everyone = await services.tenant.distribution_lists.members(dl.identity)
        member_items = tuple(everyone[offset: offset + MEMBERS_PAGE_SIZE])
        member_total = len(everyone)
        is_member = any(m.primary_smtp_address.casefold() == address.casefold() for m in everyone)
    is_owner = list_requests.owns(dl, address)
    may_manage = is_owner or await is_admin(services, actor)
    view = ListDetailView(dl=dl, members=tuple(member_items), members_total=member_total, offset=offset,
                          is_member=is_member, is_owner=is_owner, may_manage=may_manage)
    return Reply(card=list_card(view, t))

"""The pending queue (F19): admins see every request still waiting, oldest first, filtered by kind or family and by
approver, paged, and open any of them to decide it; everyone else sees what waits for their own decision.

"Waiting" for admins is not only pending: a request approved but not yet done (approved, executing, or a seat
order awaiting fulfilment) still waits on the desk or on people, and one stuck there is exactly what an admin must
see. A queue filtered by approver lists only pending requests, the ones that wait for that person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards.elements import Element, execute
from cards.i18n import Translator
from cards.queue import QueueIncident, QueueItem, QueueView, queue_card
from cards.requests import status_card
from cards.verbs import Verb
from handlers import access
from handlers.context import Actor, Reply, actor_translator
from handlers.delegation import delegate_card_for
from handlers.lifecycle import RequestState
from handlers.people import SELF_WORDS, find_person
from handlers.request_views import approver_card_for, request_view
from handlers.services import Services, is_admin
from kinds.card_data import bounded
from kinds.queue.commands import ShowPending
from kinds.queue.incidents import IncidentReaders, queue_incident
from kinds.registry import Registry
from storage.queue_queries import WaitingRequest, open_incidents, waiting_request, waiting_requests

PAGE_SIZE = 10
INCIDENTS_SHOWN = 5  # open incidents under the requests on the queue's first page; "pending incidents" shows all
ADMIN_STATES = (
    RequestState.PENDING.value,
    RequestState.APPROVED.value,
    RequestState.EXECUTING.value,
    RequestState.AWAITING_FULFILMENT.value,
)
# The families as admins name them in Polish and German (English uses the family's own name).
_FAMILY_WORDS = {
    "licenses": ("license", "licences", "licencje", "licencja", "lizenzen", "lizenz"),
    "lists": ("list", "listy", "lista", "listen", "liste", "verteiler"),
    "mailboxes": ("mailbox", "skrzynki", "skrzynka", "postfächer", "postfaecher", "postfach"),
    "groups": ("group", "grupy", "grupa", "gruppen", "gruppe"),
    "seats": ("seat", "zamówienia", "zamowienia", "bestellungen"),
}
# Incidents are not requests (their family has no kinds): these words ask for the open incidents alone.
INCIDENT_WORDS = frozenset({"incidents", "incident", "incydenty", "incydent", "zgłoszenia", "zgloszenia",
                            "störungen", "stoerungen", "störung", "stoerung"})
_KIND_WORD = 80  # longer than any kind id or family word: a page button's filter is only ever one of those
_ID = 64  # an Entra object id is 36 characters; the column holds 64
_PUBLIC_ID = 64_000  # as kinds.desk: an oversized id is refused (and audited) by handlers.access, not here


@dataclass(frozen=True, slots=True)
class QueuePageClick:
    """A page button: the filters the page was made with, and where the next page starts."""

    offset: int | None = None
    kind: str | None = bounded(_KIND_WORD, optional=True)
    approver_id: str | None = bounded(_ID, optional=True)


@dataclass(frozen=True, slots=True)
class QueueOpenClick:
    """An item's Open button: the request, and the page it was opened from (for the way back)."""

    request_id: str = bounded(_PUBLIC_ID)
    offset: int | None = None
    kind: str | None = bounded(_KIND_WORD, optional=True)
    approver_id: str | None = bounded(_ID, optional=True)


@dataclass(frozen=True, slots=True)
class _Filters:
    kind_word: str  # as typed ("" = every kind)
    kinds: frozenset[str] | None  # the kind ids it names; None = every kind
    approver_id: str | None
    approver_name: str
    incidents_only: bool = False


def kinds_named(registry: Registry, word: str) -> frozenset[str] | None:
    """The kind ids a word names: one kind by its id, or every kind of a family by its name in any language."""
    wanted = word.strip().casefold()
    for kind in registry.kinds:
        if kind.id.casefold() == wanted:
            return frozenset({kind.id})
    for family in registry.families:
        if family.kinds and (wanted == family.name or wanted in _FAMILY_WORDS.get(family.name, ())):
            return frozenset(kind.id for kind in family.kinds)
    return None


async def show_pending(services: Services, actor: Actor, command: ShowPending) -> Reply:
    """The admins' whole queue, or the reader's own; the admin check is made now, on the server."""
    t = actor_translator(actor)
    admin = await is_admin(services, actor)
    filters = _kind_filter(services, command.kind)
    if filters is None:
        return _unknown_kind(services, t, command.kind)
    wanted = command.approver.strip()
    if wanted and wanted.casefold() in SELF_WORDS:
        filters = _Filters(filters.kind_word, filters.kinds, actor.user_id, actor.name)
    elif wanted:
        if not admin:
            # Someone else's queue is the admins' to see; a non-admin learns nothing about it, not even whether
            # the person exists.
            return Reply(text=t("queue.not_admin"))
        person = await find_person(services.tenant.directory, wanted)
        if person is None:
            return Reply(text=t("queue.unknown_person", name=wanted[:80]))
        filters = _Filters(filters.kind_word, filters.kinds, person.id, person.display_name)
    return Reply(card=await _queue_card(services, actor, t, admin=admin, filters=filters, offset=0))


async def page_clicked(services: Services, actor: Actor, data: QueuePageClick) -> Reply:
    t = actor_translator(actor)
    admin = await is_admin(services, actor)
    filters = await _clicked_filters(services, actor, admin=admin, kind=data.kind, approver_id=data.approver_id)
    if filters is None:
        return Reply(text=t("error.bad_card"))
    offset = max(data.offset or 0, 0)
    return Reply(card=await _queue_card(services, actor, t, admin=admin, filters=filters, offset=offset))


class Queue:
    """The queue's Open button, for requests and incidents alike; ``incidents``: who may read which incident."""

    def __init__(self, incidents: IncidentReaders) -> None:
        self.incidents = incidents

    async def open_clicked(self, services: Services, actor: Actor, data: QueueOpenClick) -> Reply:
        if data.request_id.strip().upper().startswith("INC-"):
            back = _page_data(data.kind, data.approver_id, data.offset or 0)
            return await self.incidents.open_from_queue(services, actor, data.request_id, back)
        return await open_clicked(services, actor, data)


async def open_clicked(services: Services, actor: Actor, data: QueueOpenClick) -> Reply:
    """The request's approval card, with buttons for whoever may decide it now (an entitled approver, any admin
    who neither filed it nor is changed by it; a delegate standing in for an approver), drawn as the kind draws it
    (a clean-up's choices, where Approve would be refused); a person otherwise involved sees its status card;
    anyone else the refusal that says nothing (handlers.access audits it)."""
    found = await access.find(services, actor, data.request_id, Verb.QUEUE_OPEN)
    if isinstance(found, Reply):
        return found
    request, standing = found
    t = actor_translator(actor)
    async with services.uow() as uow:
        view = await request_view(services, uow, request)
    if not (standing.approver or standing.admin):
        return Reply(card=status_card(view, t))
    kind_card = services.kinds.kind(request.kind).approver_card
    delegated = await delegate_card_for(services, view, request, actor.user_id, t)
    if delegated is not None:
        opened = delegated
    elif kind_card is not None:
        opened = kind_card(view, request, t, actor.user_id)
    else:
        opened = approver_card_for(view, request, actor.user_id, t, admin=standing.admin)
    back = execute(t("queue.back"), Verb.QUEUE_PAGE, _page_data(data.kind, data.approver_id, data.offset or 0))
    return Reply(card={**opened, "actions": [*opened.get("actions", []), back]})


def _kind_filter(services: Services, word: str) -> _Filters | None:
    if not word:
        return _Filters("", None, None, "")
    if word.strip().casefold() in INCIDENT_WORDS:
        return _Filters(word.casefold(), frozenset(), None, "", incidents_only=True)
    kinds = kinds_named(services.kinds, word)
    return _Filters(word.casefold(), kinds, None, "") if kinds is not None else None


async def _clicked_filters(
    services: Services, actor: Actor, *, admin: bool, kind: str | None, approver_id: str | None
) -> _Filters | None:
    """A page button's filters read again: a kind word that names nothing is a forged click (None)."""
    filters = _kind_filter(services, kind or "")
    if filters is None or not approver_id:
        return filters
    if filters.incidents_only:
        return None  # incidents have no approvers: no page of the desk's carries both
    if approver_id == actor.user_id:
        return _Filters(filters.kind_word, filters.kinds, actor.user_id, actor.name)
    if not admin:
        return filters  # a non-admin's page is their own queue, whatever the click names
    person = await services.tenant.directory.get_user(approver_id)
    name = person.display_name if person is not None else approver_id
    return _Filters(filters.kind_word, filters.kinds, approver_id, name)


async def _queue_card(
    services: Services, actor: Actor, t: Translator, *, admin: bool, filters: _Filters, offset: int
) -> Element:
    now = services.clock()
    if admin and filters.incidents_only:
        async with services.uow() as uow:
            incidents = await open_incidents(uow.session, offset=offset, limit=PAGE_SIZE)
        view = QueueView(
            items=(), total=0, offset=offset, page_size=PAGE_SIZE, mine=False, kind_label=filters.kind_word,
            page_data=_page_data(filters.kind_word, None, None),
            incidents=tuple(queue_incident(item, now) for item in incidents.items),
            incidents_total=incidents.total, incidents_only=True,
        )
        return queue_card(view, t)
    shown_incidents: tuple[QueueIncident, ...] = ()
    incidents_total = 0
    if admin:
        if offset == 0 and filters.kinds is None and not filters.approver_id:
            async with services.uow() as uow:
                incidents = await open_incidents(uow.session, limit=INCIDENTS_SHOWN)
            shown_incidents = tuple(queue_incident(item, now) for item in incidents.items)
            incidents_total = incidents.total
        states = (RequestState.PENDING.value,) if filters.approver_id else ADMIN_STATES
        async with services.uow() as uow:
            page = await waiting_requests(
                uow.session,
                states=states,
                kinds=filters.kinds,
                approver_id=filters.approver_id,
                offset=offset,
                limit=PAGE_SIZE,
            )
        items, total = page.items, page.total
    else:
        mine = await _waiting_for(services, actor, filters.kinds)
        items, total = tuple(mine[offset : offset + PAGE_SIZE]), len(mine)
    view = QueueView(
        items=tuple(_item(item, now) for item in items),
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        mine=not admin,
        kind_label=filters.kind_word,
        approver_name=filters.approver_name if admin else "",
        page_data=_page_data(filters.kind_word, filters.approver_id if admin else None, None),
        incidents=shown_incidents,
        incidents_total=incidents_total,
    )
    return queue_card(view, t)


async def _waiting_for(services: Services, actor: Actor, kinds: frozenset[str] | None) -> list[WaitingRequest]:
    """Pending requests listing the actor as an approver who may still decide them now, oldest first."""
    async with services.uow() as uow:
        listed = await uow.requests.pending_for_approver(actor.user_id)
    return [
        waiting_request(
            public_id=request.public_id,
            kind=request.kind,
            state=request.state,
            requester_name=request.requester_name,
            target_label=request.target_label,
            payload=request.payload,
            created_at=request.created_at,
            due_at=request.due_at,
        )
        for request in listed
        if (kinds is None or request.kind in kinds) and await access.still_entitled(services, actor, request)
    ]


def _item(item: WaitingRequest, now: datetime) -> QueueItem:
    return QueueItem(
        request_id=item.public_id,
        kind=item.kind,
        state=item.state,
        requester_name=item.requester_name,
        target_label=item.target_label,
        approver_names=item.approver_names,
        created_at=item.created_at,
        age_hours=max(int((now - item.created_at).total_seconds() // 3600), 0),
        due_at=item.due_at,
        # Every request here is still open: it is past due as soon as the desk's clock passes its due time.
        breached=item.due_at is not None and now > item.due_at,
    )


def _page_data(kind: str | None, approver_id: str | None, offset: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if kind:
        data["kind"] = kind
    if approver_id:
        data["approver_id"] = approver_id
    if offset is not None:
        data["offset"] = offset
    return data


def _unknown_kind(services: Services, t: Translator, word: str) -> Reply:
    names = sorted({family.name for family in services.kinds.families if family.kinds})
    kinds = sorted(kind.id for kind in services.kinds.kinds)
    return Reply(text=t("queue.unknown_kind", kind=word[:80], families=", ".join(names), kinds=", ".join(kinds)))

"""The admins' keeps (F20): the lists and shared mailboxes the desk does not ask about because someone kept them —
*Keep* on "Still needed?" until its end, *Keep without owner* on an orphan clean-up for good. ``keeps`` lists them;
``cancel keep <list or mailbox>`` ends one, audited, and the next daily pass asks again if the resource is still
quiet (or still orphaned). Admins only, checked on the server first: anyone else learns nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from cards.i18n import Translator
from cards.still_needed import KeepLine, KeepsView, keeps_card
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.desk_filed.resource import Resource
from kinds.orphans.cleanup import end_keep_without_owner, kept_without_owner
from kinds.still_needed.commands import CancelKeep, ShowKeeps
from storage.models import Request
from storage.repositories.unused_keeps import UnusedKeepRepository
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

KEEP_CANCELLED = "keep.cancelled"  # the audit action
_CANCEL_EXAMPLES = {"en": "cancel keep Sales Team", "pl": "anuluj zachowanie Sales Team",
                    "de": "Behalten aufheben Sales Team"}
_MAX_NAME = 320  # an address's longest; a longer name names nothing


@dataclass(frozen=True, slots=True)
class Keep:
    """A standing keep: ``orphaning`` set for a keep without owner (the orphaning it keeps), else a "Still needed?"
    keep that ends at ``until``."""

    resource: Resource
    until: datetime | None
    request: Request
    kept_by: str
    orphaning: str = ""


async def handle_keeps(services: Services, actor: Actor, command: ShowKeeps | CancelKeep) -> Reply:
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("still_needed.keeps.not_admin"))
    if isinstance(command, CancelKeep):
        return await cancel_keep(services, actor, t, command.name)
    async with services.uow() as uow:
        keeps = await standing_keeps(uow, services.clock())
    lines = tuple(KeepLine(kind=k.resource.kind, name=k.resource.name, address=k.resource.address, until=k.until,
                           kept_by=k.kept_by, request_id=k.request.public_id) for k in keeps)
    view = KeepsView(as_of=services.clock(), keeps=lines, cancel_example=_CANCEL_EXAMPLES[t.language])
    return Reply(card=keeps_card(view, t))


async def standing_keeps(uow: UnitOfWork, now: datetime) -> list[Keep]:
    """Keeps without owner first (they do not end), then "Still needed?" keeps, the soonest to end first."""
    keeps = []
    for orphaning, request_id in await kept_without_owner(uow):
        request = await uow.requests.get(request_id)
        if request is not None:
            keeps.append(Keep(Resource.of(request), None, request, await _kept_by(uow, request), orphaning))
    for row in await UnusedKeepRepository(uow.session).standing(now):
        request = await uow.requests.get(row.request_id)
        if request is not None:
            keeps.append(Keep(Resource.of(request), row.kept_until, request, await _kept_by(uow, request)))
    return keeps


async def _kept_by(uow: UnitOfWork, request: Request) -> str:
    """Who made the choice that keeps it (the request's approving decision)."""
    approved = [d for d in await uow.decisions.for_request(request.id) if d.outcome == "approved"]
    return approved[-1].approver_name if approved else ""


async def cancel_keep(services: Services, actor: Actor, t: Translator, name: str) -> Reply:
    """Ends the one keep whose list or mailbox has this name or address; several with one name: say which."""
    if not name:
        return Reply(text=t("still_needed.keeps.usage", example=_CANCEL_EXAMPLES[t.language]))
    if len(name) > _MAX_NAME:
        return Reply(text=t("still_needed.keeps.not_found", name=name[:100] + "…"))
    wanted = name.casefold()
    now = services.clock()
    async with services.uow() as uow:
        keeps = [k for k in await standing_keeps(uow, now)
                 if wanted in (k.resource.name.casefold(), k.resource.address.casefold())]
        if not keeps:
            return Reply(text=t("still_needed.keeps.not_found", name=name))
        if len({(k.resource.kind, k.resource.identity) for k in keeps}) > 1:
            addresses = ", ".join(sorted({k.resource.address for k in keeps}))
            return Reply(text=t("still_needed.keeps.ambiguous", name=name, addresses=addresses))
        for keep in keeps:  # one resource: its keep, and a keep without owner as well if it has both
            await _end(uow, keep, now)
        keep = keeps[0]
        await uow.audit.append(
            action=KEEP_CANCELLED, request_id=keep.request.id, actor_id=actor.user_id, actor_name=actor.name,
            detail={"resource_kind": keep.resource.kind, "resource_id": keep.resource.identity,
                    "keeps": [{"request": k.request.public_id,
                               "until": k.until.isoformat() if k.until is not None else None} for k in keeps]},
        )
        await uow.commit()
    logger.info("keep of %s %s cancelled by %s", keep.resource.kind, keep.resource.identity, actor.user_id)
    key = "still_needed.keeps.cancelled.orphan" if keep.orphaning else "still_needed.keeps.cancelled.unused"
    return Reply(text=t(key, name=keep.resource.name))


async def _end(uow: UnitOfWork, keep: Keep, now: datetime) -> None:
    if keep.orphaning:
        await end_keep_without_owner(uow, keep.orphaning)
    else:
        await UnusedKeepRepository(uow.session).end(keep.resource.kind, keep.resource.identity, now=now)

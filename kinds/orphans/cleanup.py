"""orphan.cleanup (F20): the desk files its own request for each newly orphaned list or shared mailbox, routed to the
former owner's manager (else the admins), who chooses on its card: take it over, choose a new owner, delete it, or
(admins) keep it without owner. The choice becomes the request's typed plan and approves it (kinds/desk_filed/: the
shared filing, choice and follow-up of requests the desk files itself); this module keeps what is the clean-up's own:
which resources, who decides, and what each choice does.

Each orphaning (a resource with one set of former owners) is claimed once under its own key before it is filed.
Reminders, escalation and the loop running it all are kinds/orphans/follow_up.py.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from cards.i18n import Translator
from cards.orphans import cleanup_card
from cards.verbs import Verb
from cards.views import RequestView
from handlers.approvals import resolve_approvers
from handlers.context import Actor, actor_translator
from handlers.services import Services
from handlers.submission import Draft
from kinds.card_data import bounded
from kinds.desk_filed.filing import FILED_DAY, daily_pass, file_once, submit_as_desk
from kinds.desk_filed.resource import LIST, KeepStep, Resource
from kinds.desk_filed.spec import DeskFiled, Plan
from kinds.lists.steps import ListDeletion, ListUpdate
from kinds.mailboxes.lookup import people
from kinds.mailboxes.records import RecordMailboxOwners
from kinds.mailboxes.steps import DeleteMailbox
from kinds.steps import Step, StepContext
from m365.outcomes import StepOutcome
from m365.ports import DirectoryUser
from storage.models import Request
from storage.repositories.orphans import OrphanedResource, OrphanRepository
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

KIND = "orphan.cleanup"
# The desk files these requests in its own name; like "desk:expiry", not an Entra object id.
DESK_ORPHANS_ID = "desk:orphans"
KEPT_DAY = "kept"  # the "day" of a keep record: it does not lapse
KEPT = "kept:"  # the prefix of a keep record's key: "kept:" + the orphaning's key
_REQUEST_ID = 64_000  # as kinds/desk.py: a forged id is refused and audited cut by handlers.access


@dataclass(frozen=True, slots=True)
class CleanupClick:
    """A choice on the clean-up card: which request, at which version; ``owner`` for "choose a new owner"."""

    request_id: str = bounded(_REQUEST_ID)
    version: int | None = None
    owner: str | None = bounded(320, optional=True)


@dataclass(frozen=True, slots=True)
class KeepWithoutOwner(KeepStep):
    """An admin keeps the resource without an owner: the desk records it, so the orphaning is not raised again."""

    op = "keep_without_owner"

    orphaning: str  # the key of the orphaning this keeps (orphaning_key)

    async def apply(self, context: StepContext) -> StepOutcome:
        async with context.uow() as uow:
            recorded = await uow.alerts.claim(
                kept_key(self.orphaning), KEPT_DAY,
                detail={"request_id": context.request_id, "kind": self.resource_kind, "identity": self.identity},
                now=context.clock(),
            )
            await uow.commit()
        return StepOutcome.DONE if recorded else StepOutcome.ALREADY_DONE


STEPS: tuple[type[Step], ...] = (ListUpdate, ListDeletion, RecordMailboxOwners, DeleteMailbox, KeepWithoutOwner)


def orphaning_key(item: OrphanedResource) -> str:
    """One orphaning: the resource and the owners it lost (new owners who go later make a new one)."""
    owners = "\n".join(sorted(owner.address.casefold() for owner in item.former_owners))
    digest = hashlib.sha256(owners.encode()).hexdigest()[:16]
    return f"orphan:{item.kind}:{item.identity}:{digest}"


def kept_key(orphaning: str) -> str:
    return KEPT + orphaning


async def kept_without_owner(uow: UnitOfWork) -> list[tuple[str, int]]:
    """Every standing "Keep without owner": (the orphaning it keeps, the clean-up request that chose it)."""
    return [(sent.alert_key.removeprefix(KEPT), int(sent.detail["request_id"]))
            for sent in await uow.alerts.sent_on(KEPT_DAY) if sent.alert_key.startswith(KEPT + "orphan:")]


async def end_keep_without_owner(uow: UnitOfWork, orphaning: str) -> None:
    """Forgets the keep and the orphaning's claim: the next pass files a clean-up again if it is still orphaned."""
    await uow.alerts.release(kept_key(orphaning), KEPT_DAY)
    await uow.alerts.release(orphaning, FILED_DAY)


# ------------------------------------------------------------------ the periodic pass


async def run_orphan_pass(services: Services) -> int:
    """The day's pass, run by whichever replica claims it first; returns how many requests it filed."""
    return await daily_pass(services, CLEANUP, partial(file_new_orphans, services))


async def file_new_orphans(services: Services) -> int:
    """A request for each orphaning not claimed before; safe to run on several replicas at once."""
    async with services.uow() as uow:
        orphans = OrphanRepository(uow.session)
        found = [*(await orphans.orphaned_lists(limit=None)).items,
                 *(await orphans.orphaned_mailboxes(limit=None)).items]
    filed = 0
    for item in found:
        key = orphaning_key(item)
        if await file_once(services, key, item.identity, partial(file_cleanup, services, item, key)):
            filed += 1
    return filed


async def file_cleanup(services: Services, item: OrphanedResource, key: str) -> int | None:
    """Files the request (no plan yet: the decider's choice makes it); its stored id, or None when nobody decides."""
    manager = await _deciding_manager(services, item)
    if manager is not None:
        approver_ids, approver_names, route = [manager.id], [manager.display_name], "owners"
    else:
        approvers = await resolve_approvers(services, DESK_ORPHANS_ID)
        approver_ids, approver_names, route = approvers.ids, approvers.names, approvers.route
    if not approver_ids:
        logger.warning("no one to decide the clean-up of %s %s", item.kind, item.identity)
        return None
    former = ", ".join(f"{owner.name} <{owner.address}>" for owner in item.former_owners)
    resource = Resource(item.kind, item.identity, item.display_name, item.address)
    facts = [("orphans.field.resource", resource.label)]
    if former:
        facts.append(("orphans.field.former_owners", former))
    draft = Draft(
        kind=KIND,
        target_id=item.identity,
        target_label=resource.label,
        payload={"key": key, "route": route, "manager_id": manager.id if manager is not None else None,
                 **resource.payload()},
        plan=(),
        approver_ids=approver_ids,
        approver_names=approver_names,
        facts=facts,
    )
    return await submit_as_desk(services, CLEANUP, draft)


async def _deciding_manager(services: Services, item: OrphanedResource) -> DirectoryUser | None:
    """The first former owner's manager who is still an enabled account (asked of the directory now)."""
    for owner in item.former_owners:
        if owner.manager_id and owner.manager_live:
            manager = await services.tenant.directory.get_user(owner.manager_id)
            if manager is not None and manager.account_enabled:
                return manager
    return None


# ------------------------------------------------------------------ who decides, and the card they decide on


async def is_deciding_manager(services: Services, actor: Actor, request: Request) -> bool:
    """Kind.owns: the manager the request was routed to decides while their account is enabled."""
    if actor.user_id != request.payload.get("manager_id"):
        return False
    person = await services.tenant.directory.get_user(actor.user_id)
    return person is not None and person.account_enabled


def decider_card(view: RequestView, request: Request, t: Translator, reader_id: str, *,
                 notice: str | None = None) -> dict[str, Any]:
    """Kind.approver_card: the four choices instead of Approve / Reject (``notice``: a reminder's words on top)."""
    can_decide = reader_id in request.approver_ids and reader_id != request.requester_id
    return cleanup_card(view, t, can_decide=can_decide, can_keep=offers_keep(request, reader_id), notice=notice)


def offers_keep(request: Request, reader_id: str) -> bool:
    """"Keep without owner" is the admins' choice: on a request routed to them, or to those it was escalated to."""
    return request.payload.get("route") == "admins" or reader_id in request.payload.get("escalated_to", ())


# ------------------------------------------------------------------ the choices


async def plan_for(services: Services, actor: Actor, choice: Verb, data: CleanupClick, request: Request) -> Plan | str:
    """The typed plan of a choice and the decision's reason in the decider's words; a refusal's notice otherwise."""
    t = actor_translator(actor)
    resource = Resource.of(request)
    if choice is Verb.ORPHAN_DELETE:
        return (resource.deletion(),), t("orphans.cleanup.reason.delete")
    if choice is Verb.ORPHAN_KEEP:
        keep = KeepWithoutOwner(resource_kind=resource.kind, identity=resource.identity, name=resource.name,
                                orphaning=request.payload["key"])
        return (keep,), t("orphans.cleanup.reason.keep")
    if choice is Verb.ORPHAN_TAKE_OVER:
        person = await services.tenant.directory.get_user(actor.user_id)
        if person is None or not person.mail:
            return t("orphans.cleanup.no_mail")  # the decider has no mail address to own anything with
        reason = t("orphans.cleanup.reason.take_over")
    else:
        owner = data.owner
        if not owner:
            return t("orphans.cleanup.new_owner")
        found, refused = await people(services, (owner,))
        if refused or len(found) != 1:
            return t("orphans.cleanup.owner_refused", owner=owner[:100])
        person = found[0]
        if not person.mail:
            return t("orphans.cleanup.owner_refused", owner=owner[:100])
        reason = t("orphans.cleanup.reason.new_owner", owner=person.display_name)
    assert person.mail is not None
    if resource.kind == LIST:
        return (ListUpdate(list_id=resource.identity, list_name=resource.name, add_owners=(person.mail,)),), reason
    record = RecordMailboxOwners(address=resource.address, mailbox=resource.name, user=person.display_name,
                                 owner_ids=(person.id,), owner_addresses=(person.mail,),
                                 owner_names=(person.display_name,))
    return (record,), reason


CLEANUP = DeskFiled(
    kind=KIND,
    desk_id=DESK_ORPHANS_ID,
    claims="orphan",
    pass_key="orphans.pass",
    card=decider_card,
    choices=(Verb.ORPHAN_TAKE_OVER, Verb.ORPHAN_CHOOSE_OWNER, Verb.ORPHAN_DELETE, Verb.ORPHAN_KEEP),
    click=CleanupClick,
    plan_for=plan_for,
    not_decider="orphans.cleanup.not_decider",
    reminder="orphans.reminder",
    escalated="orphans.escalated",
    admins_only=frozenset({Verb.ORPHAN_KEEP}),
    admins_only_notice="orphans.cleanup.keep_admins_only",
)

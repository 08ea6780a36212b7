"""orphan.cleanup (F20): the desk files its own request for each newly orphaned list or shared mailbox, routed to the
former owner's manager (else the admins), who chooses on its card: take it over, choose a new owner, delete it, or
(admins) keep it without owner. The choice becomes the request's typed plan and approves it in one versioned
update, so it executes through the shared lifecycle (audited, exactly once).

The periodic pass runs once per day across replicas (the alerts' unique key, storage/repositories/reports.py), and
each orphaning (a resource with one set of former owners) is claimed once under its own key before it is filed.
Reminders and escalation on the business-hours clock, and the loop running it all, are kinds/orphans/follow_up.py.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from cards.i18n import Translator
from cards.orphans import cleanup_card
from cards.verbs import Verb
from cards.views import RequestView
from handlers import access
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import InvalidTransition, RequestEvent, RequestState, next_state
from handlers.request_views import request_view
from handlers.services import Services
from handlers.submission import EXECUTE_JOB, Draft, record_transition, submit
from kinds.card_data import bounded
from kinds.lists.steps import ListDeletion, ListUpdate
from kinds.mailboxes.lookup import people
from kinds.mailboxes.records import RecordMailboxOwners
from kinds.mailboxes.steps import DeleteMailbox
from kinds.steps import Step, StepContext, dump_plan
from m365.outcomes import StepOutcome
from m365.ports import DirectoryUser
from storage.errors import StaleVersion
from storage.models import Request
from storage.repositories.orphans import LIST, OrphanedResource, OrphanRepository

logger = logging.getLogger(__name__)

KIND = "orphan.cleanup"
# The desk files these requests in its own name; like "desk:expiry", not an Entra object id.
DESK_ORPHANS_ID = "desk:orphans"
DESK_NAME = "M365 Desk"
PASS_KEY = "orphans.pass"  # claimed once per day: one replica runs the day's pass
KEPT_DAY = "kept"  # the "day" of a keep record: it does not lapse
FILED_DAY = "filed"  # the "day" of an orphaning's claim: one request per orphaning, ever
_REQUEST_ID = 64_000  # as kinds/desk.py: a forged id is refused and audited cut by handlers.access


@dataclass(frozen=True, slots=True)
class CleanupClick:
    """A choice on the clean-up card: which request, at which version; ``owner`` for "choose a new owner"."""

    request_id: str = bounded(_REQUEST_ID)
    version: int | None = None
    owner: str | None = bounded(320, optional=True)


@dataclass(frozen=True, slots=True)
class KeepWithoutOwner(Step):
    """An admin keeps the resource without an owner: the desk records it, so the orphaning is not raised again."""

    op = "keep_without_owner"

    resource_kind: str  # list | mailbox
    identity: str
    name: str  # the resource's display name, for the step's message
    orphaning: str  # the key of the orphaning this keeps (orphaning_key)

    def params(self) -> dict[str, str]:
        return {"name": self.name}

    def label(self) -> str:
        return self.name

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
    return "kept:" + orphaning


# ------------------------------------------------------------------ the periodic pass


async def run_orphan_pass(services: Services) -> int:
    """The day's pass, run by whichever replica claims it first; returns how many requests it filed."""
    now = services.clock()
    day = now.astimezone(services.calendar.zone).date().isoformat()
    async with services.uow() as uow:
        claimed = await uow.alerts.claim(PASS_KEY, day, detail={}, now=now)
        await uow.commit()
    return await file_new_orphans(services) if claimed else 0


async def file_new_orphans(services: Services) -> int:
    """A request for each orphaning not claimed before; safe to run on several replicas at once."""
    async with services.uow() as uow:
        orphans = OrphanRepository(uow.session)
        found = [*(await orphans.orphaned_lists(limit=None)).items,
                 *(await orphans.orphaned_mailboxes(limit=None)).items]
    filed = 0
    for item in found:
        key = orphaning_key(item)
        async with services.uow() as uow:
            won = await uow.alerts.claim(key, FILED_DAY, detail={"identity": item.identity}, now=services.clock())
            await uow.commit()
        if not won:
            continue
        try:
            request_id = await file_cleanup(services, item, key)
        except Exception:  # noqa: BLE001 - one resource we cannot file must not stop the others
            logger.exception("filing the clean-up of %s %s failed", item.kind, item.identity)
            request_id = None
        if request_id is None:
            async with services.uow() as uow:  # give the claim back: the next pass tries again
                await uow.alerts.release(key, FILED_DAY)
                await uow.commit()
            continue
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
    facts = [("orphans.field.resource", f"{item.display_name} <{item.address}>")]
    if former:
        facts.append(("orphans.field.former_owners", former))
    draft = Draft(
        kind=KIND,
        target_id=item.identity,
        target_label=f"{item.display_name} <{item.address}>",
        payload={
            "key": key,
            "route": route,
            "manager_id": manager.id if manager is not None else None,
            "resource_kind": item.kind,
            "resource_id": item.identity,
            "resource_name": item.display_name,
            "resource_address": item.address,
        },
        plan=(),
        approver_ids=approver_ids,
        approver_names=approver_names,
        facts=facts,
    )
    desk = Actor(user_id=DESK_ORPHANS_ID, name=DESK_NAME, tenant_id="", locale="en-US")
    reply = await submit(services, desk, draft)
    return reply.status_card_of


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


async def take_over(services: Services, actor: Actor, data: CleanupClick) -> Reply:
    return await _choose(services, actor, data, Verb.ORPHAN_TAKE_OVER)


async def choose_owner(services: Services, actor: Actor, data: CleanupClick) -> Reply:
    return await _choose(services, actor, data, Verb.ORPHAN_CHOOSE_OWNER)


async def delete_it(services: Services, actor: Actor, data: CleanupClick) -> Reply:
    return await _choose(services, actor, data, Verb.ORPHAN_DELETE)


async def keep_it(services: Services, actor: Actor, data: CleanupClick) -> Reply:
    return await _choose(services, actor, data, Verb.ORPHAN_KEEP)


async def _choose(services: Services, actor: Actor, data: CleanupClick, choice: Verb) -> Reply:
    """Checks the click like a decision (handlers.approvals.decide), then stores the chosen plan and approves it in
    one versioned update: of two choices at once, exactly one wins."""
    t = actor_translator(actor)
    found = await access.find(services, actor, data.request_id, choice, kind=KIND)
    if isinstance(found, Reply):
        return found
    seen, standing = found
    public_id = seen.public_id
    if not standing.may_decide:
        await access.record_refusal(services, actor, choice, access.Why.NOT_APPROVER, public_id=public_id,
                                    request=seen)
        return await _current(services, actor, public_id, t("orphans.cleanup.not_decider"))
    if choice is Verb.ORPHAN_KEEP and not standing.admin:
        await access.record_refusal(services, actor, choice, access.Why.NOT_APPROVER, public_id=public_id,
                                    request=seen)
        return await _current(services, actor, public_id, t("orphans.cleanup.keep_admins_only"))
    if seen.state != RequestState.PENDING:
        return await _current(services, actor, public_id, _decided(t, public_id, seen.state))
    if data.version != seen.version:
        return await _current(services, actor, public_id, t("approval.stale", request_id=public_id))
    plan = await _plan_for(services, actor, seen, choice, data.owner)
    if isinstance(plan, str):
        return await _current(services, actor, public_id, plan if plan else t("orphans.cleanup.no_mail"))
    steps, reason = plan
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id, for_update=True)
        assert request is not None  # requests are never deleted
        request.plan = dump_plan(steps)
        try:
            new_state = next_state(request.state, RequestEvent.APPROVE)
            await uow.requests.transition(request, new_state.value, expected_version=data.version,
                                          now=services.clock())
        except (StaleVersion, InvalidTransition):
            await uow.rollback()
            async with services.uow() as again:
                current = await again.requests.get_by_public_id(public_id)
            state = current.state if current is not None else seen.state
            return await _current(services, actor, public_id, _decided(t, public_id, state))
        await uow.decisions.add(request_id=request.id, approver_id=actor.user_id, approver_name=actor.name,
                                outcome="approved", reason=reason, at=services.clock())
        await uow.jobs.enqueue(request.id, EXECUTE_JOB)
        await record_transition(uow, request, new_state.value, actor, reason=reason, choice=choice.value)
        await uow.commit()
        view = await request_view(services, uow, request)
    services.wake_jobs()
    logger.info("orphan clean-up %s: %s by %s", public_id, choice.value, actor.user_id)
    return Reply(card=decider_card(view, request, t, actor.user_id))


async def _plan_for(
    services: Services, actor: Actor, request: Request, choice: Verb, owner: str | None
) -> tuple[tuple[Step, ...], str] | str:
    """The typed plan of a choice and the decision's reason in the decider's words; a refusal's notice otherwise
    ("" = the decider has no mail address to own anything with)."""
    t = actor_translator(actor)
    payload = request.payload
    kind, identity = payload["resource_kind"], payload["resource_id"]
    name, address = payload["resource_name"], payload["resource_address"]
    if choice is Verb.ORPHAN_DELETE:
        deletion: Step = (ListDeletion(list_id=identity, list_name=name, address=address) if kind == LIST
                          else DeleteMailbox(mailbox_id=identity, mailbox=name))
        return (deletion,), t("orphans.cleanup.reason.delete")
    if choice is Verb.ORPHAN_KEEP:
        keep = KeepWithoutOwner(resource_kind=kind, identity=identity, name=name, orphaning=payload["key"])
        return (keep,), t("orphans.cleanup.reason.keep")
    if choice is Verb.ORPHAN_TAKE_OVER:
        person = await services.tenant.directory.get_user(actor.user_id)
        if person is None or not person.mail:
            return ""
        reason = t("orphans.cleanup.reason.take_over")
    else:
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
    if kind == LIST:
        return (ListUpdate(list_id=identity, list_name=name, add_owners=(person.mail,)),), reason
    record = RecordMailboxOwners(address=address, mailbox=name, user=person.display_name, owner_ids=(person.id,),
                                 owner_addresses=(person.mail,), owner_names=(person.display_name,))
    return (record,), reason


def _decided(t: Translator, public_id: str, state: str) -> str:
    return t("approval.already_decided", request_id=public_id, state=t("request.state." + state))


async def _current(services: Services, actor: Actor, public_id: str, notice: str) -> Reply:
    t = actor_translator(actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        view = await request_view(services, uow, request)
    card = cleanup_card(view, t, can_decide=actor.user_id in request.approver_ids,
                        can_keep=offers_keep(request, actor.user_id), notice=notice)
    return Reply(text=notice, card=card)

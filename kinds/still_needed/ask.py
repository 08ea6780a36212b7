"""still.needed (F20): the desk asks the owners of each list or shared mailbox that has been quiet for the admins'
period "Still needed?" — a request filed in the desk's own name ("desk:unused") with no plan until an owner
chooses on its card: *Keep* (for the keep period) or *Delete*. The choice becomes the request's typed plan and
approves it (kinds/desk_filed/: the shared filing, choice and follow-up of requests the desk files itself); a keep
is stored (unused_keeps) and nobody is asked about that resource again until the keep has run out and it is still
quiet. This module keeps what is the question's own: which resources, who owns them, and what each choice does.

Each quiet period of a resource is claimed once under its own key before it is filed, so several replicas file one
request; the pass itself runs once per day across replicas.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from cards.i18n import Translator
from cards.still_needed import still_needed_card
from cards.verbs import Verb
from cards.views import RequestView
from handlers.approvals import resolve_approvers
from handlers.context import Actor, actor_translator
from handlers.services import Services
from handlers.submission import Draft
from kinds.card_data import bounded
from kinds.desk_filed.filing import daily_pass, file_once, submit_as_desk
from kinds.desk_filed.resource import LIST, MAILBOX, KeepStep, Resource
from kinds.desk_filed.spec import DeskFiled, Plan
from kinds.lists.lookup import owns_request_list
from kinds.lists.steps import ListDeletion
from kinds.mailboxes.lookup import owns_request_mailbox
from kinds.mailboxes.steps import DeleteMailbox
from kinds.steps import Step, StepContext
from kinds.usage.collect import covered_since
from kinds.usage.unused import NamesConcealed, unused_lists, unused_mailboxes
from m365.outcomes import StepOutcome
from m365.ports import DirectoryUser
from storage.models import Request
from storage.repositories.unused import UnusedReportRepository
from storage.repositories.unused_keeps import UnusedKeepRepository

logger = logging.getLogger(__name__)

KIND = "still.needed"
# The desk files these requests in its own name; like "desk:orphans", not an Entra object id.
DESK_UNUSED_ID = "desk:unused"
REPORT_PERIOD_DAYS = 180  # the mailbox usage report's longest period
_REQUEST_ID = 64_000  # as kinds/desk.py: a forged id is refused and audited by handlers.access


@dataclass(frozen=True, slots=True)
class StillNeededPolicy:
    """The admins' thresholds in days: quiet lists, quiet mailboxes, and how long a keep silences the question."""

    list_days: int = 90
    mailbox_days: int = 60
    keep_days: int = 180


@dataclass(frozen=True, slots=True)
class StillNeededClick:
    """A choice on the "Still needed?" card: which request, at which version."""

    request_id: str = bounded(_REQUEST_ID)
    version: int | None = None


@dataclass(frozen=True, slots=True)
class Quiet:
    """A resource quiet for the period, with the owners to ask (directory users, live ones only)."""

    kind: str  # LIST | MAILBOX
    identity: str
    name: str
    address: str
    owners: tuple[DirectoryUser, ...]
    last_activity: str  # ISO date or "" for never seen


@dataclass(frozen=True, slots=True)
class KeepUnused(KeepStep):
    """An owner keeps the resource: the desk stores until when, so nobody is asked again before then."""

    op = "keep_unused"

    until: str  # ISO moment the keep runs out

    async def apply(self, context: StepContext) -> StepOutcome:
        async with context.uow() as uow:
            stored = await UnusedKeepRepository(uow.session).keep(
                self.resource_kind, self.identity, until=datetime.fromisoformat(self.until),
                request_id=context.request_id, now=context.clock())
            await uow.commit()
        return StepOutcome.DONE if stored else StepOutcome.ALREADY_DONE


STEPS: tuple[type[Step], ...] = (ListDeletion, DeleteMailbox, KeepUnused)


def quiet_key(kind: str, identity: str, kept_until: datetime | None) -> str:
    """One quiet period of a resource: the first, or the one after each keep ran out."""
    return f"still:{kind}:{identity}:{kept_until.isoformat() if kept_until is not None else 'first'}"


# ------------------------------------------------------------------ the periodic pass


async def run_still_needed_pass(services: Services, policy: StillNeededPolicy) -> int:
    """The day's pass, run by whichever replica claims it first; returns how many requests it filed."""
    return await daily_pass(services, STILL_NEEDED, partial(file_still_needed, services, policy))


async def file_still_needed(services: Services, policy: StillNeededPolicy) -> int:
    """A request for each quiet resource not kept and not asked about in this quiet period; safe on several
    replicas at once."""
    now = services.clock()
    async with services.uow() as uow:
        kept = await UnusedKeepRepository(uow.session).kept_until()
    filed = 0
    for item in [*await quiet_lists(services, policy), *await quiet_mailboxes(services, policy)]:
        until = kept.get((item.kind, item.identity))
        if until is not None and until > now:
            continue  # kept: not asked again before the keep runs out
        key = quiet_key(item.kind, item.identity, until)
        if await file_once(services, key, item.identity, partial(file_request, services, item, policy)):
            filed += 1
    return filed


async def quiet_lists(services: Services, policy: StillNeededPolicy) -> list[Quiet]:
    """Lists quiet for ``list_days`` by the desk's "last mail seen" (none before the desk has collected once)."""
    since = await covered_since(services)
    if since is None:
        return []
    async with services.uow() as uow:
        lists = await UnusedReportRepository(uow.session).all_lists()
        seen = await uow.last_mail_seen.last_seen(dl.primary_smtp_address for dl in lists)
    by_address = {dl.primary_smtp_address.lower(): dl for dl in lists}
    found = []
    for resource in unused_lists(lists, seen, since, services.clock(), policy.list_days):
        dl = by_address[resource.address.lower()]
        owners = []
        for address in dl.managed_by:  # ManagedBy as the cache has it; each click re-checks it live
            person = await services.tenant.directory.get_user(address)
            if person is not None:
                owners.append(person)
        found.append(Quiet(LIST, dl.identity, dl.display_name, dl.primary_smtp_address, tuple(owners),
                           _iso(resource.last_activity)))
    return found


async def quiet_mailboxes(services: Services, policy: StillNeededPolicy) -> list[Quiet]:
    """Shared mailboxes quiet for ``mailbox_days`` by the usage report; none when it conceals names."""
    usage = services.tenant.usage
    if usage is None or await usage.names_concealed():
        return []
    rows = await usage.mailbox_usage(REPORT_PERIOD_DAYS)
    async with services.uow() as uow:
        mailboxes = await UnusedReportRepository(uow.session).all_mailboxes()
        recorded = {m.identity: await uow.mailbox_owners.of(m.identity) for m in mailboxes}
    try:
        quiet = unused_mailboxes(mailboxes, rows, concealed=False, today=services.clock().date(),
                                 days=policy.mailbox_days, owners={})
    except NamesConcealed:
        return []
    by_address = {m.primary_smtp_address.lower(): m for m in mailboxes}
    found = []
    for resource in quiet:
        mailbox = by_address[resource.address.lower()]
        owners = []
        for user_id, _address, _name in recorded.get(mailbox.identity, []):
            person = await services.tenant.directory.get_user(user_id)
            if person is not None:
                owners.append(person)
        found.append(Quiet(MAILBOX, mailbox.identity, mailbox.display_name, mailbox.primary_smtp_address,
                           tuple(owners), _iso(resource.last_activity)))
    return found


def _iso(moment: object) -> str:
    return moment.isoformat() if moment is not None and hasattr(moment, "isoformat") else ""


async def file_request(services: Services, item: Quiet, policy: StillNeededPolicy) -> int | None:
    """Files the request (no plan yet: the owner's choice makes it); its stored id, or None when nobody decides."""
    approvers = await resolve_approvers(services, DESK_UNUSED_ID, owners=item.owners)
    if not approvers.ids:
        logger.warning("no one to ask whether %s %s is still needed", item.kind, item.identity)
        return None
    quiet_days = policy.list_days if item.kind == LIST else policy.mailbox_days
    resource = Resource(item.kind, item.identity, item.name, item.address)
    facts = [("still_needed.field.resource", resource.label), ("still_needed.field.quiet_days", str(quiet_days))]
    if item.last_activity:
        facts.append(("still_needed.field.last_activity", item.last_activity[:10]))
    draft = Draft(
        kind=KIND,
        target_id=item.identity,
        target_label=resource.label,
        payload={"route": approvers.route, **resource.payload(), "keep_days": policy.keep_days},
        plan=(),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=facts,
    )
    return await submit_as_desk(services, STILL_NEEDED, draft)


# ------------------------------------------------------------------ who decides, and the card they decide on


async def owns_resource(services: Services, actor: Actor, request: Request) -> bool:
    """Kind.owns: a list's owner read live from Exchange, a mailbox's owner from the desk's record, now."""
    if request.payload.get("resource_kind") == LIST:
        return await owns_request_list(services, actor, request)
    return await owns_request_mailbox(services, actor, request)


def decider_card(view: RequestView, request: Request, t: Translator, reader_id: str, *,
                 notice: str | None = None) -> dict[str, Any]:
    """Kind.approver_card: Keep / Delete instead of Approve / Reject (``notice``: a reminder's words on top)."""
    can_decide = reader_id in request.approver_ids and reader_id != request.requester_id
    return still_needed_card(view, t, can_decide=can_decide, keep_days=int(request.payload.get("keep_days", 0)),
                             notice=notice)


# ------------------------------------------------------------------ the choices


# ------------------------------------------------------------------ the choices


async def plan_for(services: Services, actor: Actor, choice: Verb, _data: StillNeededClick, request: Request) -> Plan:
    """The typed plan of a choice and the decision's reason in the decider's words."""
    t = actor_translator(actor)
    resource = Resource.of(request)
    if choice is Verb.STILL_NEEDED_DELETE:
        return (resource.deletion(),), t("still_needed.reason.delete")
    keep_days = int(request.payload.get("keep_days", StillNeededPolicy().keep_days))
    until = services.clock() + timedelta(days=keep_days)
    keep = KeepUnused(resource_kind=resource.kind, identity=resource.identity, name=resource.name,
                      until=until.isoformat())
    return (keep,), t("still_needed.reason.keep")


STILL_NEEDED = DeskFiled(
    kind=KIND,
    desk_id=DESK_UNUSED_ID,
    claims="still_needed",
    pass_key="still_needed.pass",
    card=decider_card,
    choices=(Verb.STILL_NEEDED_KEEP, Verb.STILL_NEEDED_DELETE),
    click=StillNeededClick,
    plan_for=plan_for,
    not_decider="still_needed.not_decider",
    reminder="still_needed.reminder",
    escalated="still_needed.escalated",
)

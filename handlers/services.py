"""The dependencies handlers share, built once by app.py: storage, ports, messenger, policy, prices, clock, SLA."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from handlers.business_time import BusinessCalendar
from handlers.context import Actor, Messenger
from handlers.mail_policy import MailPolicy
from handlers.plans import PlanCatalogue, PriceTable
from handlers.refusals import RefusalBudget
from handlers.report_policy import ReportPolicy
from handlers.routing_policy import RoutingPolicy, default_policy
from handlers.sla_targets import SlaTargets
from kinds.registry import Registry
from m365.ports import Tenant
from storage.uow import UnitOfWorkFactory


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ApprovalPolicy:
    """Who decides: members of the admins group (DSM_Admins) and, for lists, the list's owners."""

    admins_group_id: str
    # Who marks seat orders fulfilled (the people who order from the CSP partner); "" = the admins group.
    fulfillers_group_id: str = ""
    # F9 "for oneself or others": admins may ask for anyone; managers, when this allows, for their direct reports.
    managers_may_request_for_reports: bool = True

    @property
    def fulfillers(self) -> str:
        return self.fulfillers_group_id or self.admins_group_id


@dataclass(slots=True)
class Services:
    uow: UnitOfWorkFactory
    tenant: Tenant
    messenger: Messenger
    policy: ApprovalPolicy
    plans: PlanCatalogue
    # Every request kind: its commands, verbs, plan step types and card hooks (kinds/, registered in app.py).
    kinds: Registry
    # The price file's prices (read once at startup); prices admins set in chat are in the database and win.
    prices: PriceTable = field(default_factory=PriceTable)
    clock: Callable[[], datetime] = utc_now
    # The SLA clock (F17): business time and each request kind's target, from settings.
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    sla: SlaTargets = field(default_factory=SlaTargets)
    # Wakes the job runner right after a commit that enqueued work, so nobody waits for the next poll.
    wake_jobs: Callable[[], None] = field(default=lambda: None)
    # License reports and alerts (F11): plan overlaps, compliance rules, alert thresholds, download links.
    reports: ReportPolicy = field(default_factory=ReportPolicy)
    # Each person's budget of audited refused clicks (handlers.access), so a flood cannot queue everyone's writes.
    refusals: RefusalBudget = field(default_factory=RefusalBudget)
    # E-mail notifications (F16): the sender mailbox (none = no e-mail), people's default, the sending limit.
    mail: MailPolicy = field(default_factory=MailPolicy)
    # The routing policy (F14): stages, auto-approve rules in force, SLA and intervals per kind (DESK_ROUTING_POLICY,
    # loaded in app.py); left out, the built-in defaults for ``kinds`` and ``sla``, which are today's behaviour.
    routing: RoutingPolicy = field(default_factory=lambda: RoutingPolicy(digest=""))

    def __post_init__(self) -> None:
        if not self.routing.bound:
            self.routing = default_policy(self.kinds, self.sla)


async def is_admin(services: Services, actor: Actor) -> bool:
    """Membership asked of the directory at the moment of use; an unconfigured admins group means nobody."""
    group_id = services.policy.admins_group_id
    return bool(group_id) and await services.tenant.directory.is_member_of(actor.user_id, group_id)


async def may_request_for(services: Services, actor: Actor, user_id: str) -> bool:
    """Whether the actor may file a license or membership request about this person (F9's policy).

    Oneself always; anyone else only as an admin or, when the policy allows, as the person's manager in the
    directory (direct reports only: a manager's manager is not asked, the line manager is the one who knows).
    """
    if user_id.lower() == actor.user_id.lower():
        return True
    if await is_admin(services, actor):
        return True
    return await is_manager_of(services, actor, user_id)


async def is_manager_of(services: Services, actor: Actor, user_id: str) -> bool:
    """The manager part of the policy alone, for callers that already know whether the actor is an admin."""
    if not services.policy.managers_may_request_for_reports:
        return False
    manager_id = await services.tenant.directory.manager_id(user_id)
    return manager_id is not None and manager_id.lower() == actor.user_id.lower()

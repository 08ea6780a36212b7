"""A person's request to join or leave a list themselves (dl.join, dl.leave): the list found and checked live in
Exchange, one open request per person and list, routed to the list's owners, or approved by policy when the list is
Open in that direction, as Exchange itself would let them. kinds/lists/join.py and members.py say what differs."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft, find_open, submit
from kinds.lists.lookup import Then, find_changeable_list, is_member_in_exchange, owners_of, requester_address
from kinds.lists.steps import MemberAddition, MemberRemoval
from kinds.recipients import label


@dataclass(frozen=True, slots=True)
class OwnMembership:
    """Joining or leaving: the kind, its plan step, the choice card's button for a name several lists share, and
    the message keys for a person already where they ask to go and for a request of theirs still open."""

    kind: str
    step: type[MemberAddition] | type[MemberRemoval]
    pick: Then
    already: str  # message key (list)
    pending: str  # message key (list, request_id)
    open_policy: str  # the F14 rule (message key) that approves it on an Open list

    @property
    def joining(self) -> bool:
        return self.step is MemberAddition


async def request_own_membership(services: Services, actor: Actor, list_name: str, change: OwnMembership) -> Reply:
    t = actor_translator(actor)
    found = await find_changeable_list(services, t, list_name, then=change.pick)
    if isinstance(found, Reply):
        return found
    address = await requester_address(services, actor)
    if not address:
        return Reply(text=t("dl.no_mailbox"))
    if await is_member_in_exchange(services, found, address) == change.joining:
        return Reply(text=t(change.already, list=found.display_name))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=change.kind, requester_id=actor.user_id, target_id=found.identity,
                                  key=address)
    if pending:
        return Reply(text=t(change.pending, list=found.display_name, request_id=pending.public_id))

    restriction = found.member_join_restriction if change.joining else found.member_depart_restriction
    open_list = restriction.casefold() == "open"
    owners = [] if open_list else await owners_of(services, found)
    approvers = await resolve_approvers(services, actor.user_id, owners=owners)
    if not open_list and not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    draft = Draft(
        kind=change.kind,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": address, "route": approvers.route, "list_address": found.primary_smtp_address},
        plan=(change.step(list_id=found.identity, list_name=found.display_name, member=address,
                          member_name=actor.name),),
        approver_ids=[] if open_list else approvers.ids,
        approver_names=[] if open_list else approvers.names,
        facts=[],
    )
    return await submit(services, actor, draft, auto_approve=change.open_policy if open_list else None)

"""Membership requests of the lists family (F4): dl.leave (leaving a list; an Open list by policy, else its owners
decide) and dl.members (an owner's or admin's additions and removals, one or many addresses, each checked and
reported on its own) — validated live in Exchange before anything is filed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cards.verbs import Verb
from handlers.commands import MAX_MESSAGE, argument_too_long
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from handlers.submission import Draft, submit
from kinds.card_data import bounded
from kinds.lists.commands import ChangeMembers, LeaveList
from kinds.lists.lookup import (
    MAX_LIST_REF,
    MEMBER_TYPES,
    ListClick,
    find_changeable_list,
    find_recipients,
    owns,
    requester_address,
    split_addresses,
)
from kinds.lists.own_membership import OwnMembership, request_own_membership
from kinds.lists.steps import MemberAddition, MemberRemoval
from kinds.recipients import ADDRESS, Refused, label, refusal_lines, shortened
from m365.ports import Recipient

LEAVE, MEMBERS = "dl.leave", "dl.members"
MAX_MEMBERS_PER_REQUEST = 200
LEAVE_LIST = OwnMembership(
    kind=LEAVE,
    step=MemberRemoval,
    pick=lambda picked: (Verb.LIST_LEAVE, {"list_id": picked.identity}),
    already="dl.leave.not_member",
    pending="dl.leave.pending",
    # Leaving an Open list (MemberDepartRestriction Open) is approved by policy, as Exchange itself would allow; a
    # Closed list's owners decide.
    open_policy="policy.leave_open_list",
)


@dataclass(frozen=True, slots=True)
class MembersClick:
    """The add/remove members form of a list card (or a choice card's pick): the list, the direction ("remove", else
    add) and the addresses as typed or pasted."""

    list_id: str = bounded(MAX_LIST_REF)
    change: str | None = bounded(20, optional=True)
    addresses: str | None = bounded(MAX_MESSAGE, optional=True)


async def leave_typed(services: Services, actor: Actor, command: LeaveList) -> Reply:
    return await request_leave(services, actor, command.list_name)


async def leave_clicked(services: Services, actor: Actor, data: ListClick) -> Reply:
    return await request_leave(services, actor, data.list_id)


async def members_typed(services: Services, actor: Actor, command: ChangeMembers) -> Reply:
    return await request_member_changes(services, actor, command.list_name, add=command.add, values=command.members)


async def members_clicked(services: Services, actor: Actor, data: MembersClick) -> Reply:
    values = split_addresses(data.addresses or "")
    return await request_member_changes(services, actor, data.list_id, add=data.change != "remove", values=values)


async def request_leave(services: Services, actor: Actor, list_name: str) -> Reply:
    return await request_own_membership(services, actor, list_name, LEAVE_LIST)


async def request_member_changes(
    services: Services, actor: Actor, list_name: str, *, add: bool, values: Sequence[str]
) -> Reply:
    """An owner's (or admin's) member change, one or many addresses; each is checked and reported on its own.

    Owners decide on their lists' membership, so an owner's change is approved by that rule (and an admin's, who
    may change any list); the request still goes through the history and the exactly-once execution.
    """
    t = actor_translator(actor)
    change = {"change": "add" if add else "remove", "addresses": "\n".join(values)}
    found = await find_changeable_list(
        services, t, list_name, then=lambda picked: (Verb.LIST_MEMBERS_SUBMIT, {"list_id": picked.identity, **change})
    )
    if isinstance(found, Reply):
        return found
    address = await requester_address(services, actor)
    owner = owns(found, address)
    if not owner and not await is_admin(services, actor):
        return Reply(text=t("dl.members.not_owner", list=found.display_name))
    tokens = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not tokens:
        return Reply(text=t("dl.members.none_given"))
    if len(tokens) > MAX_MEMBERS_PER_REQUEST:
        return Reply(text=t("dl.members.too_many", max=MAX_MEMBERS_PER_REQUEST, count=len(tokens)))
    current = {m.primary_smtp_address.casefold() for m in await services.tenant.distribution_lists.members(
        found.identity)}
    accepted: list[Recipient] = []
    refused: list[Refused] = []
    # Only what can be an address is looked up (a pasted token longer than any address is refused unread).
    addresses = [token for token in tokens if ADDRESS.match(token) and not argument_too_long(token)]
    looked_up = dict(zip(addresses, await find_recipients(services, addresses), strict=True))
    for token in tokens:
        outcome = _check_member(token, looked_up.get(token), add=add, current=current)
        if isinstance(outcome, Refused):
            refused.append(outcome)
        elif outcome.primary_smtp_address.casefold() not in {r.primary_smtp_address.casefold() for r in accepted}:
            accepted.append(outcome)
    report = refusal_lines(t, refused)
    if not accepted:
        return Reply(text="\n".join([t("dl.members.nothing_to_do", list=found.display_name), *report]))
    step_type = MemberAddition if add else MemberRemoval
    draft = Draft(
        kind=MEMBERS,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": f"{step_type.op}:{','.join(sorted(r.primary_smtp_address.casefold() for r in accepted))}",
                 "route": "owners", "list_address": found.primary_smtp_address,
                 "refused": [{"value": r.value, "reason": r.reason} for r in refused]},
        # member_id: whom the request is about, so they see it in their "my requests".
        plan=tuple(step_type(list_id=found.identity, list_name=found.display_name, member=r.primary_smtp_address,
                             member_name=r.display_name, member_id=r.external_directory_object_id or None)
                   for r in accepted),
        approver_ids=[],
        approver_names=[],
        facts=[("dl.fact.change", t("dl.members.add" if add else "dl.members.remove", count=len(accepted)))],
    )
    reply = await submit(services, actor, draft,
                         auto_approve="policy.owner_changes_members" if owner else "policy.admin_changes_members")
    if report:
        header = t("dl.members.some_refused", count=len(refused))
        text = "\n".join([reply.text or "", header, *report])
        return Reply(text=text, card=reply.card, status_card_of=reply.status_card_of)
    return reply


def _check_member(token: str, recipient: Recipient | None, *, add: bool, current: set[str]) -> Recipient | Refused:
    if argument_too_long(token):
        return Refused(shortened(token), "dl.refused.not_an_address")
    if not ADDRESS.match(token):
        return Refused(token, "dl.refused.not_an_address")
    if recipient is None:
        if not add and token.casefold() in current:
            # A member whose mailbox was deleted still sits in the list; removing it is what the owner wants.
            return Recipient(token, token, "MailUser")
        return Refused(token, "dl.refused.unknown")
    if recipient.recipient_type_details not in MEMBER_TYPES:
        return Refused(token, "dl.refused.not_mail_enabled")
    is_member = recipient.primary_smtp_address.casefold() in current
    if add and is_member:
        return Refused(token, "dl.refused.already_member")
    if not add and not is_member:
        return Refused(token, "dl.refused.not_member")
    return recipient

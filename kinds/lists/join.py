"""dl.join: validate a request to join a list, route it to the list's owners (or approve an Open list by policy),
and file it — typed ("join Sales") or from a choice card's button."""

from __future__ import annotations

from dataclasses import dataclass

from cards.help import help_card
from cards.verbs import Verb
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft, find_open, submit
from kinds.card_data import bounded
from kinds.lists.commands import JoinList
from kinds.lists.lookup import (
    MAX_LIST_REF,
    find_changeable_list,
    is_member_in_exchange,
    owners_of,
    requester_address,
)
from kinds.lists.steps import MemberAddition
from kinds.recipients import label

KIND = "dl.join"


@dataclass(frozen=True, slots=True)
class JoinClick:
    """A choice card's button for one of several lists with the name typed: that list's id."""

    list_ref: str | None = bounded(MAX_LIST_REF, key="list", optional=True)


async def join_clicked(services: Services, actor: Actor, data: JoinClick) -> Reply:
    if data.list_ref is None:
        # What this verb has always answered to a click that names no list.
        return Reply(card=help_card(actor_translator(actor), services.kinds.help_topics()))
    return await request_join(services, actor, JoinList(list_name=data.list_ref))


async def request_join(services: Services, actor: Actor, command: JoinList) -> Reply:
    t = actor_translator(actor)
    # Several lists with that name: a card to pick one, whose click comes back here with the list's id.
    found = await find_changeable_list(services, t, command.list_name,
                                       then=lambda picked: (Verb.LIST_JOIN_SUBMIT, {"list": picked.identity}))
    if isinstance(found, Reply):
        return found
    address = await requester_address(services, actor)
    if not address:
        return Reply(text=t("dl.no_mailbox"))
    if await is_member_in_exchange(services, found, address):
        return Reply(text=t("dl.already_member", list=found.display_name))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=KIND, requester_id=actor.user_id, target_id=found.identity, key=address)
    if pending:
        return Reply(text=t("dl.already_pending", list=found.display_name, request_id=pending.public_id))

    # An Open list lets anyone join in Exchange itself, so the desk's policy approves; otherwise its owners decide.
    open_list = found.member_join_restriction.casefold() == "open"
    owners = [] if open_list else await owners_of(services, found)
    approvers = await resolve_approvers(services, actor.user_id, owners=owners)
    if not open_list and not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    draft = Draft(
        kind=KIND,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": address, "route": approvers.route, "list_address": found.primary_smtp_address},
        plan=(MemberAddition(list_id=found.identity, list_name=found.display_name, member=address,
                             member_name=actor.name),),
        approver_ids=[] if open_list else approvers.ids,
        approver_names=[] if open_list else approvers.names,
        facts=[],
    )
    return await submit(services, actor, draft, auto_approve="policy.join_open_list" if open_list else None)

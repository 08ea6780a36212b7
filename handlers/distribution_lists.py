"""dl.join: validate a request to join a distribution list, route it to the list's owners (or approve an Open
list by policy), and file it."""

from __future__ import annotations

from cards.verbs import Verb
from handlers.approvals import resolve_approvers
from handlers.commands import JoinList
from handlers.context import Actor, Reply, actor_translator
from handlers.list_requests import find_changeable_list, is_member_in_exchange, owners_of, requester_address
from handlers.submission import Draft, find_open, submit
from handlers.services import Services

KIND = "dl.join"


async def request_join(services: Services, actor: Actor, command: JoinList) -> Reply:
    t = actor_translator(actor)
    # Several lists with that name: a card to pick one, whose click comes back here with the list's id.
    found = await find_changeable_list(services, t, command.list_name,
                                       then=lambda dl: (Verb.LIST_JOIN_SUBMIT, {"list": dl.identity}))
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
        target_label=f"{found.display_name} <{found.primary_smtp_address}>",
        payload={"key": address, "route": approvers.route, "list_address": found.primary_smtp_address},
        plan=[
            {
                "op": "add_list_member",
                "list_id": found.identity,
                "list": found.display_name,
                "member": address,
                "member_name": actor.name,
            }
        ],
        approver_ids=[] if open_list else approvers.ids,
        approver_names=[] if open_list else approvers.names,
        facts=[],
    )
    return await submit(services, actor, draft, auto_approve="policy.join_open_list" if open_list else None)

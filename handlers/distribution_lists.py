"""dl.join: validate a request to join a distribution list, route it to the list's owners, and file it."""

from __future__ import annotations

from handlers.approvals import resolve_approvers
from handlers.commands import JoinList
from handlers.context import Actor, Reply, actor_translator
from handlers.requests import Draft, find_open, submit
from handlers.services import Services
from m365.ports import DirectoryUser

KIND = "dl.join"


async def request_join(services: Services, actor: Actor, command: JoinList) -> Reply:
    t = actor_translator(actor)
    if not command.list_name:
        return Reply(text=t("dl.missing_name"))
    lists, directory = services.tenant.distribution_lists, services.tenant.directory
    found = await lists.get_list(command.list_name)
    if found is None:
        suggestions = [item.display_name for item in await lists.find_lists(command.list_name, limit=5)]
        if suggestions:
            return Reply(text=t("dl.not_found_suggest", list=command.list_name, suggestions=", ".join(suggestions)))
        return Reply(text=t("dl.not_found", list=command.list_name))
    if found.is_dir_synced:
        return Reply(text=t("dl.dir_synced", list=found.display_name))

    requester = await directory.get_user(actor.user_id)
    address = requester.mail if requester else None
    if not address:
        return Reply(text=t("dl.no_mailbox"))
    members = await lists.members(found.identity)
    if any(member.primary_smtp_address.casefold() == address.casefold() for member in members):
        return Reply(text=t("dl.already_member", list=found.display_name))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=KIND, requester_id=actor.user_id, target_id=found.identity, key=address)
    if pending:
        return Reply(text=t("dl.already_pending", list=found.display_name, request_id=pending.public_id))

    owners: list[DirectoryUser] = []
    for owner_address in found.managed_by:
        owner = await directory.get_user(owner_address)
        if owner:
            owners.append(owner)
    approvers = await resolve_approvers(services, actor.user_id, owners=owners)
    if not approvers.ids:
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
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[],
    )
    return await submit(services, actor, draft)

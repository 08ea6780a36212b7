"""group.leave: validate and file a request for a person to leave a licensing group (the desk's answer to a
license that a group gives), from the offer card's button."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft, find_open, submit
from kinds.card_data import bounded
from kinds.groups.steps import LeaveGroup
from kinds.licenses.assign import not_theirs

KIND = "group.leave"


@dataclass(frozen=True, slots=True)
class LeaveClick:
    """The offer's button: the group and the person, as the card carried them (only wishes)."""

    group_id: str = bounded(100)
    user_id: str = bounded(200)


async def leave_clicked(services: Services, actor: Actor, data: LeaveClick) -> Reply:
    """The offer's button. Its group and person are only wishes: the actor must be allowed to ask for that person,
    the person must be a direct member (only direct membership can be ended), and the group must really give them
    a license — otherwise this would be a general "remove anyone from any group" button."""
    t = actor_translator(actor)
    group_id, user_id = data.group_id, data.user_id
    directory = services.tenant.directory
    user = await directory.get_user(user_id)
    if user is None:
        return Reply(text=t("license.user_not_found", user=user_id))
    if refusal := await not_theirs(services, actor, user):
        return refusal
    group_name = await directory.get_group_name(group_id)
    members = {member.lower() for member in await directory.group_member_ids(group_id)} if group_name else set()
    if group_name is None or user.id.lower() not in members:
        return Reply(text=t("group.leave.not_member", user=user.display_name, group=group_name or group_id))
    given = {
        license.sku_id.lower()
        for license in await services.tenant.licenses.user_licenses(user.id)
        if (license.assigned_by_group or "").lower() == group_id.lower()
    }
    if not given:
        return Reply(text=t("group.leave.gives_nothing", user=user.display_name, group=group_name))
    skus = await services.tenant.licenses.list_skus()
    plans = ", ".join(sorted(services.plans.name(sku) for sku in skus if sku.sku_id.lower() in given))

    async with services.uow() as uow:
        pending = await find_open(uow, kind=KIND, requester_id=actor.user_id, target_id=user.id, key=group_id.lower())
    if pending:
        return Reply(
            text=t("group.leave.already_pending", request_id=pending.public_id, user=user.display_name,
                   group=group_name)
        )
    approvers = await resolve_approvers(services, actor.user_id)  # no owners: membership changes are the admins'
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    step = LeaveGroup(group_id=group_id, user_id=user.id, user=user.display_name, group=group_name, plan=plans)
    draft = Draft(
        kind=KIND,
        target_id=user.id,
        target_label=f"{user.display_name} · {group_name}",
        payload={"key": group_id.lower(), "group_id": group_id, "route": approvers.route},
        plan=(step,),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[("group.leave.field.licenses", plans)],
    )
    return await submit(services, actor, draft)

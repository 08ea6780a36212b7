"""license.remove and license.change: validate against the tenant, plan the exact step, and file the request."""

from __future__ import annotations

from typing import Any

from cards.group_membership import GroupLeaveOffer, GroupLeaveOfferView, group_leave_offer_card
from cards.i18n import Translator
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.people import normalize_country
from handlers.services import Services
from handlers.submission import Draft, submit
from kinds.licenses.assign import open_license_request, person_or_refusal, plan_or_refusal
from kinds.licenses.commands import ChangeLicense, RemoveLicense
from kinds.licenses.steps import SetUsageLocation, SwapLicense, UnassignLicense
from kinds.steps import Step
from m365.ports import DirectoryUser, Sku, UserLicense

REMOVE_KIND = "license.remove"
CHANGE_KIND = "license.change"


async def request_removal(services: Services, actor: Actor, command: RemoveLicense) -> Reply:
    t = actor_translator(actor)
    skus = await services.tenant.licenses.list_skus()
    sku = plan_or_refusal(services, t, command.plan, skus)
    if isinstance(sku, Reply):
        return sku
    plan_name = services.plans.name(sku)
    user = await person_or_refusal(services, actor, command.for_user)
    if isinstance(user, Reply):
        return user
    # A disabled account is not refused here: taking licenses back from people who left is how seats are reclaimed.
    refusal = await _holding_refusal(services, t, user, sku, plan_name)
    if refusal:
        return refusal
    pending = await _pending(services, actor, user, [sku], plan_name, t)
    if pending:
        return pending

    step = UnassignLicense(user_id=user.id, user=user.display_name, sku_id=sku.sku_id, plan=plan_name)
    return await _file(
        services,
        actor,
        t,
        kind=REMOVE_KIND,
        user=user,
        label=f"{user.display_name} · {plan_name}",
        payload={"key": sku.sku_id, "sku_ids": [sku.sku_id], "sku_part_number": sku.sku_part_number},
        plan=(step,),
        facts=[("request.field.free_seats", f"{sku.free_units} / {sku.enabled_units}")],
    )


async def request_change(services: Services, actor: Actor, command: ChangeLicense) -> Reply:
    t = actor_translator(actor)
    skus = await services.tenant.licenses.list_skus()
    old = plan_or_refusal(services, t, command.old_plan, skus)
    if isinstance(old, Reply):
        return old
    new = plan_or_refusal(services, t, command.new_plan, skus)
    if isinstance(new, Reply):
        return new
    old_name, new_name = services.plans.name(old), services.plans.name(new)
    if old.sku_id == new.sku_id:
        return Reply(text=t("license.same_plan", plan=old_name))
    user = await person_or_refusal(services, actor, command.for_user)
    if isinstance(user, Reply):
        return user
    if not user.account_enabled:
        return Reply(text=t("license.user_disabled", user=user.display_name))
    held = await services.tenant.licenses.user_licenses(user.id)
    refusal = await _holding_refusal(services, t, user, old, old_name, held=held)
    if refusal:
        return refusal
    if any(_same(license.sku_id, new.sku_id) for license in held):
        return Reply(text=t("license.already_has", user=user.display_name, plan=new_name))
    pending = await _pending(services, actor, user, [old, new], new_name, t)
    if pending:
        return pending
    if new.free_units <= 0:
        return Reply(
            text=t("license.no_free_seats", plan=new_name, assigned=new.consumed_units, purchased=new.enabled_units)
        )

    plan: list[Step] = []
    if not user.usage_location:
        # Only a group-given license can exist without one, and those are refused above; still, as for assign:
        # the country in the directory sets it, and without one an admin has to (there is no form for a swap).
        country = normalize_country(user.country)
        if not country:
            return Reply(text=t("license.change.needs_usage_location", user=user.display_name, plan=new_name))
        plan.append(SetUsageLocation(user_id=user.id, user=user.display_name, country=country))
    plan.append(
        SwapLicense(
            user_id=user.id,
            user=user.display_name,
            sku_id=new.sku_id,
            remove_sku_id=old.sku_id,
            old_plan=old_name,
            new_plan=new_name,
        )
    )
    return await _file(
        services,
        actor,
        t,
        kind=CHANGE_KIND,
        user=user,
        label=f"{user.display_name} · {old_name} → {new_name}",
        payload={
            "key": f"{old.sku_id}>{new.sku_id}",
            "sku_ids": [old.sku_id, new.sku_id],
            "sku_part_number": new.sku_part_number,
        },
        plan=tuple(plan),
        facts=[("request.field.free_seats", f"{new_name}: {new.free_units} / {new.enabled_units}")],
    )


async def _holding_refusal(
    services: Services,
    t: Translator,
    user: DirectoryUser,
    sku: Sku,
    plan_name: str,
    *,
    held: list[UserLicense] | None = None,
) -> Reply | None:
    """Why this person's license cannot be removed or swapped by the desk: not held, or given by a group."""
    if held is None:
        held = await services.tenant.licenses.user_licenses(user.id)
    holdings = [license for license in held if _same(license.sku_id, sku.sku_id)]
    if not holdings:
        return Reply(text=t("license.not_held", user=user.display_name, plan=plan_name))
    group_ids = sorted({license.assigned_by_group for license in holdings if license.assigned_by_group})
    if group_ids:
        # Even with a direct copy too, the group would keep giving it: membership is the change to make.
        names = [await services.tenant.directory.get_group_name(group_id) or group_id for group_id in group_ids]
        # The offer: leaving the group, filed on a click (kinds/groups/leave.py re-checks everything then).
        offer = GroupLeaveOfferView(
            user_id=user.id,
            user_name=user.display_name,
            plan=plan_name,
            groups=tuple(GroupLeaveOffer(group_id, name) for group_id, name in zip(group_ids, names, strict=True)),
        )
        return Reply(
            text=t("license.from_group", user=user.display_name, plan=plan_name, group=", ".join(names)),
            card=group_leave_offer_card(offer, t),
        )
    return None


async def _pending(
    services: Services, actor: Actor, user: DirectoryUser, skus: list[Sku], plan_name: str, t: Translator
) -> Reply | None:
    async with services.uow() as uow:
        pending = await open_license_request(uow, actor.user_id, user.id, {sku.sku_id for sku in skus})
    if pending is None:
        return None
    notice = t("license.already_pending", request_id=pending.public_id, plan=plan_name, user=user.display_name)
    return Reply(text=notice)


async def _file(
    services: Services,
    actor: Actor,
    t: Translator,
    *,
    kind: str,
    user: DirectoryUser,
    label: str,
    payload: dict[str, Any],
    plan: tuple[Step, ...],
    facts: list[tuple[str, str]],
) -> Reply:
    approvers = await resolve_approvers(services, actor.user_id)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    draft = Draft(
        kind=kind,
        target_id=user.id,
        target_label=label,
        payload={**payload, "route": approvers.route},
        plan=plan,
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=facts,
    )
    return await submit(services, actor, draft)


def _same(left: str, right: str) -> bool:
    return left.lower() == right.lower()

"""The change executor: applies one plan step through the ports, idempotently (already applied counts as done)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from m365.errors import GroupAssignedLicense, InvalidRequest, M365Error, NotFound
from m365.mailbox_steps import MAILBOX_OPS, apply_mailbox_step
from m365.outcomes import StepOutcome
from m365.ports import (
    BulkLicenses,
    Licenses,
    ListChanges,
    MemberChange,
    NewDistributionList,
    Tenant,
    UserLicense,
)


class UnknownStep(InvalidRequest):
    """A plan holds an operation this version of the desk cannot apply."""


async def apply_step(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome:
    """Each branch reads before it writes, so a re-run after a crash finds the change in place and does nothing."""
    op = step.get("op")
    if op == "set_usage_location":
        user = await tenant.directory.get_user(step["user_id"])
        if user is None:
            raise NotFound(f"user {step['user_id']} no longer exists", code="Request_ResourceNotFound")
        if (user.usage_location or "").upper() == step["country"]:
            return StepOutcome.ALREADY_DONE
        await tenant.directory.set_usage_location(step["user_id"], step["country"])
        return StepOutcome.DONE
    if op == "assign_license":
        held = await tenant.licenses.user_licenses(step["user_id"])
        if any(_same(license.sku_id, step["sku_id"]) for license in held):
            return StepOutcome.ALREADY_DONE
        await tenant.licenses.assign(step["user_id"], [step["sku_id"]], [])
        return StepOutcome.DONE
    if op == "remove_license":
        return await _remove_license(tenant.licenses, step)
    if op == "swap_license":
        return await _swap_license(tenant.licenses, step)
    if op == "add_list_member":
        change = await tenant.distribution_lists.add_member(step["list_id"], step["member"])
        return StepOutcome.ALREADY_DONE if change is MemberChange.ALREADY_PRESENT else StepOutcome.DONE
    if op == "remove_list_member":
        change = await tenant.distribution_lists.remove_member(step["list_id"], step["member"])
        return StepOutcome.ALREADY_DONE if change is MemberChange.NOT_PRESENT else StepOutcome.DONE
    if op in _LIST_OPS:
        return await _LIST_OPS[op](tenant, step)
    if op == "remove_group_member":
        # The port reads the direct members first: not a member (any more) is already done.
        change = await tenant.directory.remove_group_member(step["group_id"], step["user_id"])
        return StepOutcome.ALREADY_DONE if change is MemberChange.NOT_PRESENT else StepOutcome.DONE
    if op in MAILBOX_OPS:
        return await apply_mailbox_step(tenant, step)
    raise UnknownStep(f"unknown plan step {op!r}")


async def _remove_license(licenses: Licenses, step: Mapping[str, Any]) -> StepOutcome:
    """Removes the direct assignment. A copy a group gives was refused when the request was filed; if one
    appeared since, it is the group's to take away, so the step is done once the direct one is gone."""
    held = await licenses.user_licenses(step["user_id"])
    if not _direct(held, step["sku_id"]):
        return StepOutcome.ALREADY_DONE
    await licenses.assign(step["user_id"], [], [step["sku_id"]])
    return StepOutcome.DONE


async def _swap_license(licenses: Licenses, step: Mapping[str, Any]) -> StepOutcome:
    """A plan change as one assignLicense call (add the new SKU, remove the old), so there is no moment with both
    or neither. A re-run reads first: new in place and old gone is done; new in place but old still there (the
    rare case of someone adding the new plan by hand meanwhile) removes only the old.

    The new SKU starts with no disabled service plans: disabledPlans belongs to one SKU's assignment, and the
    old SKU's list names that SKU's plans, so it cannot be carried over; an admin narrows the new one if needed.
    """
    user_id, new_sku, old_sku = step["user_id"], step["sku_id"], step["remove_sku_id"]
    held = await licenses.user_licenses(user_id)
    has_new = any(_same(license.sku_id, new_sku) for license in held)
    has_old_direct = _direct(held, old_sku)
    if has_new and not has_old_direct:
        return StepOutcome.ALREADY_DONE
    if has_new:
        await licenses.assign(user_id, [], [old_sku])
        return StepOutcome.DONE
    if not has_old_direct and any(_same(license.sku_id, old_sku) for license in held):
        # Only a group gives the old plan now: adding the new one alone would leave the person with both.
        raise GroupAssignedLicense(
            f"{step.get('old_plan', old_sku)} of {step.get('user', user_id)} now comes from a group; "
            "change the group membership instead",
            code="GroupAssignedLicense",
        )
    # The old plan may have been removed by hand meanwhile; then the swap is just the addition.
    await licenses.assign(user_id, [new_sku], [old_sku] if has_old_direct else [])
    return StepOutcome.DONE


async def _create_list(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome:
    """A list already holding the address is the one this step made before a crash (the address was free when the
    request was validated, and Exchange keeps addresses unique)."""
    lists = tenant.distribution_lists
    if await lists.get_list(step["address"]) is not None:
        return StepOutcome.ALREADY_DONE
    await lists.create_list(
        NewDistributionList(
            name=step["name"],
            alias=step["alias"],
            primary_smtp_address=step["address"],
            display_name=step.get("display_name") or step["name"],
            owners=tuple(step["owners"]),
            members=tuple(step.get("members") or ()),
            description=step.get("description") or "",
            member_join_restriction=step.get("join") or "Closed",
            member_depart_restriction=step.get("depart") or "Closed",
            accepts_external_senders=bool(step.get("external")),
        )
    )
    return StepOutcome.DONE


async def _update_list(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome:
    """Only what still differs is sent: a re-run after a crash finds the change in place and sends nothing."""
    lists = tenant.distribution_lists
    current = await lists.get_list(step["list_id"])
    if current is None:
        raise NotFound(f"distribution list {step.get('list', step['list_id'])} no longer exists", code="NotFound")
    owners = {owner.casefold() for owner in current.managed_by}
    changes = ListChanges(
        display_name=_differs(step.get("display_name"), current.display_name),
        description=_differs(step.get("description"), current.description),
        add_owners=tuple(o for o in step.get("add_owners") or () if o.casefold() not in owners),
        remove_owners=tuple(o for o in step.get("remove_owners") or () if o.casefold() in owners),
        member_join_restriction=_differs(step.get("join"), current.member_join_restriction),
        member_depart_restriction=_differs(step.get("depart"), current.member_depart_restriction),
        accepts_external_senders=_differs(step.get("external"), current.accepts_external_senders),
    )
    if changes.is_empty:
        return StepOutcome.ALREADY_DONE
    await lists.update_list(current.identity, changes)
    return StepOutcome.DONE


def _differs(wanted: Any, current: Any) -> Any:
    return None if wanted is None or wanted == current else wanted


async def _delete_list(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome:
    deleted = await tenant.distribution_lists.delete_list(step["list_id"])
    return StepOutcome.DONE if deleted else StepOutcome.ALREADY_DONE


_LIST_OPS = {"create_list": _create_list, "update_list": _update_list, "delete_list": _delete_list}


def supports_bulk(licenses: Licenses) -> bool:
    """Whether the Licenses port can assign many users per request (Graph $batch) and read holders at once."""
    return callable(getattr(licenses, "assign_many", None)) and callable(getattr(licenses, "holders", None))


async def apply_assign_steps(tenant: Tenant, steps: Sequence[Mapping[str, Any]]) -> list[StepOutcome | M365Error]:
    """Many assign_license steps at once, one outcome (or the item's typed error) per step, in order.

    Idempotent like apply_step, but with one read per SKU (who holds it) instead of one per person, then one
    assignLicense per remaining person through assign_many (⌈N/20⌉ $batch requests). Reads that fail raise
    (the job is retried); per-person failures come back as values, so one refused person never stops the rest.
    Ports without bulk support apply the steps one by one.
    """
    licenses = tenant.licenses
    if not supports_bulk(licenses):
        return [await _one(tenant, step) for step in steps]
    bulk: BulkLicenses = licenses  # type: ignore[assignment]  # checked by supports_bulk
    holders: dict[str, set[str]] = {}
    for sku_id in {str(step["sku_id"]).lower() for step in steps}:
        holders[sku_id] = {user_id.lower() for user_id in await bulk.holders(sku_id)}
    outcomes: list[StepOutcome | M365Error | None] = [None] * len(steps)
    todo: list[int] = []
    for index, step in enumerate(steps):
        if str(step["user_id"]).lower() in holders[str(step["sku_id"]).lower()]:
            outcomes[index] = StepOutcome.ALREADY_DONE
        else:
            todo.append(index)
    results = await bulk.assign_many([(steps[i]["user_id"], [steps[i]["sku_id"]], []) for i in todo]) if todo else []
    for index, result in zip(todo, results, strict=True):
        outcomes[index] = StepOutcome.DONE if result.ok else (result.error or M365Error("assignLicense failed"))
    return [outcome if outcome is not None else M365Error("no outcome") for outcome in outcomes]


MEMBER_OPS = frozenset({"add_list_member", "remove_list_member"})
BATCHED_OPS = MEMBER_OPS | {"assign_license"}


async def apply_batched_steps(tenant: Tenant, steps: Sequence[Mapping[str, Any]]) -> list[StepOutcome | M365Error]:
    """License assignments and list member changes, many at once: one outcome (or typed error) per step, in order.

    Member changes go per list and direction through add_members/remove_members (Exchange JSON batching), where
    "already a member" and "not a member" come back as outcomes, so a re-run after a crash repeats nothing.
    """
    outcomes: list[StepOutcome | M365Error | None] = [None] * len(steps)
    assigns = [i for i, step in enumerate(steps) if step.get("op") == "assign_license"]
    if assigns:
        for index, outcome in zip(assigns, await apply_assign_steps(tenant, [steps[i] for i in assigns]), strict=True):
            outcomes[index] = outcome
    groups: dict[tuple[str, str], list[int]] = {}
    for index, step in enumerate(steps):
        if step.get("op") in MEMBER_OPS:
            groups.setdefault((str(step["list_id"]), str(step["op"])), []).append(index)
    lists = tenant.distribution_lists
    for (list_id, op), indexes in groups.items():
        members = [str(steps[i]["member"]) for i in indexes]
        changes = await (lists.add_members if op == "add_list_member" else lists.remove_members)(list_id, members)
        for index, change in zip(indexes, changes, strict=True):
            if isinstance(change, M365Error):
                outcomes[index] = change
            elif change in (MemberChange.ADDED, MemberChange.REMOVED):
                outcomes[index] = StepOutcome.DONE
            else:
                outcomes[index] = StepOutcome.ALREADY_DONE
    for index, step in enumerate(steps):
        if outcomes[index] is None:
            outcomes[index] = await _one(tenant, step)
    return [outcome if outcome is not None else M365Error("no outcome") for outcome in outcomes]


async def _one(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome | M365Error:
    try:
        return await apply_step(tenant, step)
    except M365Error as error:
        return error


def _direct(held: Sequence[UserLicense], sku_id: str) -> bool:
    return any(_same(license.sku_id, sku_id) and not license.assigned_by_group for license in held)


def _same(left: str, right: str) -> bool:
    return left.lower() == right.lower()

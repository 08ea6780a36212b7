"""The change executor: applies one plan step through the ports, idempotently (already applied counts as done)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

from m365.errors import GroupAssignedLicense, InvalidRequest, M365Error, NotFound
from m365.ports import BulkLicenses, Licenses, MemberChange, Tenant, UserLicense


class StepOutcome(enum.StrEnum):
    DONE = "done"
    ALREADY_DONE = "already_done"


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
    if op == "remove_group_member":
        # The port reads the direct members first: not a member (any more) is already done.
        change = await tenant.directory.remove_group_member(step["group_id"], step["user_id"])
        return StepOutcome.ALREADY_DONE if change is MemberChange.NOT_PRESENT else StepOutcome.DONE
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


async def _one(tenant: Tenant, step: Mapping[str, Any]) -> StepOutcome | M365Error:
    try:
        return await apply_step(tenant, step)
    except M365Error as error:
        return error


def _direct(held: Sequence[UserLicense], sku_id: str) -> bool:
    return any(_same(license.sku_id, sku_id) and not license.assigned_by_group for license in held)


def _same(left: str, right: str) -> bool:
    return left.lower() == right.lower()

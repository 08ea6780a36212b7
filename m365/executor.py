"""The change executor: applies one plan step through the ports, idempotently (already applied counts as done)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from m365.errors import InvalidRequest, NotFound
from m365.ports import MemberChange, Tenant


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
        if any(license.sku_id == step["sku_id"] for license in held):
            return StepOutcome.ALREADY_DONE
        await tenant.licenses.assign(step["user_id"], [step["sku_id"]], [])
        return StepOutcome.DONE
    if op == "add_list_member":
        change = await tenant.distribution_lists.add_member(step["list_id"], step["member"])
        return StepOutcome.ALREADY_DONE if change is MemberChange.ALREADY_PRESENT else StepOutcome.DONE
    raise UnknownStep(f"unknown plan step {op!r}")

"""The plan steps of the licenses family: set a usage location, assign, remove and swap a license (assignments go
out many at once through Graph $batch), each applied idempotently through the Directory and Licenses ports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from kinds.steps import Outcome, Step, StepContext
from m365.errors import GroupAssignedLicense, M365Error, NotFound
from m365.outcomes import StepOutcome
from m365.ports import BulkLicenses, Licenses, UserLicense


@dataclass(frozen=True, slots=True)
class SetUsageLocation(Step):
    """Sets a person's usage location (a license cannot be assigned without one)."""

    op = "set_usage_location"

    user_id: str
    user: str  # the person's display name
    country: str  # ISO 3166 alpha-2, upper case

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id})

    def params(self) -> dict[str, str]:
        return {"user": self.user, "country": self.country}

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        directory = context.tenant.directory
        user = await directory.get_user(self.user_id)
        if user is None:
            raise NotFound(f"user {self.user_id} no longer exists", code="Request_ResourceNotFound")
        if (user.usage_location or "").upper() == self.country:
            return StepOutcome.ALREADY_DONE
        await directory.set_usage_location(self.user_id, self.country)
        return StepOutcome.DONE


@dataclass(frozen=True, slots=True)
class AssignLicense(Step):
    """Gives a person a plan; several go out together (one holders read per plan, then ⌈N/20⌉ $batch requests)."""

    op = "assign_license"
    batchable = True

    user_id: str
    user: str
    sku_id: str
    plan: str  # the plan's name, as shown to people

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id})

    def params(self) -> dict[str, str]:
        return {"user": self.user, "plan": self.plan}

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        licenses = context.tenant.licenses
        if any(_same(license.sku_id, self.sku_id) for license in await licenses.user_licenses(self.user_id)):
            return StepOutcome.ALREADY_DONE
        await licenses.assign(self.user_id, [self.sku_id], [])
        return StepOutcome.DONE

    @classmethod
    async def apply_batch(cls, context: StepContext, steps: Sequence[Self]) -> list[Outcome]:
        """One read per plan (who holds it) instead of one per person, then one assignLicense per remaining person
        through assign_many. A failed read raises (the job is retried); per-person failures come back as values,
        so one refused person never stops the rest. A port without bulk support applies them one by one."""
        licenses = context.tenant.licenses
        if not supports_bulk(licenses):
            return await super(AssignLicense, cls).apply_batch(context, steps)
        bulk: BulkLicenses = licenses  # type: ignore[assignment]  # checked by supports_bulk
        holders: dict[str, set[str]] = {}
        for sku_id in {step.sku_id.lower() for step in steps}:
            holders[sku_id] = {user_id.lower() for user_id in await bulk.holders(sku_id)}
        outcomes: list[Outcome | None] = [None] * len(steps)
        todo: list[int] = []
        for index, step in enumerate(steps):
            if step.user_id.lower() in holders[step.sku_id.lower()]:
                outcomes[index] = StepOutcome.ALREADY_DONE
            else:
                todo.append(index)
        # (user, SKUs to add, SKUs to remove): an assignment removes none.
        items: list[tuple[str, Sequence[str], Sequence[str]]] = [
            (steps[i].user_id, [steps[i].sku_id], []) for i in todo
        ]
        results = await bulk.assign_many(items) if items else []
        for index, result in zip(todo, results, strict=True):
            outcomes[index] = StepOutcome.DONE if result.ok else (result.error or M365Error("assignLicense failed"))
        return [outcome if outcome is not None else M365Error("no outcome") for outcome in outcomes]


@dataclass(frozen=True, slots=True)
class UnassignLicense(Step):
    """Takes a person's directly assigned plan away. A copy a group gives was refused when the request was filed;
    if one appeared since, it is the group's to take away, so the step is done once the direct one is gone."""

    op = "remove_license"

    user_id: str
    user: str
    sku_id: str
    plan: str

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id})

    def params(self) -> dict[str, str]:
        return {"user": self.user, "plan": self.plan}

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        licenses = context.tenant.licenses
        if not _direct(await licenses.user_licenses(self.user_id), self.sku_id):
            return StepOutcome.ALREADY_DONE
        await licenses.assign(self.user_id, [], [self.sku_id])
        return StepOutcome.DONE


@dataclass(frozen=True, slots=True)
class SwapLicense(Step):
    """A plan change as one assignLicense call (add the new SKU, remove the old), so there is no moment with both
    or neither. A re-run reads first: new in place and old gone is done; new in place but old still there (the
    rare case of someone adding the new plan by hand meanwhile) removes only the old.

    The new SKU starts with no disabled service plans: disabledPlans belongs to one SKU's assignment, and the
    old SKU's list names that SKU's plans, so it cannot be carried over; an admin narrows the new one if needed.
    """

    op = "swap_license"

    user_id: str
    user: str
    sku_id: str  # the new plan
    remove_sku_id: str  # the old plan
    old_plan: str
    new_plan: str

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id})

    def params(self) -> dict[str, str]:
        return {"user": self.user, "plan": f"{self.old_plan} → {self.new_plan}"}

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        licenses: Licenses = context.tenant.licenses
        held = await licenses.user_licenses(self.user_id)
        has_new = any(_same(license.sku_id, self.sku_id) for license in held)
        has_old_direct = _direct(held, self.remove_sku_id)
        if has_new and not has_old_direct:
            return StepOutcome.ALREADY_DONE
        if has_new:
            await licenses.assign(self.user_id, [], [self.remove_sku_id])
            return StepOutcome.DONE
        if not has_old_direct and any(_same(license.sku_id, self.remove_sku_id) for license in held):
            # Only a group gives the old plan now: adding the new one alone would leave the person with both.
            raise GroupAssignedLicense(
                f"{self.old_plan} of {self.user} now comes from a group; change the group membership instead",
                code="GroupAssignedLicense",
            )
        # The old plan may have been removed by hand meanwhile; then the swap is just the addition.
        await licenses.assign(self.user_id, [self.sku_id], [self.remove_sku_id] if has_old_direct else [])
        return StepOutcome.DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        # Format 1 also stored "plan" as "old → new", because step messages then only got fixed labels; params()
        # now words it from old_plan and new_plan.
        if version == 1:
            data = {key: value for key, value in data.items() if key != "plan"}
        return data


STEP_TYPES: tuple[type[Step], ...] = (SetUsageLocation, AssignLicense, UnassignLicense, SwapLicense)


def supports_bulk(licenses: Licenses) -> bool:
    """Whether the Licenses port can assign many users per request (Graph $batch) and read holders at once."""
    return callable(getattr(licenses, "assign_many", None)) and callable(getattr(licenses, "holders", None))


def _direct(held: Sequence[UserLicense], sku_id: str) -> bool:
    return any(_same(license.sku_id, sku_id) and not license.assigned_by_group for license in held)


def _same(left: str, right: str) -> bool:
    return left.lower() == right.lower()

"""The licenses family's plan steps are idempotent (a re-run reads first and finds the change already in place),
assignments go out in one batch, and plans stored in format 1 still load and read the same."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kinds.apply import apply_steps
from kinds.groups.steps import LeaveGroup
from kinds.licenses.steps import STEP_TYPES, AssignLicense, SwapLicense, UnassignLicense, supports_bulk
from kinds.steps import Step, StepContext, StepTable
from m365.errors import GroupAssignedLicense, NoFreeSeats
from m365.outcomes import StepOutcome
from m365.ports import AssignOutcome, MemberChange, Tenant, UserLicense

STEPS_V1 = Path(__file__).parent / "data" / "steps_v1"

E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"
GROUP = "0b9a8f1e-1111-4d2c-9a55-2f3c7b0d0e11"


@dataclass
class FakeLicenses:
    """Holds per-user assignments and records every write (add, remove) like assignLicense would apply it."""

    held: dict[str, list[UserLicense]] = field(default_factory=dict)
    writes: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    async def list_skus(self) -> list:
        return []

    async def user_licenses(self, user_id: str) -> list[UserLicense]:
        return list(self.held.get(user_id, []))

    async def assign(self, user_id: str, add_sku_ids: Sequence[str], remove_sku_ids: Sequence[str] = ()) -> None:
        self.writes.append((user_id, tuple(add_sku_ids), tuple(remove_sku_ids)))
        removed = {s.lower() for s in remove_sku_ids}
        current = [lic for lic in self.held.get(user_id, []) if lic.assigned_by_group or lic.sku_id not in removed]
        current += [UserLicense(sku_id, "") for sku_id in add_sku_ids]
        self.held[user_id] = current


@dataclass
class FakeBulkLicenses(FakeLicenses):
    refuse: set[str] = field(default_factory=set)  # users whose assignment fails (no free seats)
    holder_reads: list[str] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)

    async def holders(self, sku_id: str) -> set[str]:
        self.holder_reads.append(sku_id)
        return {u for u, held in self.held.items() if any(lic.sku_id.lower() == sku_id.lower() for lic in held)}

    async def assign_many(self, items: Sequence[tuple[str, Sequence[str], Sequence[str]]]) -> list[AssignOutcome]:
        self.batches.append(len(items))
        outcomes = []
        for user_id, add, remove in items:
            if user_id in self.refuse:
                outcomes.append(AssignOutcome(user_id, 400, NoFreeSeats("no seats", code="CountViolation")))
                continue
            await self.assign(user_id, add, remove)
            outcomes.append(AssignOutcome(user_id, 200))
        return outcomes


def context(tenant: Tenant) -> StepContext:
    # The license steps touch only the tenant's ports, never the desk's storage.
    return StepContext(tenant=tenant, uow=None, request_id=1, clock=lambda: datetime.now(UTC))  # type: ignore[arg-type]


def tenant(licenses: FakeLicenses) -> Tenant:
    return Tenant(directory=None, licenses=licenses, distribution_lists=None)  # type: ignore[arg-type]


async def apply(licenses: FakeLicenses, step: Step) -> StepOutcome:
    return await step.apply(context(tenant(licenses)))


def remove(sku: str = E3) -> UnassignLicense:
    return UnassignLicense(user_id="u1", user="Anna", sku_id=sku, plan="E3")


def swap() -> SwapLicense:
    return SwapLicense(user_id="u1", user="Anna", sku_id=E5, remove_sku_id=E3, old_plan="E3", new_plan="E5")


async def test_remove_then_rerun_does_nothing() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK")]})
    assert await apply(licenses, remove()) is StepOutcome.DONE
    assert await apply(licenses, remove()) is StepOutcome.ALREADY_DONE
    assert licenses.writes == [("u1", (), (E3,))]


async def test_remove_matches_sku_ids_in_any_letter_case() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3.upper(), "ENTERPRISEPACK")]})
    assert await apply(licenses, remove(E3)) is StepOutcome.DONE


async def test_remove_leaves_a_group_copy_to_the_group() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK", assigned_by_group=GROUP)]})
    assert await apply(licenses, remove()) is StepOutcome.ALREADY_DONE
    assert licenses.writes == []


async def test_swap_is_one_call_adding_and_removing_and_a_rerun_does_nothing() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK", disabled_plans=("p1",))]})
    assert await apply(licenses, swap()) is StepOutcome.DONE
    assert licenses.writes == [("u1", (E5,), (E3,))]
    assert await apply(licenses, swap()) is StepOutcome.ALREADY_DONE
    assert len(licenses.writes) == 1


async def test_swap_with_the_new_plan_already_there_removes_only_the_old() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK"), UserLicense(E5, "ENTERPRISEPREMIUM")]})
    assert await apply(licenses, swap()) is StepOutcome.DONE
    assert licenses.writes == [("u1", (), (E3,))]


async def test_swap_with_the_old_plan_gone_meanwhile_only_adds() -> None:
    licenses = FakeLicenses({"u1": []})
    assert await apply(licenses, swap()) is StepOutcome.DONE
    assert licenses.writes == [("u1", (E5,), ())]


async def test_swap_refuses_when_only_a_group_gives_the_old_plan() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK", assigned_by_group=GROUP)]})
    with pytest.raises(GroupAssignedLicense, match="E3 of Anna"):
        await apply(licenses, swap())
    assert licenses.writes == []


def assign(user_id: str) -> AssignLicense:
    return AssignLicense(user_id=user_id, user=user_id, sku_id=E3, plan="E3")


async def test_bulk_assign_reads_holders_once_and_batches_the_rest() -> None:
    licenses = FakeBulkLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK")]}, refuse={"u4"})
    assert supports_bulk(licenses)
    outcomes = await apply_steps(context(tenant(licenses)), [assign(u) for u in ("u1", "u2", "u3", "u4")])
    assert outcomes[:3] == [StepOutcome.ALREADY_DONE, StepOutcome.DONE, StepOutcome.DONE]
    assert isinstance(outcomes[3], NoFreeSeats)
    assert licenses.holder_reads == [E3] and licenses.batches == [3]

    again = await apply_steps(context(tenant(licenses)), [assign(u) for u in ("u1", "u2", "u3")])
    assert again == [StepOutcome.ALREADY_DONE] * 3
    assert licenses.batches == [3], "nothing left to send, so no second batch"


async def test_bulk_assign_without_bulk_support_goes_one_by_one() -> None:
    licenses = FakeLicenses({"u1": [UserLicense(E3, "ENTERPRISEPACK")]})
    assert not supports_bulk(licenses)
    outcomes = await apply_steps(context(tenant(licenses)), [assign("u1"), assign("u2")])
    assert outcomes == [StepOutcome.ALREADY_DONE, StepOutcome.DONE]
    assert licenses.writes == [("u2", (E3,), ())]


@pytest.mark.parametrize("op", [step_type.op for step_type in STEP_TYPES])
def test_a_format_1_step_loads_and_reads_as_it_did(op: str) -> None:
    """A plan stored before steps were typed still loads, says the same words, and stores in the new format."""
    stored = json.loads((STEPS_V1 / f"{op}.json").read_text(encoding="utf-8"))
    table = StepTable(STEP_TYPES)
    step = table.load(stored)
    words = {name: stored[name] for name in ("user", "country", "plan") if name in stored}
    assert step.params() == words
    assert step.subjects() == frozenset({stored["user_id"]})
    assert table.load(step.dump()) == step


@dataclass
class FakeGroups:
    """Just what remove_group_member needs: direct members per group, and the calls that changed them."""

    members: dict[str, set[str]]
    removed: list[tuple[str, str]] = field(default_factory=list)

    async def remove_group_member(self, group_id: str, user_id: str) -> MemberChange:
        if user_id not in self.members.get(group_id, set()):
            return MemberChange.NOT_PRESENT
        self.members[group_id].discard(user_id)
        self.removed.append((group_id, user_id))
        return MemberChange.REMOVED


async def test_leaving_a_group_is_done_once() -> None:
    groups = FakeGroups({GROUP: {"u1"}})
    tenant = Tenant(directory=groups, licenses=None, distribution_lists=None)  # type: ignore[arg-type]
    step = LeaveGroup(group_id=GROUP, user_id="u1", user="Tomasz", group="LIC_E3", plan="E3")
    assert await step.apply(context(tenant)) is StepOutcome.DONE
    assert await step.apply(context(tenant)) is StepOutcome.ALREADY_DONE
    assert groups.removed == [(GROUP, "u1")]

"""The plan step of the groups family: take a person out of a (licensing) group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kinds.steps import Step, StepContext
from m365.outcomes import StepOutcome
from m365.ports import MemberChange


@dataclass(frozen=True, slots=True)
class LeaveGroup(Step):
    """Ends a person's direct membership of a group (and so the licenses the group gives them)."""

    op = "remove_group_member"

    group_id: str
    user_id: str
    user: str  # the person's display name
    group: str  # the group's display name
    plan: str  # the plans the group gives, as shown to the approver

    def subjects(self) -> frozenset[str]:
        return frozenset({self.user_id})

    def params(self) -> dict[str, str]:
        return {"user": self.user, "list": self.group, "plan": self.plan}

    def label(self) -> str:
        return self.user

    async def apply(self, context: StepContext) -> StepOutcome:
        # The port reads the direct members first: not a member (any more) is already done.
        change = await context.tenant.directory.remove_group_member(self.group_id, self.user_id)
        return StepOutcome.ALREADY_DONE if change is MemberChange.NOT_PRESENT else StepOutcome.DONE

    @classmethod
    def upgrade(cls, data: dict[str, Any], version: int) -> dict[str, Any]:
        # Format 1 named the group "list", because step messages then only got list/user/plan labels.
        if version == 1 and "list" in data:
            data = {**data, "group": data["list"]}
            del data["list"]
        return data

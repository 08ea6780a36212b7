"""The plan step of a seat order: the seats to buy (or give back) of one plan, which people order from the partner."""

from __future__ import annotations

from dataclasses import dataclass

from kinds.steps import Step, StepContext
from m365.errors import InvalidRequest
from m365.outcomes import StepOutcome


class NotThroughMicrosoft365(InvalidRequest):
    """A seat order reached the plan runner: Graph cannot buy seats, the fulfillers place the order."""


@dataclass(frozen=True, slots=True)
class SeatOrder(Step):
    """More (or, with ``reduce``, fewer) purchased seats of a plan. Its fields are what the approvers and the
    fulfillers read; the change itself is made by a person at the CSP partner (the kind's hand_over hook)."""

    op = "order_seats"

    sku_id: str
    sku_part_number: str
    plan: str  # the plan's display name
    quantity: int  # how many seats, always positive
    reduce: bool
    change: str  # the signed change as shown ("+5", "−3")
    seats: str  # the purchased seats the order leads to

    def params(self) -> dict[str, str]:
        return {"plan": self.plan, "change": self.change, "seats": self.seats}

    def label(self) -> str:
        return self.plan

    async def apply(self, context: StepContext) -> StepOutcome:
        # The execute job hands seat orders over before any step runs; getting here means a plan of another kind
        # carries this step, and there is nothing Graph could do with it (a refusal, like an unknown step was).
        raise NotThroughMicrosoft365(
            f"seats of {self.plan} are ordered from the partner, not through Microsoft 365", code="UnknownStep"
        )

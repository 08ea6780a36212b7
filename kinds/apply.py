"""The one place plan steps are applied: batchable steps with the same batch key go out together, the rest one by
one; either way each step gets exactly one outcome value, with the same meaning on both paths."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from kinds.steps import Outcome, Step, StepContext
from m365.errors import M365Error, TransientError


async def apply_steps(context: StepContext, steps: Sequence[Step]) -> list[Outcome]:
    """One outcome per step, in order: DONE or ALREADY_DONE; an M365Error for a refusal no retry can change; a
    TransientError (also an M365Error) for "not done, try later" — throttling or an outage. A batch that fails
    as a whole gives each of its steps that error: none of them is known to be done, and every step is
    idempotent, so trying them all again later is safe."""
    outcomes: list[Outcome | None] = [None] * len(steps)
    batches: dict[tuple[type[Step], Hashable], list[int]] = {}
    for index, step in enumerate(steps):
        if step.batchable:
            batches.setdefault((type(step), step.batch_key()), []).append(index)
    for (step_type, _key), indexes in batches.items():
        if len(indexes) < 2:
            continue
        try:
            results = await step_type.apply_batch(context, [steps[i] for i in indexes])
        except TransientError as error:
            results = [error] * len(indexes)
        for index, outcome in zip(indexes, results, strict=True):
            outcomes[index] = outcome
    for index, step in enumerate(steps):
        if outcomes[index] is None:
            outcomes[index] = await apply_one(context, step)
    return [outcome if outcome is not None else M365Error("no outcome") for outcome in outcomes]


async def apply_one(context: StepContext, step: Step) -> Outcome:
    try:
        return await step.apply(context)
    except M365Error as error:
        return error

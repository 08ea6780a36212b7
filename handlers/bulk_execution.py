"""Runs a plan for many people (license assignments, list members): each outcome recorded, one refusal never stops
the rest.

execute_request hands a plan over when it holds several assign_license or list member steps. List member changes
go out per list through Exchange JSON batching (DistributionLists.add_members/remove_members). Other steps (usage
locations) run one by one first; the assignments then go out together (m365.executor.apply_assign_steps: one read of who
holds the plan, then Graph $batch through BulkLicenses.assign_many). A person Graph refuses is a failed step;
throttling that outlasts the client's own retries leaves those steps open and the job is retried later, with
finished and failed steps kept. The request ends failed when any step failed, with every outcome on its card.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cards.i18n import Translator
from handlers.lifecycle import RequestEvent, RequestState, next_state
from handlers.requests import sync_job
from handlers.services import Services
from m365.errors import M365Error, TransientError
from m365.executor import BATCHED_OPS, StepOutcome, apply_batched_steps, apply_step
from storage.models import Job, StepStatus

logger = logging.getLogger(__name__)

_MIN_BULK = 2
# A person Graph refused stays refused on a re-run (no seat, no usage location): only open steps are tried again.
_SETTLED = {StepStatus.DONE.value, StepStatus.ALREADY_DONE.value, StepStatus.FAILED.value}
_MAX_ERROR_DETAILS = 5


def applies(plan: list[dict[str, Any]]) -> bool:
    """A plan for several people (licenses, list members): worth batching, and one person's failure must not stop
    the others."""
    return sum(1 for step in plan if step.get("op") in BATCHED_OPS) >= _MIN_BULK


async def run(services: Services, job: Job, plan: list[dict[str, Any]], results: dict[int, str]) -> None:
    """Applies the open steps of an executing request's plan; ``results`` holds the steps already recorded."""
    last_try = job.attempts >= job.max_attempts
    left_open: list[TransientError] = []
    for index, step in enumerate(plan):
        if step.get("op") in BATCHED_OPS or results.get(index) in _SETTLED:
            continue
        try:
            outcome: StepOutcome | M365Error = await apply_step(services.tenant, step)
        except M365Error as error:
            outcome = error
        await _record(services, job, {index: (step, outcome)}, results, left_open, last_try)

    # A person whose usage location is still to be set (the write was throttled) waits for the next attempt too.
    waiting = {step.get("user_id") for i, step in enumerate(plan) if step.get("op") not in BATCHED_OPS
               and results.get(i) not in _SETTLED and step.get("user_id")}
    open_assigns = [i for i, step in enumerate(plan) if step.get("op") in BATCHED_OPS
                    and results.get(i) not in _SETTLED and step.get("user_id") not in waiting]
    if open_assigns:
        try:
            outcomes = await apply_batched_steps(services.tenant, [plan[i] for i in open_assigns])
        except TransientError:
            if not last_try:
                raise  # the runner comes back later; recorded steps stay recorded
            outcomes = [M365Error("Microsoft 365 kept failing; gave up after retries")] * len(open_assigns)
        batch = {index: (plan[index], outcome) for index, outcome in zip(open_assigns, outcomes, strict=True)}
        await _record(services, job, batch, results, left_open, last_try)

    still_open = [i for i in range(len(plan)) if results.get(i) not in _SETTLED]
    if still_open:
        waits = [error.retry_after for error in left_open if error.retry_after is not None]
        raise TransientError(
            f"{len(still_open)} of {len(plan)} steps throttled or unavailable", retry_after=max(waits, default=None)
        )
    await _finish(services, job, plan, results)


async def _record(
    services: Services,
    job: Job,
    outcomes: Mapping[int, tuple[dict[str, Any], StepOutcome | M365Error]],
    results: dict[int, str],
    left_open: list[TransientError],
    last_try: bool,
) -> None:
    """One transaction for the lot: step rows, the request's per-step results, one audit event per step."""
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        assert request is not None
        for index, (step, outcome) in outcomes.items():
            if isinstance(outcome, TransientError) and not last_try:
                left_open.append(outcome)  # open for the next attempt
                continue
            if isinstance(outcome, M365Error):
                status, detail = StepStatus.FAILED.value, {"step": step, "error": outcome.message}
                action = "step.failed"
            else:
                status, detail = outcome.value, {"step": step}
                action = f"step.{outcome.value}"
            results[index] = status
            await uow.jobs.record_step(job.id, index, step["op"], status, detail)
            await uow.audit.append(action=action, request_id=request.id, detail={"index": index, **detail})
        request.result = {**(request.result or {}), "steps": _step_results(results)}
        await uow.commit()


async def _finish(services: Services, job: Job, plan: list[dict[str, Any]], results: dict[int, str]) -> None:
    failed = [i for i, status in sorted(results.items()) if status == StepStatus.FAILED.value]
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        assert request is not None
        if failed:
            steps = await uow.jobs.steps(job.id)
            t = Translator(request.locale)
            details = "; ".join(
                f"{plan[i].get('user') or plan[i].get('member') or plan[i].get('user_id')}: "
                f"{steps[i].detail.get('error', '')}"
                for i in failed[:_MAX_ERROR_DETAILS]
            )
            request.error = t("license.bulk.failed_summary", failed=len(failed), total=len(plan), details=details)
            event, state, action = RequestEvent.FAIL, RequestState.FAILED, "request.failed"
        else:
            event, state, action = RequestEvent.SUCCEED, RequestState.COMPLETED, "request.completed"
        await uow.requests.transition(request, next_state(request.state, event).value, now=services.clock())
        await uow.audit.append(
            action=action, request_id=request.id, detail={"steps": len(plan), "failed": len(failed)}
        )
        await uow.jobs.enqueue(request.id, sync_job(state.value))
        await uow.commit()
    services.wake_jobs()
    logger.info("request %s %s (%d of %d steps failed)", request.public_id, state.value, len(failed), len(plan))


def _step_results(results: dict[int, str]) -> list[dict[str, object]]:
    return [{"index": index, "status": status} for index, status in sorted(results.items())]

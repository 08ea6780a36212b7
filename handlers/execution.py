"""The execute job: runs an approved request's typed plan, exactly once, and records every step's outcome.

One place applies steps, for every kind and plan size (kinds/apply.py groups batchable steps). The failure rules
are the same on every path:

- A step that is DONE or ALREADY_DONE is recorded and never tried again; so is a FAILED one (a refusal such as no
  free seat stays a refusal on a re-run).
- A *chained* plan (one change in several steps: set the usage location, then assign) stops at the first step that
  did not finish: later steps need the earlier ones. A plan with two or more batchable steps (many people's
  licenses, many list members) is *independent*: one person's refusal never stops the others; a person's later
  steps wait only for their own earlier open steps.
- Throttling or an outage (TransientError) leaves the step open and the job is retried by the runner with
  backoff (honouring Retry-After), with finished steps kept. The job's attempts are the step's retry budget (see
  handlers/jobs.py); on the last attempt an open step is recorded FAILED ("gave up after retries").
- The request ends COMPLETED when every step finished, FAILED when any failed, with every outcome on its card.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cards.i18n import Translator
from desk_logging import bind as bind_log_context
from handlers import directory_sync_exchange
from handlers.lifecycle import RequestEvent, RequestState, next_state
from handlers.services import Services
from handlers.submission import card_update_job
from kinds.apply import apply_steps
from kinds.steps import Cached, Outcome, Step, StepContext
from m365.errors import M365Error, TransientError
from storage.models import Job, StepStatus

logger = logging.getLogger(__name__)

_SETTLED = {StepStatus.DONE.value, StepStatus.ALREADY_DONE.value, StepStatus.FAILED.value}
_FINISHED = {StepStatus.DONE.value, StepStatus.ALREADY_DONE.value}
_GAVE_UP = "Microsoft 365 kept failing; gave up after retries"
_INDEPENDENT_FROM = 2  # batchable steps in a plan from which its steps run independently
_MAX_ERROR_DETAILS = 5


async def execute_request(services: Services, job: Job) -> None:
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        bind_log_context(req_id=request.public_id if request else None)
        if request is None or RequestState(request.state).is_final:
            return  # finished by an earlier run whose job bookkeeping was lost
        kind = services.kinds.kind(request.kind)
    if kind.hand_over is not None and await kind.hand_over(services, job):
        return  # fulfilled by people (a seat order: Graph cannot buy seats), not by a plan
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        assert request is not None
        await uow.requests.transition(
            request, next_state(request.state, RequestEvent.START).value, now=services.clock()
        )
        await uow.audit.append(
            action="request.executing",
            request_id=request.id,
            detail={"attempt": job.attempts, "runner": job.lease_owner},
        )
        await uow.commit()
        finished = await uow.jobs.steps(job.id)
        plan = services.kinds.steps.load_plan(request.plan)
        results = {index: step.status for index, step in finished.items()}
    try:
        await _run_plan(services, job, plan, results)
    finally:
        # Success or not, Exchange may have changed: the cache shows what is there now (F7 "visible at once").
        await refresh_directory(services, plan)


def independent(plan: Sequence[Step]) -> bool:
    """A plan for several people (licenses, list members): batched, and one person's failure must not stop the
    others."""
    return sum(1 for step in plan if step.batchable) >= _INDEPENDENT_FROM


async def _run_plan(services: Services, job: Job, plan: tuple[Step, ...], results: dict[int, str]) -> None:
    context = StepContext(tenant=services.tenant, uow=services.uow, request_id=job.request_id, clock=services.clock)
    last_try = job.attempts >= job.max_attempts
    chained = not independent(plan)
    left_open: list[TransientError] = []
    while True:
        ready = _ready(plan, results, chained, left_open)
        if not ready:
            break
        outcomes = await apply_steps(context, [plan[i] for i in ready])
        await _record(services, job, plan, dict(zip(ready, outcomes, strict=True)), results, left_open, last_try)
        if chained and any(results.get(i) not in _FINISHED for i in ready):
            break  # later steps of a chain need this one
    if any(results.get(i) not in _SETTLED for i in range(len(plan))) and not (chained and _failed(results)):
        waits = [error.retry_after for error in left_open if error.retry_after is not None]
        still_open = sum(1 for i in range(len(plan)) if results.get(i) not in _SETTLED)
        raise TransientError(
            f"{still_open} of {len(plan)} steps throttled or unavailable", retry_after=max(waits, default=None)
        )
    await _finish(services, job, plan, results, chained)


def _ready(
    plan: tuple[Step, ...], results: dict[int, str], chained: bool, left_open: list[TransientError]
) -> list[int]:
    """The steps to apply now: a chain's next open step; else every open step whose people have no earlier open
    step (a usage location still to be set holds back that person's assignment)."""
    if left_open:
        return []  # the service is throttling or down: the rest waits for the next attempt
    open_steps = [i for i in range(len(plan)) if results.get(i) not in _SETTLED]
    if chained:
        return open_steps[:1] if not _failed(results) else []
    ready: list[int] = []
    waiting: set[str] = set()
    for index in open_steps:
        people = plan[index].subjects()
        if not people & waiting:
            ready.append(index)
        waiting |= people
    # A step someone's batchable step waits for (a usage location before that person's assignment) runs first on
    # its own: then every assignment goes out in one batch, instead of the waiting ones later, one by one.
    holding = [i for i in ready if not plan[i].batchable]
    if holding and any(plan[i].batchable for i in open_steps if i not in ready):
        return holding
    return ready


def _failed(results: dict[int, str]) -> bool:
    return any(status == StepStatus.FAILED.value for status in results.values())


async def _record(
    services: Services,
    job: Job,
    plan: tuple[Step, ...],
    outcomes: dict[int, Outcome],
    results: dict[int, str],
    left_open: list[TransientError],
    last_try: bool,
) -> None:
    """One transaction for the lot: step rows, the request's per-step results, one audit event per step."""
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        assert request is not None
        for index, outcome in outcomes.items():
            step = plan[index].dump()
            if isinstance(outcome, TransientError) and not last_try:
                left_open.append(outcome)  # open for the next attempt
                continue
            if isinstance(outcome, M365Error):
                message = _GAVE_UP if isinstance(outcome, TransientError) else outcome.message
                status, detail, action = StepStatus.FAILED.value, {"step": step, "error": message}, "step.failed"
            else:
                status, detail, action = outcome.value, {"step": step}, f"step.{outcome.value}"
            results[index] = status
            await uow.jobs.record_step(job.id, index, plan[index].op, status, detail)
            await uow.audit.append(action=action, request_id=request.id, detail={"index": index, **detail})
        request.result = {**(request.result or {}), "steps": _step_results(results)}
        await uow.commit()


async def _finish(
    services: Services, job: Job, plan: tuple[Step, ...], results: dict[int, str], chained: bool
) -> None:
    failed = [i for i, status in sorted(results.items()) if status == StepStatus.FAILED.value]
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        assert request is not None
        if failed:
            steps = await uow.jobs.steps(job.id)
            errors = {i: str(steps[i].detail.get("error", "")) for i in failed if i in steps}
            if chained:
                request.error = errors.get(failed[0], _GAVE_UP)
            else:
                details = "; ".join(f"{plan[i].label()}: {errors.get(i, '')}" for i in failed[:_MAX_ERROR_DETAILS])
                request.error = Translator(request.locale)(
                    "license.bulk.failed_summary", failed=len(failed), total=len(plan), details=details
                )
            event, state, action = RequestEvent.FAIL, RequestState.FAILED, "request.failed"
            detail: dict[str, object] = {"steps": len(plan), "failed": len(failed)}
            if chained:
                detail.update(index=failed[0], op=plan[failed[0]].op, error=request.error)
        else:
            event, state, action = RequestEvent.SUCCEED, RequestState.COMPLETED, "request.completed"
            detail = {"steps": len(plan)}
        await uow.requests.transition(request, next_state(request.state, event).value, now=services.clock())
        await uow.audit.append(action=action, request_id=request.id, detail=detail)
        await uow.jobs.enqueue(request.id, card_update_job(state.value))
        await uow.commit()
    services.wake_jobs()
    if failed:
        logger.warning("request %s failed (%d of %d steps failed)", request.public_id, len(failed), len(plan))
    else:
        logger.info("request %s completed", request.public_id)


async def refresh_directory(services: Services, plan: Sequence[Step]) -> None:
    """Re-reads every list and mailbox the plan touched into the directory cache; a failure here only delays it to
    the next periodic sync, so it is logged, never raised."""
    touched = sorted({touch for step in plan for touch in step.touches()}, key=lambda t: (t.cached, t.identity))
    for touch in touched:
        refresh = (directory_sync_exchange.refresh_list if touch.cached is Cached.LIST
                   else directory_sync_exchange.refresh_mailbox)
        try:
            await refresh(services, touch.identity)
        except Exception:
            logger.warning("could not refresh %s %s in the directory cache", touch.cached, touch.identity,
                           exc_info=True)


def _step_results(results: dict[int, str]) -> list[dict[str, object]]:
    return [{"index": index, "status": status} for index, status in sorted(results.items())]

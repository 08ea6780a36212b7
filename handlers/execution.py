"""The execute job: runs an approved request's plan step by step, exactly once, and records every outcome."""

from __future__ import annotations

import logging

from desk_logging import bind as bind_log_context
from handlers import bulk_execution, directory_sync, mailboxes, seat_orders
from handlers.lifecycle import RequestEvent, RequestState, next_state
from handlers.requests import sync_job
from handlers.services import Services
from m365.errors import M365Error, TransientError
from m365.executor import apply_step
from m365.mailbox_steps import MAILBOX_OPS
from storage.models import Job, StepStatus

logger = logging.getLogger(__name__)

_FINISHED_STEPS = {StepStatus.DONE.value, StepStatus.ALREADY_DONE.value}
_LIST_STEPS = frozenset({"add_list_member", "remove_list_member", "create_list", "update_list", "delete_list"})


async def execute_request(services: Services, job: Job) -> None:
    if await seat_orders.hand_over(services, job):
        return  # a seat order: Graph cannot buy seats, so a person (the CSP partner) fulfils it
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        bind_log_context(req_id=request.public_id if request else None)
        if request is None or RequestState(request.state).is_final:
            return  # finished by an earlier run whose job bookkeeping was lost
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
        plan = list(request.plan)
        results = {index: step.status for index, step in finished.items()}

    try:
        await _run_plan(services, job, plan, results)
    finally:
        # Success or not, Exchange may have changed: the cache shows what is there now (F7 "visible at once").
        await refresh_directory(services, plan)


async def _run_plan(services: Services, job: Job, plan: list[dict], results: dict[int, str]) -> None:
    if bulk_execution.applies(plan):
        # Many people at once: batched through Graph or Exchange $batch, each outcome recorded (bulk_execution).
        await bulk_execution.run(services, job, plan, results)
        return
    for index, step in enumerate(plan):
        if results.get(index) in _FINISHED_STEPS:
            continue
        try:
            if step["op"] in mailboxes.DESK_OPS:  # the desk's own records: mailbox owners, grant expiries
                outcome = await mailboxes.apply_desk_step(services, job.request_id, step)
            else:
                outcome = await apply_step(services.tenant, step)
        except TransientError:
            if job.attempts < job.max_attempts:
                raise  # the runner retries later; finished steps stay finished
            await _fail(services, job, index, step["op"], "Microsoft 365 kept failing; gave up after retries")
            return
        except M365Error as error:
            await _fail(services, job, index, step["op"], error.message)
            return
        results[index] = outcome.value
        async with services.uow() as uow:
            await uow.jobs.record_step(job.id, index, step["op"], outcome.value, {"step": step})
            request = await uow.requests.get(job.request_id)
            assert request is not None
            request.result = {"steps": _step_results(results)}
            await uow.audit.append(
                action=f"step.{outcome.value}", request_id=request.id, detail={"index": index, "step": step}
            )
            await uow.commit()

    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        assert request is not None
        await uow.requests.transition(
            request, next_state(request.state, RequestEvent.SUCCEED).value, now=services.clock()
        )
        await uow.audit.append(action="request.completed", request_id=request.id, detail={"steps": len(plan)})
        await uow.jobs.enqueue(request.id, sync_job(RequestState.COMPLETED.value))
        await uow.commit()
    services.wake_jobs()
    logger.info("request %s completed", request.public_id)


async def refresh_directory(services: Services, plan: list[dict]) -> None:
    """Re-reads every list and mailbox the plan touched into the directory cache; a failure here only delays it to
    the next periodic sync, so it is logged, never raised."""
    lists = {str(step.get("list_id") or step.get("address")) for step in plan
             if step.get("op") in _LIST_STEPS and (step.get("list_id") or step.get("address"))}
    mailboxes = {str(step.get("mailbox_id") or step.get("mailbox_address") or step.get("address")) for step in plan
                 if step.get("op") in MAILBOX_OPS
                 and (step.get("mailbox_id") or step.get("mailbox_address") or step.get("address"))}
    for identity in sorted(lists):
        try:
            await directory_sync.refresh_list(services, identity)
        except Exception:
            logger.warning("could not refresh list %s in the directory cache", identity, exc_info=True)
    for identity in sorted(mailboxes):
        try:
            await directory_sync.refresh_mailbox(services, identity)
        except Exception:
            logger.warning("could not refresh mailbox %s in the directory cache", identity, exc_info=True)


async def _fail(services: Services, job: Job, index: int, op: str, message: str) -> None:
    async with services.uow() as uow:
        await uow.jobs.record_step(job.id, index, op, StepStatus.FAILED.value, {"error": message})
        request = await uow.requests.get(job.request_id)
        assert request is not None
        results = {**{item["index"]: item["status"] for item in (request.result or {}).get("steps", [])}}
        results[index] = StepStatus.FAILED.value
        request.result = {"steps": _step_results(results)}
        request.error = message
        await uow.requests.transition(request, next_state(request.state, RequestEvent.FAIL).value, now=services.clock())
        await uow.audit.append(
            action="request.failed", request_id=request.id, detail={"index": index, "op": op, "error": message}
        )
        await uow.jobs.enqueue(request.id, sync_job(RequestState.FAILED.value))
        await uow.commit()
    services.wake_jobs()
    logger.warning("request %s failed at step %s (%s): %s", request.public_id, index, op, message)


def _step_results(results: dict[int, str]) -> list[dict[str, object]]:
    return [{"index": index, "status": status} for index, status in sorted(results.items())]

"""The connector refuses or fails what the desk sends: nobody is shown exception text, and each job ends as designed."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from desk_harness import Desk, action_data, leaks

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.submission import card_update_job
from storage.models import JobStatus


async def _approved_license_request(desk: Desk) -> tuple[Any, str]:
    """Anna's E3 request, approved by Jonas; returns it and the id of Anna's status card (not yet updated)."""
    employee, admin = desk.tenant.seed.demo_employee, desk.tenant.seed.demo_admin
    await desk.say(employee, "request license E3")
    await desk.run_jobs()
    status_id, _ = desk.last_card(employee)
    approval_id, approval = desk.last_card(admin)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=approval_id)
    async with desk.uow() as uow:
        [request] = await uow.requests.list_for_requester(employee.id)
    return request, status_id


async def _job(desk: Desk, request_id: int, kind: str):
    async with desk.uow() as uow:
        job = await uow.jobs.for_request(request_id, kind)
    assert job is not None, f"no {kind} job"
    return job


async def test_a_refused_card_update_is_given_up_quietly(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee = seed.demo_employee
    request, status_id = await _approved_license_request(desk)
    # The connector answers 400 to everything about Anna's status card: the PUT that would update it.
    refusal = desk.tenant.faults.set("connector", status=400, path_contains=f"/activities/{status_id}")

    await desk.run_jobs()

    assert refusal.hits >= 2  # the approved and the completed state each tried to update it, once
    job = await _job(desk, request.id, card_update_job("approved"))
    assert (job.status, job.attempts, job.last_error) == (JobStatus.DONE.value, 1, None)  # not retried, not failed
    assert state.activities[status_id].updates == 0
    texts = desk.texts(employee)
    t = Translator("en-US")
    assert texts[-2:] == [t("notify.approved", request_id=request.public_id, name=seed.demo_admin.display_name),
                          t("notify.completed", request_id=request.public_id, kind=t("request.kind.license.assign"))]
    for person in (employee, seed.demo_admin):
        assert leaks(state.inbox(person.id)) == [], f"exception text reached {person.display_name}"


async def test_a_connector_outage_during_an_update_is_retried_and_nobody_is_told(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    request, status_id = await _approved_license_request(desk)
    outage = desk.tenant.faults.set("connector", status=503, times=1, path_contains=f"/activities/{status_id}")

    await desk.run_jobs()

    assert outage.hits == 1
    job = await _job(desk, request.id, card_update_job("approved"))
    assert job.status == JobStatus.QUEUED.value and job.attempts == 1 and "503" in (job.last_error or "")
    await asyncio.sleep(1.1)  # the job runner's first backoff is at most a second
    await desk.run_jobs()
    job = await _job(desk, request.id, card_update_job("approved"))
    assert (job.status, job.attempts) == (JobStatus.DONE.value, 2)
    assert state.activities[status_id].updates >= 1
    for person in (seed.demo_employee, seed.demo_admin):
        assert leaks(state.inbox(person.id)) == [], f"exception text reached {person.display_name}"


async def test_a_turn_whose_replies_are_refused_ends_with_a_reference_not_the_error(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    conversation = desk.tenant.state.personal_conversation_id(employee.id)
    # The reply and the agent's own "something went wrong" are both refused; the adapter's handler speaks last.
    desk.tenant.faults.set("connector", status=400, times=2, path_contains=conversation)

    await desk.say(employee, "help", locale="de-DE")

    [text] = desk.texts(employee)
    template = Translator("de-DE")("error.internal", ref="REF")
    assert re.fullmatch(re.escape(template).replace("REF", "[0-9a-f]{8}"), text), text
    assert leaks(desk.inbox(employee)) == []


async def test_a_chat_the_connector_does_not_know_gets_202_and_warnings_without_traces(
    desk: Desk, caplog: Any
) -> None:
    employee = desk.tenant.seed.demo_employee
    activity = desk._base(employee, "en-US")
    activity.update(text="help", conversation={"conversationType": "personal", "id": "a:unknown"})

    caplog.set_level("WARNING")
    response = await desk.post(activity)

    assert response.status == 202
    desk_records = [record for record in caplog.records if record.name.startswith("bot.")]
    assert desk_records and {record.levelname for record in desk_records} == {"WARNING"}, desk_records
    assert all(record.exc_info is None for record in desk_records)
    assert "reply not delivered" in desk_records[0].getMessage()

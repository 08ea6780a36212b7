"""The shared request lifecycle end to end, in-process: filing through the registry, the outbox's jobs run by their
handlers (approval cards, execution, card syncs) as the job runner would, decisions and withdrawals by click, and
execution's failure rules (independent and chained plans, transient errors) against the in-memory tenant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from desk_fixture import ANNA, BASIC_SKU_ID, JONAS, LENA, MARKETING, STANDARD_SKU_ID, Desk, Sent

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.card_delivery import remember_card
from handlers.commands import parse
from handlers.context import Reply
from handlers.delivery import REQUESTER, deliver_approval_cards, update_request_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.execution import execute_request
from handlers.jobs import JobHandler
from handlers.submission import DELIVER_JOB, EXECUTE_JOB
from m365.errors import Throttled, TransientError
from m365.memory import UserSeed
from storage.columns import utcnow
from storage.models import AuditEvent, Job, Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

t = Translator("en-US")
RUNNER = "unit-test-runner"
# As app.py hands them to the JobRunner: a job's kind up to its first ":" names its handler.
JOB_HANDLERS: dict[str, JobHandler] = {
    DELIVER_JOB: deliver_approval_cards, EXECUTE_JOB: execute_request, "sync": update_request_cards,
}
Person = UserSeed | str  # a seeded person, or anyone of the tenant by id


# ------------------------------------------------------------------ helpers


def user_id(desk: Desk, person: Person) -> str:
    return person.user_id if isinstance(person, UserSeed) else desk.tenant.user_by_id_or_mail(person).id


async def file(desk: Desk, person: Person, text: str) -> Request:
    """``text`` said in chat; the status card in the reply is sent and remembered for later updates, as the bot
    does with the reply it posts (bot/agent.py), so the requester's copy is one of the request's cards."""
    services = desk.services
    actor = desk.actor(person)
    reply = await dispatch_command(services, actor, parse(text, services.kinds))
    async with services.uow() as uow:
        (request, *_older) = await uow.requests.list_for_requester(actor.user_id)
    assert reply.card is not None, reply.text
    sent = await desk.messenger.send(actor.user_id, card=reply.card)
    assert sent is not None
    await remember_card(services, request.id, actor.user_id, REQUESTER, sent)
    return request


async def click(desk: Desk, person: Person, verb: Verb, data: object) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), verb, data)


async def stored(desk: Desk, request: Request) -> Request:
    async with desk.services.uow() as uow:
        found = await uow.requests.get(request.id)
    assert found is not None
    return found


async def audit_of(desk: Desk, request: Request, action: str) -> list[AuditEvent]:
    async with desk.services.uow() as uow:
        return [event for event in await uow.audit.for_request(request.id) if event.action == action]


async def claim(desk: Desk) -> Job | None:
    """The next ready job, leased as handlers/jobs.py's runner leases it (in a commit of its own)."""
    async with desk.services.uow() as uow:
        job = await uow.jobs.claim(RUNNER, lease_seconds=60)
        await uow.commit()
    return job


async def run(desk: Desk, job: Job) -> None:
    await JOB_HANDLERS[job.kind.split(":", 1)[0]](desk.services, job)
    async with desk.services.uow() as uow:
        await uow.jobs.complete(job)
        await uow.commit()


async def run_jobs(desk: Desk) -> list[str]:
    """Runs every ready job in the order the runner claims them; their kinds."""
    ran = []
    while (job := await claim(desk)) is not None:
        await run(desk, job)
        ran.append(job.kind)
    return ran


async def retry_later(desk: Desk, job: Job, error: TransientError) -> None:
    """What the runner does with a job that raised a TransientError: queue it again (here: due at once)."""
    async with desk.services.uow() as uow:
        await uow.jobs.fail(job, f"{type(error).__name__}: {error}", retry_at=utcnow())
        await uow.commit()


def action_data(card: Mapping[str, Any], verb: str) -> dict[str, Any]:
    """The data of the card's button with this verb, also inside an Action.ShowCard (Reject, Withdraw)."""
    actions = list(card.get("actions", []))
    while actions:
        action = actions.pop(0)
        if action.get("verb") == verb:
            return dict(action["data"])
        if action.get("type") == "Action.ShowCard":
            actions.extend(action["card"].get("actions", []))
    raise AssertionError(f"no {verb} button on the card")


def approval_card(desk: Desk, approver: Person) -> Mapping[str, Any]:
    (sent,) = [s for s in desk.messenger.to(user_id(desk, approver)) if s.card is not None]
    assert sent.card is not None
    return sent.card


def texts_to(desk: Desk, person: Person) -> list[str]:
    """The messages (not cards) the desk sent this person."""
    return [s.text for s in desk.messenger.to(user_id(desk, person)) if s.text is not None]


def updates_of(desk: Desk, sent: Sent) -> list[Mapping[str, Any]]:
    """Every update of one sent card, oldest first."""
    return [card for activity, card in desk.messenger.updates if activity == sent.activity]


async def join_marketing(desk: Desk, person: Person = ANNA) -> Request:
    """A join of the closed list Marketing Team, filed and its approval card delivered to Lena, its owner."""
    request = await file(desk, person, f"join {MARKETING.display_name}")
    assert await run_jobs(desk) == [DELIVER_JOB]
    return request


def marketing_members(desk: Desk) -> list[str]:
    (marketing,) = [dl for dl in desk.tenant.lists.values() if dl.display_name == MARKETING.display_name]
    return marketing.member_ids


async def outsider(desk: Desk) -> str:
    """Someone of the tenant with no part in any request: not a requester, approver, subject nor admin."""
    (person,) = desk.tenant.add_users(1, prefix="outsider")
    return person


# ------------------------------------------------------------------ approve → execute → completed


async def test_an_approved_join_is_applied_and_every_card_and_the_requester_hear_of_it(desk: Desk) -> None:
    request = await join_marketing(desk)
    assert (request.state, request.approver_ids) == ("pending", [LENA.user_id])
    card = approval_card(desk, LENA)
    approve = action_data(card, Verb.APPROVE)
    assert approve == {"request_id": request.public_id, "version": 1}

    reply = await click(desk, LENA, Verb.APPROVE, approve)
    assert reply.card is not None and reply.text is None
    assert (await stored(desk, request)).state == "approved"
    assert await run_jobs(desk) == [EXECUTE_JOB, "sync:approved", "sync:completed"]

    assert ANNA.user_id in marketing_members(desk)
    done = await stored(desk, request)
    assert done.state == "completed"
    assert done.result == {"steps": [{"index": 0, "status": "done"}]}
    assert [event.action for event in await audit_of(desk, request, "step.done")] == ["step.done"]
    # Both copies (Anna's status card, Lena's approval card) were updated once per announced state; a sync draws
    # the request as it is when it runs, so by then both show it done.
    copies = [s for person in (ANNA, LENA) for s in desk.messenger.to(person.user_id) if s.card is not None]
    assert len(copies) == 2
    for copy in copies:
        updates = updates_of(desk, copy)
        assert len(updates) == 2 and all(t("request.state.completed") in str(card) for card in updates)
    assert texts_to(desk, ANNA) == [
        t("notify.approved", request_id=request.public_id, name=LENA.display_name),
        t("notify.completed", request_id=request.public_id, kind=t("request.kind.dl.join")),
    ]
    assert texts_to(desk, LENA) == []


async def test_an_approved_request_is_not_decided_again(desk: Desk) -> None:
    request = await join_marketing(desk)
    approve = action_data(approval_card(desk, LENA), Verb.APPROVE)
    await click(desk, LENA, Verb.APPROVE, approve)
    again = await click(desk, LENA, Verb.REJECT, {**approve, "reason": "changed my mind"})
    assert again.text == t("approval.already_decided", request_id=request.public_id,
                           state=t("request.state.approved"))
    assert (await stored(desk, request)).state == "approved"


# ------------------------------------------------------------------ reject, withdraw


async def test_a_rejected_join_changes_nothing_and_the_requester_reads_why(desk: Desk) -> None:
    request = await join_marketing(desk)
    reject = action_data(approval_card(desk, LENA), Verb.REJECT)
    reply = await click(desk, LENA, Verb.REJECT, {**reject, "reason": "Marketing staff only"})
    assert reply.card is not None
    assert (await stored(desk, request)).state == "rejected"
    assert await run_jobs(desk) == ["sync:rejected"]
    assert ANNA.user_id not in marketing_members(desk)
    async with desk.services.uow() as uow:
        assert await uow.jobs.for_request(request.id, EXECUTE_JOB) is None
    assert texts_to(desk, ANNA) == [t("notify.rejected_reason", request_id=request.public_id,
                                      name=LENA.display_name, reason="Marketing staff only")]
    (lenas_card,) = [s for s in desk.messenger.to(LENA.user_id) if s.card]
    assert t("request.state.rejected") in str(updates_of(desk, lenas_card)[-1])


async def test_a_withdrawn_request_updates_the_approvers_card_and_cannot_be_approved(desk: Desk) -> None:
    request = await join_marketing(desk)
    (annas_card,) = [s for s in desk.messenger.to(ANNA.user_id) if s.card]
    assert annas_card.card is not None
    withdraw = action_data(annas_card.card, Verb.WITHDRAW)
    assert (await click(desk, LENA, Verb.WITHDRAW, withdraw)).text == t("withdraw.not_yours",
                                                                        request_id=request.public_id)
    reply = await click(desk, ANNA, Verb.WITHDRAW, withdraw)
    assert reply.text == t("withdraw.done", request_id=request.public_id)
    assert (await stored(desk, request)).state == "cancelled"
    assert await run_jobs(desk) == ["sync:cancelled"]
    (lenas_card,) = [s for s in desk.messenger.to(LENA.user_id) if s.card]
    assert t("request.state.cancelled") in str(updates_of(desk, lenas_card)[-1])

    late = await click(desk, LENA, Verb.APPROVE, action_data(approval_card(desk, LENA), Verb.APPROVE))
    assert late.text == t("approval.already_decided", request_id=request.public_id,
                          state=t("request.state.cancelled"))
    assert await run_jobs(desk) == []
    assert ANNA.user_id not in marketing_members(desk)


# ------------------------------------------------------------------ clicks the server refuses


async def test_an_outsiders_click_gets_the_answer_that_says_nothing_and_is_audited(desk: Desk) -> None:
    request = await join_marketing(desk)
    approve = action_data(approval_card(desk, LENA), Verb.APPROVE)
    stranger = await outsider(desk)
    refused = Reply(text=t("authority.refused"))
    assert await click(desk, stranger, Verb.APPROVE, approve) == refused
    assert await click(desk, stranger, Verb.WITHDRAW, {"request_id": request.public_id}) == refused
    # The same answer whether the request exists or not.
    assert await click(desk, stranger, Verb.APPROVE, {**approve, "request_id": "REQ-2025-999999"}) == refused
    events = await audit_of(desk, request, "click.refused")
    assert [(e.actor_id, e.detail["verb"], e.detail["reason"]) for e in events] == [
        (stranger, Verb.APPROVE, "not_involved"), (stranger, Verb.WITHDRAW, "not_involved")]
    assert (await stored(desk, request)).state == "pending"


async def test_a_click_on_an_older_version_of_the_card_is_stale(desk: Desk) -> None:
    request = await join_marketing(desk)
    approve = action_data(approval_card(desk, LENA), Verb.APPROVE)
    reply = await click(desk, LENA, Verb.APPROVE, {**approve, "version": approve["version"] + 1})
    assert reply.text == t("approval.stale", request_id=request.public_id)
    assert reply.card is not None
    assert (await stored(desk, request)).state == "pending"
    async with desk.services.uow() as uow:
        assert await uow.jobs.for_request(request.id, EXECUTE_JOB) is None


async def test_the_requester_cannot_approve_their_own_request_even_as_an_admin(desk: Desk) -> None:
    request = await join_marketing(desk, JONAS)  # Jonas is an admin; Lena decides his join
    approve = {"request_id": request.public_id, "version": request.version}
    reply = await click(desk, JONAS, Verb.APPROVE, approve)
    assert reply.text == t("approval.self")
    assert (await stored(desk, request)).state == "pending"
    (event,) = await audit_of(desk, request, "click.refused")
    assert (event.actor_id, event.detail["reason"]) == (JONAS.user_id, "requester")


# ------------------------------------------------------------------ execution's failure rules


async def test_an_independent_plan_completes_every_step_it_can_and_fails_with_every_outcome(desk: Desk) -> None:
    people = desk.tenant.add_users(3, prefix="sales")
    for person in people:
        desk.tenant.update_user(person, manager_id=LENA.user_id)
    upns = [desk.tenant.user_by_id_or_mail(person).user_principal_name for person in people]
    request = await file(desk, LENA, "request license Business Basic for\n" + "\n".join(upns))
    assert request.kind == "license.assign_bulk" and len(request.plan) == 3
    assert await run_jobs(desk) == [DELIVER_JOB]
    # Between filing and approval the second person loses their usage location: Graph refuses that assignment.
    desk.tenant.update_user(people[1], usage_location=None)

    await click(desk, JONAS, Verb.APPROVE, action_data(approval_card(desk, JONAS), Verb.APPROVE))
    assert await run_jobs(desk) == [EXECUTE_JOB, "sync:approved", "sync:failed"]

    held = [BASIC_SKU_ID in desk.tenant.held_sku_ids(desk.tenant.user_by_id_or_mail(p)) for p in people]
    assert held == [True, False, True]
    failed = await stored(desk, request)
    assert failed.state == "failed"
    assert failed.result == {"steps": [{"index": 0, "status": "done"}, {"index": 1, "status": "failed"},
                                       {"index": 2, "status": "done"}]}
    second = desk.tenant.user_by_id_or_mail(people[1]).display_name
    details = f"{second}: License assignment cannot be done for user with invalid usage location."
    assert failed.error == t("license.bulk.failed_summary", failed=1, total=3, details=details)
    assert texts_to(desk, LENA)[-1] == t("notify.failed", request_id=request.public_id, error=failed.error)


async def test_a_chained_plan_stops_at_its_first_failing_step(desk: Desk) -> None:
    # Without a usage location Anna's license needs two steps: set it (from her country), then assign.
    desk.tenant.update_user(ANNA.user_id, usage_location=None, country="Poland")
    request = await file(desk, LENA, f"request license Business Standard for {ANNA.user_principal_name}")
    assert [step["op"] for step in request.plan] == ["set_usage_location", "assign_license"]
    assert await run_jobs(desk) == [DELIVER_JOB]
    desk.tenant.delete_user(ANNA.user_id)  # gone before the change is made: the first step cannot be done

    await click(desk, JONAS, Verb.APPROVE, action_data(approval_card(desk, JONAS), Verb.APPROVE))
    assert await run_jobs(desk) == [EXECUTE_JOB, "sync:approved", "sync:failed"]

    failed = await stored(desk, request)
    assert failed.state == "failed"
    assert failed.result == {"steps": [{"index": 0, "status": "failed"}]}, "the assignment is never tried"
    assert failed.error == f"user {ANNA.user_id} no longer exists"
    (event,) = await audit_of(desk, request, "request.failed")
    assert (event.detail["index"], event.detail["op"]) == (0, "set_usage_location")
    assert await desk.services.tenant.licenses.holders(STANDARD_SKU_ID) == {LENA.user_id}


async def test_a_transient_error_leaves_the_step_open_and_the_retried_job_finishes_it(desk: Desk) -> None:
    request = await join_marketing(desk)
    await click(desk, LENA, Verb.APPROVE, action_data(approval_card(desk, LENA), Verb.APPROVE))
    desk.faults.fail_next("distribution_lists.add_member", Throttled("Too many requests", status=429, retry_after=30))

    job = await claim(desk)
    assert job is not None and job.kind == EXECUTE_JOB
    with pytest.raises(TransientError) as raised:
        await execute_request(desk.services, job)
    assert raised.value.retry_after == 30, "the runner waits as long as the service asked"
    assert desk.faults.pending("distribution_lists.add_member") == 0
    assert (await stored(desk, request)).state == "executing"
    async with desk.services.uow() as uow:
        assert await uow.jobs.steps(job.id) == {}, "the step stays open for the next attempt"
    assert ANNA.user_id not in marketing_members(desk)

    await retry_later(desk, job, raised.value)
    assert await run_jobs(desk) == ["sync:approved", EXECUTE_JOB, "sync:completed"]
    assert ANNA.user_id in marketing_members(desk)
    done = await stored(desk, request)
    assert (done.state, done.result) == ("completed", {"steps": [{"index": 0, "status": "done"}]})


async def test_on_the_last_attempt_a_step_still_failing_transiently_is_given_up(desk: Desk) -> None:
    request = await join_marketing(desk)
    await click(desk, LENA, Verb.APPROVE, action_data(approval_card(desk, LENA), Verb.APPROVE))
    desk.faults.fail_next("distribution_lists.add_member", TransientError("service unavailable", status=503),
                          times=5)
    job = await claim(desk)
    assert job is not None and job.kind == EXECUTE_JOB
    while job.attempts < job.max_attempts:
        with pytest.raises(TransientError) as raised:
            await execute_request(desk.services, job)
        await retry_later(desk, job, raised.value)
        job = await claim(desk)
        while job is not None and job.kind != EXECUTE_JOB:  # the approval's card sync, in between
            await run(desk, job)
            job = await claim(desk)
        assert job is not None
    await execute_request(desk.services, job)  # the fifth attempt records the step failed instead of raising
    failed = await stored(desk, request)
    assert (failed.state, failed.result) == ("failed", {"steps": [{"index": 0, "status": "failed"}]})
    assert failed.error == "Microsoft 365 kept failing; gave up after retries"
    assert ANNA.user_id not in marketing_members(desk)

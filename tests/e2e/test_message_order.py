"""The requester reads what happened in the order it happened, even when Teams is slow to take the first message."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from conftest import desk_settings, start_desk
from desk_harness import action_data

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import DevTenant


async def _until(done: Callable[[], bool], what: str, seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_approved_arrives_before_done_although_its_delivery_is_slow(tenant: DevTenant, database_url: str) -> None:
    """Execution is instant here while the approval notice is held up at the connector: with the background job
    runner's two workers, "done" used to overtake "approved" (seen in the demo for REQ-3, REQ-7 and a Polish one)."""
    seed, state = tenant.seed, tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    desk = await start_desk(tenant, desk_settings(tenant, database_url), run_jobs=True)
    try:
        await desk.say(employee, "request license E3")
        await _until(lambda: bool(desk.cards(admin)), "the approval card")
        async with desk.uow() as uow:
            [request] = await uow.requests.list_for_requester(employee.id)
        t = Translator("en-US")
        approved = t("notify.approved", request_id=request.public_id, name=admin.display_name)
        completed = t("notify.completed", request_id=request.public_id, kind=t("request.kind.license.assign"))

        # The first thing the desk sends to Anna's chat after the decision waits 1.5 s at the connector.
        slow = tenant.faults.set("connector", latency_ms=1500, times=1,
                                 path_contains=state.personal_conversation_id(employee.id))
        approval_id, approval = desk.last_card(admin)
        await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=approval_id)
        await _until(lambda: completed in desk.texts(employee) and approved in desk.texts(employee),
                     "both messages to the requester")

        assert slow.hits == 1
        said = [text for text in desk.texts(employee) if text in (approved, completed)]
        assert said == [approved, completed]
        # The change itself did not wait for the slow message.
        async with desk.uow() as uow:
            execute = await uow.jobs.for_request(request.id, "execute")
            sync_approved = await uow.jobs.for_request(request.id, "sync:approved")
        assert execute is not None and sync_approved is not None
        assert execute.updated_at < sync_approved.updated_at
    finally:
        await desk.client.close()

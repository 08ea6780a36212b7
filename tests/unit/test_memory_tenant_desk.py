"""The desk fixture works end to end: a handler files a request against the memory tenant and a migrated database."""

from __future__ import annotations

from desk_fixture import ANNA, LENA, MARKETING, Desk

from handlers.commands import parse
from handlers.dispatch import dispatch_command
from kinds.lists.steps import MemberAddition

pytest_plugins = ["desk_fixture"]


async def test_join_request_is_filed_for_the_list_owner(desk: Desk) -> None:
    anna = desk.actor(ANNA)
    # Through the registry's route rather than a module path: the handlers are moving into kinds/ right now.
    await dispatch_command(desk.services, anna, parse(f"join {MARKETING.alias}", desk.services.kinds))
    async with desk.services.uow() as uow:
        [request] = await uow.requests.list_for_requester(anna.user_id)
    assert (request.kind, request.state, request.target_id) == ("dl.join", "pending", MARKETING.list_id)
    assert request.approver_ids == [LENA.user_id]
    assert desk.services.kinds.steps.load_plan(request.plan) == (
        MemberAddition(list_id=MARKETING.list_id, list_name=MARKETING.display_name,
                       member=ANNA.user_principal_name, member_name=ANNA.display_name),
    )

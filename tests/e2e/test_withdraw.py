"""A requester withdraws their own waiting request: approvers' cards follow, nothing is applied, nobody else may."""

from __future__ import annotations

from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb


async def _filed_license_request(desk: Desk):
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "request license E3")
    await desk.run_jobs()  # the approval cards go out
    async with desk.uow() as uow:
        [request] = await uow.requests.list_for_requester(employee.id)
    return request


def _assign_calls(desk: Desk) -> int:
    return len([c for c in desk.tenant.state.calls("graph") if c.path.endswith("/assignLicense")])


async def test_withdrawn_on_its_card_it_is_cancelled_everywhere_and_never_applied(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    request = await _filed_license_request(desk)
    approval_id, approval = desk.last_card(admin)
    status_id, status = desk.last_card(employee)
    assert request.public_id in card_text(status) and "Withdraw request" in card_text(status)

    answer = await desk.click(employee, Verb.WITHDRAW, action_data(status, Verb.WITHDRAW), reply_to_id=status_id)
    assert "Cancelled" in card_text(answer["value"]) and "Withdraw request" not in card_text(answer["value"])
    async with desk.uow() as uow:
        stored = await uow.requests.get_by_public_id(request.public_id)
        audit = [(e.action, e.actor_id) for e in await uow.audit.for_request(request.id)]
    assert stored is not None and stored.state == "cancelled"
    assert ("request.cancelled", employee.id) in audit

    await desk.run_jobs()  # every copy of the card is brought up to date
    [(_, admins_copy)] = [(i, c) for i, c in desk.cards(admin) if i == approval_id]
    assert "Cancelled" in card_text(admins_copy) and Verb.APPROVE.value not in card_text(admins_copy)
    # A click on a copy that was not refreshed yet is re-checked against the stored request.
    late = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=approval_id)
    assert "already decided" in card_text(late["value"])
    await desk.run_jobs()
    assert _assign_calls(desk) == 0


async def test_only_the_requester_may_withdraw_and_only_while_it_waits(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    request = await _filed_license_request(desk)

    await desk.say(admin, f"withdraw {request.public_id}")
    assert desk.texts(admin)[-1] == f"Only the person who filed {request.public_id} can withdraw it."
    async with desk.uow() as uow:
        assert (await uow.requests.get_by_public_id(request.public_id)).state == "pending"

    approval_id, approval = desk.last_card(admin)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=approval_id)
    await desk.say(employee, f"wycofaj wniosek {request.public_id.lower()}", locale="pl-PL")
    assert desk.texts(employee)[-1] == f"Wniosku {request.public_id} nie można już wycofać: Zatwierdzony."
    await desk.run_jobs()
    async with desk.uow() as uow:
        assert (await uow.requests.get_by_public_id(request.public_id)).state == "completed"
    assert _assign_calls(desk) == 1

    await desk.say(employee, "withdraw REQ-2026-999999")
    assert desk.texts(employee)[-1] == Translator("en-US")("authority.refused"), "the same as for someone else's"

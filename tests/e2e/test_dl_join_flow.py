"""dl.join end to end: routed to the list's owner, executed through Exchange InvokeCommand, exactly once."""

from __future__ import annotations

from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb


async def test_join_closed_list_owner_approves_member_added(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, owner, admin, dl = seed.demo_employee, seed.list_owner, seed.demo_admin, seed.closed_list
    assert employee.id not in state.list_members(dl.id)

    await desk.say(employee, f"join {dl.display_name}")
    await desk.run_jobs()
    card_id, approval = desk.last_card(owner)
    assert dl.display_name in card_text(approval)
    assert not [c for _, c in desk.cards(admin) if dl.display_name in card_text(c)], "owners decide, not admins"

    reply = await desk.click(owner, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert "Approved by" in card_text(reply["value"])
    await desk.run_jobs()
    assert employee.id in state.list_members(dl.id)
    assert any("Done" in text for text in desk.texts(employee))
    adds = [c for c in state.calls("exchange", cmdlet="Add-DistributionGroupMember")]
    assert len(adds) == 1


async def test_already_a_member_gets_a_message_and_no_request(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    dl = seed.closed_list
    member = next(u for u in seed.users if u.id in state.list_members(dl.id))
    await desk.say(member, f"join {dl.alias}")
    assert "already a member" in desk.texts(member)[-1]
    async with desk.uow() as uow:
        assert await uow.requests.list_for_requester(member.id) == []


async def test_unknown_list_suggests_nothing_and_changes_nothing(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "join no-such-list-anywhere")
    assert "couldn't find" in desk.texts(employee)[-1]
    async with desk.uow() as uow:
        assert await uow.requests.list_for_requester(employee.id) == []

"""A license a group gives: the desk offers leaving the group; the click files group.leave, admins approve, Graph
ends the membership and group licensing takes the license away."""

from __future__ import annotations

from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb

E3 = "ENTERPRISEPACK"


async def _requests_of(desk: Desk, user) -> list:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user.id)


async def test_leaving_the_licensing_group_takes_the_license_away(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    person, group, admin = seed.group_licensed_user, seed.license_groups[0], seed.demo_admin
    e3 = state.sku(E3)["skuId"]
    await desk.say(person, "remove license E3")
    card_id, offer = desk.last_card(person)
    assert f"Ask to leave {group.display_name}" in card_text(offer)
    data = action_data(offer, Verb.GROUP_LEAVE)
    assert data == {"group_id": group.id, "user_id": person.id}
    assert await _requests_of(desk, person) == []

    reply = await desk.click(person, Verb.GROUP_LEAVE, data, reply_to_id=card_id)
    assert f"Remove {person.display_name} from the group {group.display_name}" in card_text(reply["value"])
    [request] = await _requests_of(desk, person)
    assert request.kind == "group.leave" and request.plan[0]["op"] == "remove_group_member"
    await desk.click(person, Verb.GROUP_LEAVE, data)
    assert len(await _requests_of(desk, person)) == 1, "asked twice, filed once"

    await desk.run_jobs()
    approval_id, approval = desk.last_card(admin)
    assert "Leave a licensing group" in card_text(approval)
    state.reset_call_log()
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=approval_id)
    await desk.run_jobs()
    assert person.id not in state.group_members[group.id]
    assert e3 not in {lic["skuId"] for lic in state.user(person.id)["assignedLicenses"]}
    deletes = [c for c in state.calls("graph") if c.method == "DELETE"]
    assert [c.path.endswith(f"/groups/{group.id}/members/{person.id}/$ref") for c in deletes] == [True]
    [request] = await _requests_of(desk, person)
    assert request.state == "completed" and request.result == {"steps": [{"index": 0, "status": "done"}]}


async def test_the_click_is_checked_again_on_the_server(desk: Desk) -> None:
    seed = desk.tenant.seed
    person, group, anna = seed.group_licensed_user, seed.license_groups[0], seed.demo_employee
    # Someone else's membership, from a forged or forwarded card: refused by the policy.
    reply = await desk.click(anna, Verb.GROUP_LEAVE, {"group_id": group.id, "user_id": person.id})
    assert "only an admin or" in reply["value"]
    # Not a member of that group; a group that gives no license; a broken card.
    reply = await desk.click(anna, Verb.GROUP_LEAVE, {"group_id": group.id, "user_id": anna.id})
    assert "not a direct member" in reply["value"]
    admin = seed.demo_admin
    reply = await desk.click(admin, Verb.GROUP_LEAVE, {"group_id": seed.admins_group.id, "user_id": admin.id},
                             locale="de-DE")
    assert "keine Lizenz" in reply["value"]
    reply = await desk.click(anna, Verb.GROUP_LEAVE, {"group_id": 5})
    assert reply["value"] and await _requests_of(desk, anna) == []
    assert await _requests_of(desk, admin) == []

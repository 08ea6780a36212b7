"""license.remove and license.change end to end: request → approval card → job → one idempotent Graph change."""

from __future__ import annotations

from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb
from handlers.submission import EXECUTE_JOB

E3, E5 = "ENTERPRISEPACK", "ENTERPRISEPREMIUM"


def _assign_calls(desk: Desk) -> list:
    return [c for c in desk.tenant.state.calls("graph") if c.method == "POST" and c.path.endswith("/assignLicense")]


def _skus(desk: Desk, user_id: str) -> set[str]:
    return {lic["skuId"] for lic in desk.tenant.state.user(user_id)["assignedLicenses"]}


def _direct_e3_holder(desk: Desk):
    seed = desk.tenant.seed
    admins = set(seed.admins_group.member_ids)
    return next(
        u for u in seed.users if u.id in seed.sku(E3).direct_user_ids and u.account_enabled and u.id not in admins
    )


async def _requests_of(desk: Desk, user) -> list:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user.id)


async def _approve_last(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    reply = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert "Approved by" in card_text(reply["value"])


async def test_remove_flow(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    anna = seed.demo_employee
    basic = state.sku("O365_BUSINESS_ESSENTIALS")["skuId"]
    free_before = state.free_units(basic)

    await desk.say(anna, "remove license Business Basic")
    _, status = desk.last_card(anna)
    assert "License removal" in card_text(status)
    assert f"Remove Microsoft 365 Business Basic from {anna.display_name}" in card_text(status)
    await desk.run_jobs()
    _, approval = desk.last_card(seed.demo_admin)
    assert f"Remove Microsoft 365 Business Basic from {anna.display_name}" in card_text(approval)
    assert basic in _skus(desk, anna.id)

    desk.tenant.state.reset_call_log()
    await _approve_last(desk)
    await desk.run_jobs()
    assert basic not in _skus(desk, anna.id)
    assert state.free_units(basic) == free_before + 1
    assert len(_assign_calls(desk)) == 1
    [request] = await _requests_of(desk, anna)
    assert request.kind == "license.remove" and request.state == "completed"
    assert any("Done" in text for text in desk.texts(anna))


async def test_remove_what_is_not_held_files_nothing(desk: Desk) -> None:
    anna = desk.tenant.seed.demo_employee
    await desk.say(anna, "usuń licencję E3", locale="pl-PL")
    assert "nie ma licencji" in desk.texts(anna)[-1]
    await desk.say(anna, "remove license Z9")
    assert "don't know the plan" in desk.texts(anna)[-1]
    assert await _requests_of(desk, anna) == []


async def test_change_flow_is_one_atomic_assign_license_call(desk: Desk) -> None:
    state = desk.tenant.state
    person = _direct_e3_holder(desk)
    e3, e5 = state.sku(E3)["skuId"], state.sku(E5)["skuId"]
    state.set_prepaid_units(E5, state.sku(E5)["prepaidUnits"]["enabled"] + 1)

    await desk.say(person, "change license E3 to E5")
    _, status = desk.last_card(person)
    swap = f"Change the license of {person.display_name} in one step: Office 365 E3 → Office 365 E5"
    assert swap in card_text(status)
    await desk.run_jobs()
    _, approval = desk.last_card(desk.tenant.seed.demo_admin)
    assert swap in card_text(approval) and "Office 365 E5: 1 / " in card_text(approval)

    state.reset_call_log()
    await _approve_last(desk)
    await desk.run_jobs()
    assert e5 in _skus(desk, person.id) and e3 not in _skus(desk, person.id)
    assert len(_assign_calls(desk)) == 1, "the swap must be one assignLicense call (add E5 + remove E3)"
    [request] = await _requests_of(desk, person)
    assert request.kind == "license.change" and request.state == "completed"
    assert request.result == {"steps": [{"index": 0, "status": "done"}]}

    # Re-running the finished request (a duplicate execute job) changes nothing and calls Graph for no write.
    state.reset_call_log()
    async with desk.uow() as uow:
        await uow.jobs.enqueue(request.id, f"{EXECUTE_JOB}:again")
        await uow.commit()
    await desk.run_jobs()
    assert _assign_calls(desk) == []
    async with desk.uow() as uow:
        again = await uow.requests.get(request.id)
    assert again is not None and again.state == "completed" and again.version == request.version


async def test_a_swap_applied_before_a_crash_is_not_applied_again(desk: Desk) -> None:
    state = desk.tenant.state
    person = _direct_e3_holder(desk)
    e3, e5 = state.sku(E3)["skuId"], state.sku(E5)["skuId"]
    state.set_prepaid_units(E5, state.sku(E5)["prepaidUnits"]["enabled"] + 1)
    await desk.say(person, "Lizenz E3 auf E5 ändern", locale="de-DE")
    await _approve_last(desk)
    # An earlier run applied the swap and died before recording it: the re-run finds it in place.
    user = state.user(person.id)
    for entry in user["licenseAssignmentStates"]:
        if entry["skuId"] == e3 and entry["assignedByGroup"] is None:
            entry["skuId"] = e5
    state.sync_assigned_licenses(user)
    state.reset_call_log()
    await desk.run_jobs()
    assert _assign_calls(desk) == []
    [request] = await _requests_of(desk, person)
    assert request.state == "completed"
    assert request.result == {"steps": [{"index": 0, "status": "already_done"}]}


async def test_change_is_refused_with_reasons(desk: Desk) -> None:
    state = desk.tenant.state
    person = _direct_e3_holder(desk)
    assert state.free_units(E5) == 0
    await desk.say(person, "change license E3 to E5")
    assert "no free" in desk.texts(person)[-1] and "Office 365 E5" in desk.texts(person)[-1]
    await desk.say(person, "change license E3 to E3")
    assert "changes nothing" in desk.texts(person)[-1]
    await desk.say(person, "zmień licencję Business Basic na E5", locale="pl-PL")
    assert "nie ma licencji" in desk.texts(person)[-1]
    state.set_prepaid_units(E5, state.sku(E5)["prepaidUnits"]["enabled"] + 1)
    await desk.say(person, "change license E3 to E5")
    await desk.say(person, "remove license E3")
    assert "already waiting for approval" in desk.texts(person)[-1]
    assert len(await _requests_of(desk, person)) == 1


async def test_group_assigned_license_is_explained_and_nothing_is_filed(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    person, group = seed.group_licensed_user, seed.license_groups[0]
    state.set_prepaid_units(E5, state.sku(E5)["prepaidUnits"]["enabled"] + 1)
    state.reset_call_log()
    await desk.say(person, "remove license E3")
    answer = desk.texts(person)[-1]
    assert group.display_name in answer and "membership" in answer and "Nothing was filed" in answer
    await desk.say(person, "change license E3 to E5")
    assert group.display_name in desk.texts(person)[-1]
    await desk.say(person, "Lizenz E3 entfernen", locale="de-DE")
    assert f"Gruppe {group.display_name}" in desk.texts(person)[-1]
    assert await _requests_of(desk, person) == []
    assert _assign_calls(desk) == []
    assert any(c.path.endswith(f"/groups/{group.id}") for c in state.calls("graph")), "the group's name was looked up"

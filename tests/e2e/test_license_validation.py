"""Bad or impossible license requests get a clear, localized answer and store nothing; usage location is handled."""

from __future__ import annotations

from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb


async def _requests_of(desk: Desk, user) -> list:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user.id)


async def test_unknown_plan_lists_the_tenants_plans(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "request license Z9")
    answer = desk.texts(employee)[-1]
    assert "don't know the plan" in answer and "Office 365 E3" in answer
    assert await _requests_of(desk, employee) == []


async def test_unknown_person(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "request license E3 for nobody.here@contoso.com")
    assert "couldn't find" in desk.texts(employee)[-1]
    assert await _requests_of(desk, employee) == []


async def test_already_licensed(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee = seed.demo_employee
    held = desk.tenant.state.user(employee.id)["assignedLicenses"][0]["skuId"]
    await desk.say(employee, f"request license {held}")
    assert "already has" in desk.texts(employee)[-1]
    assert await _requests_of(desk, employee) == []


async def test_no_free_seats_says_so_with_numbers(desk: Desk) -> None:
    state = desk.tenant.state
    employee = desk.tenant.seed.demo_employee
    assert state.free_units("ENTERPRISEPREMIUM") == 0
    await desk.say(employee, "request license E5")
    answer = desk.texts(employee)[-1]
    assert "no free" in answer and "Office 365 E5" in answer
    assert await _requests_of(desk, employee) == []


async def test_polish_speaker_gets_polish_answers(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "poproś o licencję Z9", locale="pl-PL")
    assert "Nie znam planu" in desk.texts(employee)[-1]
    await desk.say(employee, "Lizenz Z9 anfordern", locale="de-DE")
    assert "kenne ich nicht" in desk.texts(employee)[-1]


async def test_missing_usage_location_is_set_from_country_before_the_license(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    person = seed.employee_without_usage_location
    assert state.user(person.id).get("usageLocation") is None
    await desk.say(person, "request license E3")
    _, status = desk.last_card(person)
    assert f"Set the usage location of {person.display_name} to {person.country}" in card_text(status)
    await desk.run_jobs()
    card_id, approval = desk.last_card(seed.demo_admin)
    await desk.click(seed.demo_admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    await desk.run_jobs()
    user = state.user(person.id)
    assert user["usageLocation"] == person.country
    assert state.sku("ENTERPRISEPACK")["skuId"] in [lic["skuId"] for lic in user["assignedLicenses"]]


async def test_no_usage_location_and_no_country_asks_on_a_form(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    person = seed.employee_without_usage_location
    state.user(person.id)["country"] = None
    await desk.say(person, "request license E3")
    _, form = desk.last_card(person)
    assert '"id": "usage_location"' in card_text(form)
    assert await _requests_of(desk, person) == []

    e3 = state.sku("ENTERPRISEPACK")["skuId"]
    bad = await desk.click(person, Verb.LICENSE_SUBMIT, {"sku_id": e3, "usage_location": "XX"})
    assert "not a country code" in card_text(bad)
    assert await _requests_of(desk, person) == []

    good = await desk.click(person, Verb.LICENSE_SUBMIT, {"sku_id": e3, "usage_location": "de"}, reply_to_id="x1")
    assert "Waiting for approval" in card_text(good["value"])
    [request] = await _requests_of(desk, person)
    assert request.plan[0] == {"op": "set_usage_location", "v": 2, "user_id": person.id, "user": person.display_name,
                               "country": "DE"}


async def test_a_second_identical_request_is_refused_while_the_first_is_pending(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "request license E3")
    await desk.say(employee, "request license E3")
    assert "already waiting for approval" in desk.texts(employee)[-1]
    assert len(await _requests_of(desk, employee)) == 1


async def test_help_and_my_requests(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "help")
    _, help_card = desk.last_card(employee)
    assert "request license E3" in card_text(help_card)
    await desk.say(employee, "request license E3")
    await desk.say(employee, "my requests")
    _, mine = desk.last_card(employee)
    [request] = await _requests_of(desk, employee)
    assert request.public_id in card_text(mine) and "Waiting for approval" in card_text(mine)
    assert request.public_id.startswith("REQ-20") and len(request.public_id) == len("REQ-2026-000001")

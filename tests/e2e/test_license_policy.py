"""F9's policy: license requests for oneself, or for others by admins and (by setting) managers for their reports."""

from __future__ import annotations

from conftest import desk_settings, start_desk
from desk_harness import Desk, card_text

BASIC = "O365_BUSINESS_ESSENTIALS"


async def _requests_of(desk: Desk, user) -> list:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user.id)


def _manager_and_report(desk: Desk):
    """A manager who is no admin, with an enabled direct report who has a usage location and no Business Basic."""
    seed, state = desk.tenant.seed, desk.tenant.state
    basic = state.sku(BASIC)["skuId"]
    admins = set(seed.admins_group.member_ids)
    users = list(state.users.values())
    for report in users:
        manager = state.users.get(report.get("manager") or "")
        held = {lic["skuId"] for lic in report["assignedLicenses"]}
        if (manager and manager["id"] not in admins and manager["accountEnabled"] and report["accountEnabled"]
                and report.get("usageLocation") and basic not in held):
            return seed.user(manager["id"]), seed.user(report["id"])
    raise AssertionError("the seed has no manager with a suitable direct report")


def _colleague(desk: Desk, of) -> object:
    """Someone enabled who is neither `of` nor one of `of`'s direct reports."""
    state = desk.tenant.state
    return next(u for u in desk.tenant.seed.users
                if u.id != of.id and u.account_enabled and state.user(u.id).get("manager") != of.id)


async def test_an_employee_cannot_ask_for_a_colleague(desk: Desk) -> None:
    state = desk.tenant.state
    anna = desk.tenant.seed.demo_employee
    state.set_prepaid_units(BASIC, state.consumed_units(state.sku(BASIC)["skuId"]) + 5)
    colleague = _colleague(desk, anna)
    await desk.say(anna, f"request license Business Basic for {colleague.user_principal_name}")
    answer = desk.texts(anna)[-1]
    assert "only an admin or" in answer and colleague.display_name in answer and "Nothing was filed" in answer
    await desk.say(anna, f"usuń licencję E3 dla {colleague.user_principal_name}", locale="pl-PL")
    assert "tylko administrator" in desk.texts(anna)[-1]
    await desk.say(anna, f"change license E3 to E5 for {colleague.user_principal_name}")
    assert "only an admin or" in desk.texts(anna)[-1]
    assert await _requests_of(desk, anna) == []


async def test_a_manager_may_ask_for_a_direct_report_and_bulk_refuses_the_others(desk: Desk) -> None:
    state = desk.tenant.state
    state.set_prepaid_units(BASIC, state.consumed_units(state.sku(BASIC)["skuId"]) + 5)
    manager, report = _manager_and_report(desk)
    await desk.say(manager, f"request license Business Basic for {report.user_principal_name}")
    [request] = await _requests_of(desk, manager)
    assert request.kind == "license.assign" and request.target_id == report.id

    stranger = _colleague(desk, manager)
    await desk.say(manager, "Lizenz E5 für " + ", ".join((report.user_principal_name, stranger.user_principal_name)),
                   locale="de-DE")
    report_card = next(card_text(c) for _, c in desk.cards(manager) if stranger.user_principal_name in card_text(c))
    assert f"✗ {stranger.user_principal_name} — weder du noch eine Person" in report_card


async def test_an_admin_may_ask_for_anyone(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    admin, anna = seed.demo_admin, seed.demo_employee
    state.set_prepaid_units("ENTERPRISEPACK", state.consumed_units(state.sku("ENTERPRISEPACK")["skuId"]) + 1)
    await desk.say(admin, f"request license E3 for {anna.user_principal_name}")
    [request] = await _requests_of(desk, admin)
    assert request.target_id == anna.id and admin.id not in request.approver_ids

    # Anna did not ask, but it changes her: her "my requests" shows it, and who asked.
    await desk.say(anna, "my requests")
    shown = card_text(desk.last_card(anna)[1])
    assert "Asked for you by others" in shown and request.public_id in shown and f"by {admin.display_name}" in shown


async def test_with_the_setting_off_a_manager_is_refused_too(tenant, database_url: str) -> None:
    desk = await start_desk(tenant, desk_settings(tenant, database_url, managers_may_request_for_reports=False))
    try:
        state = tenant.state
        state.set_prepaid_units(BASIC, state.consumed_units(state.sku(BASIC)["skuId"]) + 5)
        manager, report = _manager_and_report(desk)
        await desk.say(manager, f"request license Business Basic for {report.user_principal_name}")
        answer = desk.texts(manager)[-1]
        assert "only an admin can" in answer and "Nothing was filed" in answer
        assert await _requests_of(desk, manager) == []
    finally:
        await desk.client.close()

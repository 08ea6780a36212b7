"""license.assign end to end: Teams activity → request → approval card → click → Graph change → notifications."""

from __future__ import annotations

from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb


async def test_employee_requests_e3_admin_approves_license_lands(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    e3 = state.sku("ENTERPRISEPACK")
    free_before = state.free_units("ENTERPRISEPACK")

    await desk.say(employee, "request license E3 for me")
    _, status = desk.last_card(employee)
    assert "Waiting for approval" in card_text(status)

    await desk.run_jobs()  # delivers approval cards
    card_id, approval = desk.last_card(admin)
    assert "Approval needed" in card_text(approval) and employee.display_name in card_text(approval)
    assert e3["skuId"] not in [lic["skuId"] for lic in state.user(employee.id)["assignedLicenses"]]

    reply = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert reply["statusCode"] == 200
    assert "Approved by" in card_text(reply["value"])

    await desk.run_jobs()  # executes, then syncs cards and notifies
    assert e3["skuId"] in [lic["skuId"] for lic in state.user(employee.id)["assignedLicenses"]]
    assert state.free_units("ENTERPRISEPACK") == free_before - 1
    assert any("Done" in text for text in desk.texts(employee))
    _, status = desk.last_card(employee)
    assert "Done" in card_text(status)

    async with desk.uow() as uow:
        check = await uow.audit.verify()  # with the desk's audit keys
    assert check.ok and check.checked >= 5


async def test_install_events_greet_once_by_directory_name(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    for kind in ("installationUpdate", "conversationUpdate", "installationUpdate"):
        activity = desk._base(employee, "en-US") | {"type": kind}
        activity.pop("text", None)
        activity["from"] = {"id": f"29:{employee.id}", "aadObjectId": employee.id}  # Teams sends no name here
        if kind == "installationUpdate":
            activity["action"] = "add"
        else:
            activity["membersAdded"] = [{"id": activity["from"]["id"]}, {"id": activity["recipient"]["id"]}]
        assert (await desk.post(activity)).status in (200, 201, 202)
    greetings = [c for _, c in desk.cards(employee) if "I'm M365 Desk" in card_text(c)]
    assert len(greetings) == 1
    assert f"Hi {employee.display_name}!" in card_text(greetings[0])

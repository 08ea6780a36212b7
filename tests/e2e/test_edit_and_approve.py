"""Edit-and-approve (F13) end to end: an admin opens Edit on the approval card of an employee's license request,
picks another plan and approves; devtenant's Graph assigns the NEW plan, the audit trail holds the diff, and the
employee's chat says who changed what, in the employee's language (English, Polish)."""

from __future__ import annotations

import pytest
from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb


@pytest.mark.parametrize(("employee_locale", "admin_locale"), [("en-US", "en-US"), ("pl-PL", "de-DE")])
async def test_an_admin_changes_the_plan_before_approving(desk: Desk, employee_locale: str, admin_locale: str) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    e3, premium = state.sku("ENTERPRISEPACK"), state.sku("SPB")
    employees, admins = Translator(employee_locale), Translator(admin_locale)

    await desk.say(employee, "request license E3 for me", locale=employee_locale)
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    opened = await desk.click(
        admin, Verb.EDIT_REQUEST, action_data(approval, Verb.EDIT_REQUEST), reply_to_id=card_id, locale=admin_locale
    )
    form = opened["value"]
    assert admins("editing.approve") in str(form)
    inputs = {item["id"]: item.get("value") for item in form["body"] if "id" in item}
    assert inputs["plan"] == e3["skuId"]

    # Teams sends the form's inputs with the button's data.
    data = {**action_data(form, Verb.APPROVE_EDITED), "plan": premium["skuId"], "reason": "Premium covers it"}
    reply = await desk.click(admin, Verb.APPROVE_EDITED, data, reply_to_id=card_id, locale=admin_locale)
    assert admins("approval.decided.approved", name=admin.display_name, time="")[:8] in card_text(reply["value"])
    assert "→" in card_text(reply["value"])  # the approver's card shows before → after

    await desk.run_jobs()
    held = [lic["skuId"] for lic in state.user(employee.id)["assignedLicenses"]]
    assert premium["skuId"] in held and e3["skuId"] not in held

    async with desk.uow() as uow:
        (request, *_older) = await uow.requests.list_for_requester(employee.id)
        events = await uow.audit.for_request(request.id)
        check = await uow.audit.verify()
    assert check.ok
    (edited,) = [event for event in events if event.action == "request.edited"]
    (change,) = edited.detail["diff"]
    assert change["field"] == "editing.field.plan" and "E3" in change["before"] and "E3" not in change["after"]
    assert edited.actor_id == admin.id and edited.detail["before"]["payload"]["key"] == e3["skuId"]
    assert [event.action for event in events].index("request.edited") < [e.action for e in events].index(
        "request.approved"
    )

    told = desk.texts(employee)
    notice = employees("editing.notify", request_id=request.public_id, name=admin.display_name)
    assert any(text.startswith(notice) and change["after"] in text for text in told), told

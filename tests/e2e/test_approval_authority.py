"""Server-side authority on every click: self-approval, foreign approvers, repeats and stale cards change nothing."""

from __future__ import annotations

from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb


async def _pending_license_request(desk: Desk) -> tuple[str, dict]:
    employee, admin = desk.tenant.seed.demo_employee, desk.tenant.seed.demo_admin
    await desk.say(employee, "request license E3")
    await desk.run_jobs()
    return desk.last_card(admin)


def _has_e3(desk: Desk, user) -> bool:
    e3 = desk.tenant.state.sku("ENTERPRISEPACK")["skuId"]
    return e3 in [lic["skuId"] for lic in desk.tenant.state.user(user.id)["assignedLicenses"]]


async def _state_of_latest(desk: Desk, user) -> tuple[str, int]:
    async with desk.uow() as uow:
        request = (await uow.requests.list_for_requester(user.id))[0]
        return request.state, request.version


async def test_requester_cannot_approve_own_request(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    _, approval = await _pending_license_request(desk)
    reply = await desk.click(employee, Verb.APPROVE, action_data(approval, Verb.APPROVE))
    assert "someone else has to approve" in card_text(reply["value"])
    assert await _state_of_latest(desk, employee) == ("pending", 1)
    await desk.run_jobs()
    assert not _has_e3(desk, employee)


async def test_non_approver_click_changes_nothing(desk: Desk) -> None:
    seed = desk.tenant.seed
    outsider = next(u for u in seed.users if u.id not in seed.admins_group.member_ids and u.id != seed.demo_employee.id)
    _, approval = await _pending_license_request(desk)
    reply = await desk.click(outsider, Verb.APPROVE, action_data(approval, Verb.APPROVE))
    # Someone with no part in the request learns nothing about it (tests/e2e/test_request_privacy.py).
    assert reply["value"] == Translator("en-US")("authority.refused")
    assert await _state_of_latest(desk, seed.demo_employee) == ("pending", 1)


async def test_repeated_approve_click_executes_once(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    card_id, approval = await _pending_license_request(desk)
    data = action_data(approval, Verb.APPROVE)
    first = await desk.click(seed.demo_admin, Verb.APPROVE, data, reply_to_id=card_id)
    second = await desk.click(seed.demo_admin, Verb.APPROVE, data, reply_to_id=card_id)
    assert "Approved by" in card_text(first["value"])
    assert "already decided" in card_text(second["value"])
    await desk.run_jobs()
    assert _has_e3(desk, seed.demo_employee)
    assert len([c for c in state.calls("graph") if c.path.endswith("/assignLicense")]) == 1
    async with desk.uow() as uow:
        request = (await uow.requests.list_for_requester(seed.demo_employee.id))[0]
        assert len(await uow.decisions.for_request(request.id)) == 1


async def test_stale_card_version_is_refused(desk: Desk) -> None:
    seed = desk.tenant.seed
    _, approval = await _pending_license_request(desk)
    data = action_data(approval, Verb.APPROVE) | {"version": 99}
    reply = await desk.click(seed.demo_admin, Verb.APPROVE, data)
    assert "out of date" in card_text(reply["value"])
    assert await _state_of_latest(desk, seed.demo_employee) == ("pending", 1)


async def test_reject_with_reason_updates_every_copy_and_tells_requester(desk: Desk) -> None:
    seed = desk.tenant.seed
    admins = [u for u in seed.users if u.id in seed.admins_group.member_ids]
    card_id, approval = await _pending_license_request(desk)
    data = action_data(approval, Verb.REJECT) | {"reason": "No budget this quarter"}
    reply = await desk.click(seed.demo_admin, Verb.REJECT, data, reply_to_id=card_id)
    assert "Rejected by" in card_text(reply["value"])
    await desk.run_jobs()
    assert not _has_e3(desk, seed.demo_employee)
    assert any("No budget this quarter" in t for t in desk.texts(seed.demo_employee))
    for admin in admins:
        copies = [c for _, c in desk.cards(admin) if "REQ-" in card_text(c)]
        assert copies and "Rejected by" in card_text(copies[-1]), admin.display_name
        assert "actions" not in copies[-1]


async def test_activity_from_another_tenant_is_refused(desk: Desk) -> None:
    activity = desk._base(desk.tenant.seed.demo_employee, "en-US") | {"text": "request license E3"}
    activity["channelData"] = {"tenant": {"id": "00000000-0000-0000-0000-000000000000"}}
    response = await desk.post(activity)
    assert response.status == 403
    async with desk.uow() as uow:
        assert await uow.requests.list_for_requester(desk.tenant.seed.demo_employee.id) == []


async def test_production_mode_requires_a_bot_framework_token(tenant, database_url: str) -> None:
    from storage.migrate import upgrade

    await upgrade(database_url)
    settings = desk_settings(tenant, database_url, mode="production")
    desk = await start_desk(tenant, settings)
    try:
        activity = desk._base(tenant.seed.demo_employee, "en-US") | {"text": "help"}
        assert (await desk.post(activity)).status == 401
        forged = {"Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0."}
        assert (await desk.post(activity, headers=forged)).status == 401
        assert desk.inbox(tenant.seed.demo_employee) == []
    finally:
        await desk.client.close()

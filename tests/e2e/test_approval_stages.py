"""Approval stages (F14) end to end, through the real desk and devtenant: with a routing policy file that sends
license requests to the requester's manager and then the admins, the manager's approval moves the request to the
admins' stage (new cards, the requester told, the manager's copy read-only), an admin's approval assigns the license
in Graph, and the audit trail records the policy's digest, each stage and the policy change at start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data, card_text
from sqlalchemy import select

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import DevTenant
from handlers.policy_audit import CHANGED_ACTION
from storage.models import AuditEvent, Request

t = Translator("en-US")
POLICY = """\
# License requests: the requester's manager first, then the admins.
[kind."license.assign"]
stages = [{ who = "manager" }, { who = "admins" }]
"""


@pytest.fixture
async def staged_desk(tenant: DevTenant, database_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    running = await start_desk(tenant, desk_settings(tenant, database_url, routing_policy=policy))
    try:
        yield running
    finally:
        await running.client.close()


async def policy_changes(desk: Desk) -> list[AuditEvent]:
    """The policy.changed events, once the desk's start-up audit (a background task) has written its own."""
    for _ in range(100):
        async with desk.uow() as uow:
            events = list((await uow.session.execute(
                select(AuditEvent).where(AuditEvent.action == CHANGED_ACTION).order_by(AuditEvent.id))).scalars())
        if events:
            return events
        await asyncio.sleep(0.05)
    return []


async def test_a_license_request_goes_through_the_manager_then_the_admins(staged_desk: Desk) -> None:
    desk = staged_desk
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    (manager,) = [user for user in seed.users if user.id == employee.manager_id]
    admins = set(seed.admins_group.member_ids)
    assert manager.id not in admins, "the seed's manager would be an admin too"
    e3 = state.sku("ENTERPRISEPACK")["skuId"]
    digest = desk.services.routing.digest

    await desk.say(employee, "request license E3 for me")
    await desk.run_jobs()
    card_id, approval = desk.last_card(manager)
    assert employee.display_name in card_text(approval)
    assert not [card for _, card in desk.cards(admin) if employee.display_name in card_text(card)], "manager first"
    _, status = desk.last_card(employee)
    assert t("stages.current", number=1, total=2, who=t("stages.who.manager")) in card_text(status)

    reply = await desk.click(manager, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert reply["statusCode"] == 200
    assert Verb.APPROVE not in card_text(reply["value"])  # the manager's part is done: read-only
    await desk.run_jobs()
    async with desk.uow() as uow:
        (request,) = await uow.requests.list_for_requester(employee.id)
    assert (request.state, request.stage, set(request.approver_ids)) == ("pending", 1, admins)
    assert e3 not in [lic["skuId"] for lic in state.user(employee.id)["assignedLicenses"]]
    stage_two = t("stages.current", number=2, total=2, who=t("stages.who.admins"))
    assert stage_two in card_text(desk.last_card(employee)[1])
    assert desk.texts(employee)[-1] == t("stages.notify_moved", request_id=request.public_id,
                                         name=manager.display_name, number=2, total=2, who=t("stages.who.admins"))
    # The manager's copy is redrawn: stage 1 approved by them, no buttons.
    managers_copy = dict(desk.cards(manager))[card_id]
    assert t("stages.approved_at", number=1, name=manager.display_name) in card_text(managers_copy)
    assert Verb.APPROVE not in card_text(managers_copy)

    admin_card_id, admin_card = desk.last_card(admin)
    assert employee.display_name in card_text(admin_card)
    reply = await desk.click(admin, Verb.APPROVE, action_data(admin_card, Verb.APPROVE), reply_to_id=admin_card_id)
    assert "Approved by" in card_text(reply["value"])
    await desk.run_jobs()
    assert e3 in [lic["skuId"] for lic in state.user(employee.id)["assignedLicenses"]]
    assert any("Done" in text for text in desk.texts(employee))

    async with desk.uow() as uow:
        done = await uow.requests.get(request.id)
        assert isinstance(done, Request) and done.state == "completed" and done.policy_digest == digest
        trail = [(event.action, event.actor_id, event.detail) for event in await uow.audit.for_request(request.id)]
        decisions = [(d.approver_id, d.stage) for d in await uow.decisions.for_request(request.id)]
        check = await uow.audit.verify()
    assert check.ok
    actions = [action for action, _, _ in trail]
    assert actions[:3] == ["request.submitted", "request.stage_advanced", "request.approved"]
    assert actions[-1] == "request.completed"
    submitted, advanced, approved = (detail for _, _, detail in trail[:3])
    assert (submitted["policy_digest"], submitted["stages"], submitted["approvers"]) == (
        digest, ["manager", "admins"], [manager.id])
    assert trail[1][1] == manager.id
    assert (advanced["stage"], advanced["to_stage"], advanced["to_who"]) == (1, 2, "admins")
    assert set(advanced["approvers"]) == admins
    assert trail[2][1] == admin.id and approved["stage"] == 2
    assert decisions == [(manager.id, 0), (admin.id, 1)]

    (changed,) = await policy_changes(desk)
    assert (changed.detail["new_digest"], changed.detail["source"].endswith("policy.toml")) == (digest, True)

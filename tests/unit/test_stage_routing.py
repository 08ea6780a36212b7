"""Approval stages (F14) against the in-memory tenant: a request routed by the policy file through the requester's
manager and then the admins, an "all" stage, a rejection at the second stage, the requester and the people a request
changes never approvers at any stage (a stage left empty is skipped, then the admins), a switched-off auto-approve
rule that routes to people, and what cards, the requester and the audit log are told on the way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from desk_fixture import ANNA, BOOK_CLUB, JONAS, LENA, STANDARD_SKU_ID, Desk, open_desk, small_tenant

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.card_delivery import remember_card
from handlers.commands import parse
from handlers.context import Reply
from handlers.delivery import REQUESTER, deliver_approval_cards, update_request_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.execution import execute_request
from handlers.jobs import JobHandler
from handlers.routing_policy import parse_routing_policy
from m365.memory import GroupSeed, UserSeed
from storage.models import AuditEvent, Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

t = Translator("en-US")
OLA = UserSeed("ola.nowak@contoso.com", "Ola Nowak", department="IT", usage_location="PL")
APPROVERS_GROUP_ID = "5d0c1e9a-2b7f-4a61-9c3e-7f2a8b4d6e10"
JOBS: dict[str, JobHandler] = {
    "deliver": deliver_approval_cards,
    "execute": execute_request,
    "sync": update_request_cards,
}


@pytest_asyncio.fixture
async def desk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    """small_tenant() with a second admin, Ola, and a group of approvers: Anna, Lena and Ola."""
    seed = small_tenant()
    admins, *others = seed.groups
    seed = replace(
        seed,
        users=(*seed.users, OLA),
        groups=(
            replace(admins, member_ids=(*admins.member_ids, OLA.user_id)),
            *others,
            GroupSeed(APPROVERS_GROUP_ID, "Finance approvers", (ANNA.user_id, LENA.user_id, OLA.user_id)),
        ),
    )
    async with open_desk(migrated_sqlite, tmp_path, seed) as built:
        yield built


def use_policy(desk: Desk, text: str) -> None:
    services = desk.services
    services.routing = parse_routing_policy(text.encode(), services.kinds, services.sla, source="policy.toml")


async def run_jobs(desk: Desk) -> list[str]:
    ran = []
    while True:
        async with desk.services.uow() as uow:
            job = await uow.jobs.claim("stage-test", lease_seconds=60)
            await uow.commit()
        if job is None:
            return ran
        await JOBS[job.kind.split(":", 1)[0]](desk.services, job)
        async with desk.services.uow() as uow:
            await uow.jobs.complete(job)
            await uow.commit()
        ran.append(job.kind)


async def ask_license(desk: Desk, person: UserSeed, *, for_user: UserSeed | None = None) -> Request:
    """A license request in chat; the requester's status card is remembered like the bot does with its reply."""
    services = desk.services
    skus = await services.tenant.licenses.list_skus()
    (sku,) = [sku for sku in skus if sku.sku_id == STANDARD_SKU_ID]
    text = f"request license {services.plans.name(sku)}"
    if for_user is not None:
        text += f" for {for_user.user_principal_name}"
    reply = await dispatch_command(services, desk.actor(person), parse(text, services.kinds))
    async with services.uow() as uow:
        (request, *_) = await uow.requests.list_for_requester(person.user_id)
    assert reply.card is not None, reply.text
    sent = await desk.messenger.send(person.user_id, card=reply.card)
    assert sent is not None
    await remember_card(services, request.id, person.user_id, REQUESTER, sent)
    return request


async def stored(desk: Desk, request: Request) -> Request:
    async with desk.services.uow() as uow:
        found = await uow.requests.get(request.id)
    assert found is not None
    return found


async def audit_of(desk: Desk, request: Request) -> list[AuditEvent]:
    async with desk.services.uow() as uow:
        return await uow.audit.for_request(request.id)


def cards_to(desk: Desk, person: UserSeed) -> list[Mapping[str, Any]]:
    return [sent.card for sent in desk.messenger.to(person.user_id) if sent.card is not None]


def texts_to(desk: Desk, person: UserSeed) -> list[str]:
    return [sent.text for sent in desk.messenger.to(person.user_id) if sent.text is not None]


def buttons(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's Execute actions by verb, also inside an Action.ShowCard (Reject)."""
    found: dict[str, dict[str, Any]] = {}
    actions = list(card.get("actions", []))
    while actions:
        action = actions.pop(0)
        if action.get("type") == "Action.ShowCard":
            actions.extend(action["card"].get("actions", []))
        elif "verb" in action:
            found[action["verb"]] = dict(action["data"])
    return found


def card_text(card: Mapping[str, Any]) -> str:
    parts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                parts.append(str(node.get("text", "")))
            if node.get("type") == "Fact":
                parts.append(f"{node.get('title')}: {node.get('value')}")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(parts)


async def decide(desk: Desk, person: UserSeed, request: Request, *, approve: bool = True, reason: str = "") -> Reply:
    current = await stored(desk, request)
    data: dict[str, Any] = {"request_id": current.public_id, "version": current.version}
    if not approve:
        data["reason"] = reason
    return await dispatch_click(desk.services, desk.actor(person), Verb.APPROVE if approve else Verb.REJECT, data)


MANAGER_THEN_ADMINS = '[kind."license.assign"]\nstages = [{ who = "manager" }, { who = "admins" }]\n'


# ------------------------------------------------------------------ two stages: manager, then admins


async def test_a_request_goes_through_the_manager_then_the_admins(desk: Desk) -> None:
    use_policy(desk, MANAGER_THEN_ADMINS)
    request = await ask_license(desk, ANNA)
    assert (request.stage, request.approver_ids, request.payload["route"]) == (0, [LENA.user_id], "manager")
    assert request.policy_digest == desk.services.routing.digest
    assert await run_jobs(desk) == ["deliver"]
    assert len(cards_to(desk, LENA)) == 1 and cards_to(desk, JONAS) == [] and cards_to(desk, OLA) == []

    # An admin may not skip the manager's stage.
    early = await decide(desk, JONAS, request)
    assert early.text == t("stages.not_this_stage", request_id=request.public_id)
    assert (await stored(desk, request)).state == "pending"

    approved_by_manager = await decide(desk, LENA, request)
    moved = await stored(desk, request)
    assert (moved.state, moved.stage, sorted(moved.approver_ids)) == (
        "pending",
        1,
        sorted([JONAS.user_id, OLA.user_id]),
    )
    assert moved.payload["route"] == "admins"
    assert approved_by_manager.card is not None and Verb.APPROVE not in buttons(approved_by_manager.card)
    assert await run_jobs(desk) == [f"sync:stage.v{moved.version}", f"deliver:v{moved.version}"]
    # The admins get their cards; the manager's copy is redrawn read-only, saying who approved stage 1.
    (jonas_card,) = cards_to(desk, JONAS)
    assert buttons(jonas_card)[Verb.APPROVE]["version"] == moved.version
    (lenas_card,) = desk.messenger.to(LENA.user_id)
    (lenas_copy,) = [card for sent, card in desk.messenger.updates if sent == lenas_card.activity]
    assert Verb.APPROVE not in buttons(lenas_copy)
    assert t("stages.approved_at", number=1, name=LENA.display_name) in card_text(lenas_copy)
    requester_card = [card for sent, card in desk.messenger.updates if sent.conversation_id.endswith(ANNA.user_id)][-1]
    assert t("stages.current", number=2, total=2, who=t("stages.who.admins")) in card_text(requester_card)
    assert t("stages.approved_at", number=1, name=LENA.display_name) in card_text(requester_card)
    assert texts_to(desk, ANNA)[-1] == t(
        "stages.notify_moved",
        request_id=request.public_id,
        name=LENA.display_name,
        number=2,
        total=2,
        who=t("stages.who.admins"),
    )
    # Lena decided stage 1: she may not decide again.
    again = await decide(desk, LENA, request)
    assert again.text == t("stages.already_approved", request_id=request.public_id)

    await decide(desk, JONAS, request)
    assert (await stored(desk, request)).state == "approved"
    await run_jobs(desk)
    assert (await stored(desk, request)).state == "completed"
    assert STANDARD_SKU_ID in desk.tenant.held_sku_ids(desk.tenant.user_by_id_or_mail(ANNA.user_id))

    async with desk.services.uow() as uow:
        decisions = await uow.decisions.for_request(request.id)
    assert [(d.approver_id, d.outcome, d.stage) for d in decisions] == [
        (LENA.user_id, "approved", 0),
        (JONAS.user_id, "approved", 1),
    ]
    trail = [(event.action, event.detail) for event in await audit_of(desk, request)]
    actions = [action for action, _ in trail if not action.startswith("click.")]
    assert actions[:3] == ["request.submitted", "request.stage_advanced", "request.approved"]
    submitted, advanced = trail[0][1], next(detail for action, detail in trail if action == "request.stage_advanced")
    assert submitted["policy_digest"] == desk.services.routing.digest
    assert (submitted["stages"], submitted["stage"], submitted["approvers"]) == (
        ["manager", "admins"],
        1,
        [LENA.user_id],
    )
    assert (advanced["stage"], advanced["to_stage"], advanced["to_who"]) == (1, 2, "admins")
    assert sorted(advanced["approvers"]) == sorted([JONAS.user_id, OLA.user_id])


async def test_a_rejection_at_the_second_stage_ends_the_request(desk: Desk) -> None:
    use_policy(desk, MANAGER_THEN_ADMINS)
    request = await ask_license(desk, ANNA)
    await run_jobs(desk)
    await decide(desk, LENA, request)
    await run_jobs(desk)
    await decide(desk, OLA, request, approve=False, reason="no budget this quarter")
    ended = await stored(desk, request)
    assert ended.state == "rejected"
    ran = await run_jobs(desk)
    assert "execute" not in ran
    assert STANDARD_SKU_ID not in desk.tenant.held_sku_ids(desk.tenant.user_by_id_or_mail(ANNA.user_id))
    assert texts_to(desk, ANNA)[-1] == t(
        "notify.rejected_reason", request_id=request.public_id, name=OLA.display_name, reason="no budget this quarter"
    )
    rejected = [event.detail for event in await audit_of(desk, request) if event.action == "request.rejected"]
    assert [detail["stage"] for detail in rejected] == [2]
    # Nobody decides a rejected request again, at any stage.
    late = await decide(desk, JONAS, request)
    assert late.text == t("approval.already_decided", request_id=request.public_id, state=t("request.state.rejected"))


# ------------------------------------------------------------------ "all" stages


async def test_an_all_stage_waits_for_every_approver(desk: Desk) -> None:
    use_policy(desk, '[kind."license.assign"]\nstages = [{ who = "admins", require = "all" }]\n')
    request = await ask_license(desk, ANNA)
    await run_jobs(desk)
    await decide(desk, JONAS, request)
    waiting = await stored(desk, request)
    assert (waiting.state, waiting.stage, waiting.approver_ids) == ("pending", 0, [OLA.user_id])
    assert await run_jobs(desk) == [f"sync:stage_approval.v{waiting.version}"]
    assert texts_to(desk, ANNA) == []  # one approval of several: the requester hears at the end
    # Jonas approved his part: his second click changes nothing.
    again = await decide(desk, JONAS, request)
    assert again.text == t("stages.already_approved", request_id=request.public_id)
    assert (await stored(desk, request)).version == waiting.version

    await decide(desk, OLA, request)
    assert (await stored(desk, request)).state == "approved"
    actions = [event.action for event in await audit_of(desk, request) if not event.action.startswith("click.")]
    assert actions[:3] == ["request.submitted", "request.stage_approved", "request.approved"]


async def test_a_stale_card_in_an_all_stage_shows_the_current_one(desk: Desk) -> None:
    use_policy(desk, '[kind."license.assign"]\nstages = [{ who = "admins", require = "all" }]\n')
    request = await ask_license(desk, ANNA)
    await run_jobs(desk)
    old = {"request_id": request.public_id, "version": request.version}
    await decide(desk, JONAS, request)
    reply = await dispatch_click(desk.services, desk.actor(OLA), Verb.APPROVE, old)
    assert reply.text == t("approval.stale", request_id=request.public_id)
    assert reply.card is not None and Verb.APPROVE in buttons(reply.card)
    assert (await stored(desk, request)).state == "pending"


# ------------------------------------------------------------------ never the requester nor the subject


async def test_the_requester_and_the_subject_never_approve_at_any_stage(desk: Desk) -> None:
    # Lena (a manager) asks for Anna's license: the group stage has Anna, Lena and Ola, the manager stage is Lena's
    # own manager (none), the admins stage Jonas and Ola.
    use_policy(
        desk,
        f'[kind."license.assign"]\nstages = [{{ who = "group", group_id = "{APPROVERS_GROUP_ID}" }}, '
        '{ who = "manager" }, { who = "admins" }]\n',
    )
    request = await ask_license(desk, LENA, for_user=ANNA)
    assert request.approver_ids == [OLA.user_id]  # not Lena (requester), not Anna (the license is hers)
    await run_jobs(desk)
    for person in (LENA, ANNA):
        refused = await decide(desk, person, request)
        assert (await stored(desk, request)).stage == 0, refused.text
    await decide(desk, OLA, request)
    moved = await stored(desk, request)
    # Lena has no manager: that stage is skipped; Ola approved stage 1, so only Jonas decides the admins' stage.
    assert (moved.stage, moved.approver_ids) == (2, [JONAS.user_id])
    advanced = [event.detail for event in await audit_of(desk, request) if event.action == "request.stage_advanced"]
    assert advanced[0]["skipped"] == [2]
    for stage_ids in [record.get("ids", []) for record in moved.payload["stages"]]:
        assert LENA.user_id not in stage_ids and ANNA.user_id not in stage_ids


async def test_no_stage_with_anybody_falls_back_to_the_admins_and_says_so(desk: Desk) -> None:
    # Anna's manager has left: the only stage is empty, so the admins decide.
    desk.tenant.update_user(ANNA.user_id, manager_id=None)
    use_policy(desk, '[kind."license.assign"]\nstages = [{ who = "manager" }]\n')
    request = await ask_license(desk, ANNA)
    assert sorted(request.approver_ids) == sorted([JONAS.user_id, OLA.user_id])
    assert request.payload["route"] == "admins"
    (submitted,) = [event.detail for event in await audit_of(desk, request) if event.action == "request.submitted"]
    assert (submitted["fallback"], submitted["skipped_stages"]) == ("admins", [1])
    await decide(desk, OLA, request)
    assert (await stored(desk, request)).state == "approved"


# ------------------------------------------------------------------ auto-approve rules


async def test_a_rule_in_force_approves_and_a_rule_switched_off_routes_to_people(desk: Desk) -> None:
    join = f"join {BOOK_CLUB.display_name}"  # an Open list: policy.join_open_list
    reply = await dispatch_command(desk.services, desk.actor(ANNA), parse(join, desk.services.kinds))
    async with desk.services.uow() as uow:
        (auto,) = await uow.requests.list_for_requester(ANNA.user_id)
    assert auto.state == "approved" and reply.text is not None

    use_policy(desk, '[kind."dl.leave"]\nauto_approve = []\n[kind."dl.join"]\nauto_approve = []\n')
    await run_jobs(desk)  # Anna is in the Book Club now
    leave = f"leave {BOOK_CLUB.display_name}"
    reply = await dispatch_command(desk.services, desk.actor(ANNA), parse(leave, desk.services.kinds))
    async with desk.services.uow() as uow:
        routed, *_ = await uow.requests.list_for_requester(ANNA.user_id)
    assert routed.kind == "dl.leave" and routed.state == "pending", reply.text
    assert routed.approver_ids, "a switched-off rule sends the request to people"
    (submitted,) = [event.detail for event in await audit_of(desk, routed) if event.action == "request.submitted"]
    assert submitted["rule_off"] == "policy.leave_open_list"


# ------------------------------------------------------------------ with no policy file: one stage, as before


async def test_without_a_policy_a_request_has_one_stage_and_no_stage_lines(desk: Desk) -> None:
    request = await ask_license(desk, ANNA)
    assert (request.stage, sorted(request.approver_ids)) == (0, sorted([JONAS.user_id, OLA.user_id]))
    await run_jobs(desk)
    (card,) = cards_to(desk, JONAS)
    assert "Stage" not in card_text(card)
    await decide(desk, JONAS, request)
    assert (await stored(desk, request)).state == "approved"

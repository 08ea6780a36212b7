"""The lists family through the registry, against the in-memory tenant: each kind's refusals, the request it files
(kind, typed plan, approvers, approval by policy), its clicks, and its steps applied (batched per list)."""

from __future__ import annotations

from typing import Any

import pytest
from desk_fixture import ANNA, BOOK_CLUB, JONAS, LENA, MARKETING, Desk

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.apply import apply_steps
from kinds.lists.steps import ListCreation, ListDeletion, ListUpdate, MemberAddition, MemberRemoval
from kinds.steps import Step, StepContext
from m365.memory import UserSeed
from m365.outcomes import StepOutcome
from storage.models import Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

t = Translator("en-US")


async def say(desk: Desk, person: UserSeed, text: str) -> Reply:
    services = desk.services
    return await dispatch_command(services, desk.actor(person), parse(text, services.kinds))


async def click(desk: Desk, person: UserSeed, verb: Verb, data: dict[str, Any]) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), verb, data)


async def filed(desk: Desk, person: UserSeed) -> list[Request]:
    async with desk.services.uow() as uow:
        return await uow.requests.list_for_requester(person.user_id)


def plan_of(desk: Desk, request: Request) -> tuple[Step, ...]:
    return desk.services.kinds.steps.load_plan(request.plan)


def list_id(desk: Desk, display_name: str) -> str:
    (found,) = [dl for dl in desk.tenant.lists.values() if dl.display_name == display_name]
    return found.id


def mail(desk: Desk, person: UserSeed) -> str:
    return desk.tenant.user_by_id_or_mail(person.user_id).mail or ""


# ------------------------------------------------------------------ dl.join


async def test_joining_a_closed_list_goes_to_its_owner(desk: Desk) -> None:
    await say(desk, ANNA, f"join {MARKETING.display_name}")
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.state, request.approver_ids) == ("dl.join", "pending", [LENA.user_id])
    marketing = list_id(desk, MARKETING.display_name)
    assert plan_of(desk, request) == (
        MemberAddition(list_id=marketing, list_name=MARKETING.display_name, member=mail(desk, ANNA),
                       member_name="Anna Kowalska"),
    )


async def test_joining_an_open_list_is_approved_by_policy(desk: Desk) -> None:
    reply = await say(desk, ANNA, f"join {BOOK_CLUB.display_name}")
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.state) == ("dl.join", "approved")
    assert reply.text == t("request.auto_approved", request_id=request.public_id, rule=t("policy.join_open_list"))


async def test_join_refusals_file_nothing(desk: Desk) -> None:
    assert (await say(desk, LENA, f"join {MARKETING.display_name}")).text == t(
        "dl.already_member", list=MARKETING.display_name)
    assert (await say(desk, ANNA, "join No Such List")).text == t("dl.not_found", list="No Such List")
    assert await filed(desk, ANNA) == [] and await filed(desk, LENA) == []


async def test_a_join_click_files_for_the_list_it_names_and_one_naming_none_shows_help(desk: Desk) -> None:
    await click(desk, ANNA, Verb.LIST_JOIN_SUBMIT, {"list": list_id(desk, MARKETING.display_name)})
    (request,) = await filed(desk, ANNA)
    assert request.kind == "dl.join"
    reply = await click(desk, ANNA, Verb.LIST_JOIN_SUBMIT, {})
    assert reply.card is not None and reply.text is None
    assert len(await filed(desk, ANNA)) == 1


# ------------------------------------------------------------------ dl.leave


async def test_leaving_a_list_with_open_departure_is_approved_by_policy(desk: Desk) -> None:
    await say(desk, LENA, f"leave {MARKETING.display_name}")
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.state, request.approver_ids) == ("dl.leave", "approved", [])
    (step,) = plan_of(desk, request)
    assert isinstance(step, MemberRemoval) and step.member == mail(desk, LENA)


async def test_leaving_a_list_one_is_not_on_is_refused(desk: Desk) -> None:
    reply = await click(desk, ANNA, Verb.LIST_LEAVE, {"list_id": list_id(desk, MARKETING.display_name)})
    assert reply.text == t("dl.leave.not_member", list=MARKETING.display_name)
    assert await filed(desk, ANNA) == []


# ------------------------------------------------------------------ dl.members


async def test_an_owner_adds_members_by_policy_and_hears_about_each_refused_address(desk: Desk) -> None:
    reply = await say(desk, LENA, f"add {mail(desk, ANNA)}, ghost@contoso.com, nonsense to {MARKETING.display_name}")
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.state) == ("dl.members", "approved")
    (step,) = plan_of(desk, request)
    assert step == MemberAddition(list_id=list_id(desk, MARKETING.display_name), list_name=MARKETING.display_name,
                                  member=mail(desk, ANNA), member_name="Anna Kowalska", member_id=ANNA.user_id)
    assert step.subjects() == {ANNA.user_id}, "Anna sees the request in her own list"
    assert f"- ghost@contoso.com: {t('dl.refused.unknown')}" in (reply.text or "")
    assert f"- nonsense: {t('dl.refused.not_an_address')}" in (reply.text or "")


async def test_someone_who_neither_owns_the_list_nor_is_an_admin_cannot_change_its_members(desk: Desk) -> None:
    reply = await click(desk, ANNA, Verb.LIST_MEMBERS_SUBMIT, {
        "list_id": list_id(desk, MARKETING.display_name), "change": "remove", "addresses": mail(desk, LENA)})
    assert reply.text == t("dl.members.not_owner", list=MARKETING.display_name)
    assert await filed(desk, ANNA) == []


async def test_an_admin_removes_a_member_by_the_admin_policy(desk: Desk) -> None:
    reply = await click(desk, JONAS, Verb.LIST_MEMBERS_SUBMIT, {
        "list_id": list_id(desk, MARKETING.display_name), "change": "remove", "addresses": mail(desk, LENA)})
    (request,) = await filed(desk, JONAS)
    assert request.kind == "dl.members"
    assert reply.text == t("request.auto_approved", request_id=request.public_id,
                           rule=t("policy.admin_changes_members"))
    (step,) = plan_of(desk, request)
    assert isinstance(step, MemberRemoval) and step.member == mail(desk, LENA)


# ------------------------------------------------------------------ dl.create, dl.modify, dl.delete


def create_form(**values: str) -> dict[str, str]:
    return {"name": "Project Apollo", "alias": "apollo", "address": "apollo@contoso.com", "description": "Updates",
            "owners": "anna.kowalska@contoso.com", "members": "", "join": "Open", "depart": "Closed",
            "external": "false", **values}


async def test_create_refusals_send_the_form_back_and_file_nothing(desk: Desk) -> None:
    cases = [
        (create_form(name="x" * 65), t("dl.create.name_too_long", max=64)),
        (create_form(alias="apo llo"), t("dl.create.alias_invalid", alias="apo llo")),
        (create_form(address="apollo@elsewhere.example"), None),
        (create_form(owners="ghost@contoso.com"), None),
    ]
    for data, notice in cases:
        reply = await click(desk, ANNA, Verb.LIST_CREATE_SUBMIT, data)
        assert reply.card is not None, data
        if notice is not None:
            assert reply.text == notice
    assert await filed(desk, ANNA) == []


async def test_a_new_list_is_filed_for_the_admins_with_its_owners_and_settings(desk: Desk) -> None:
    await click(desk, ANNA, Verb.LIST_CREATE_SUBMIT, create_form(members=mail(desk, LENA)))
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.state, request.approver_ids) == ("dl.create", "pending", [JONAS.user_id])
    assert plan_of(desk, request) == (
        ListCreation(name="Project Apollo", alias="apollo", address="apollo@contoso.com",
                     display_name="Project Apollo", description="Updates", owners=(mail(desk, ANNA),),
                     members=(mail(desk, LENA),), join="Open", depart="Closed", external=False),
    )


async def test_a_modify_click_files_only_what_differs(desk: Desk) -> None:
    marketing = list_id(desk, MARKETING.display_name)
    form = {"list_id": marketing, "display_name": MARKETING.display_name, "description": "Campaigns",
            "add_owners": "", "remove_owners": "", "join": "Closed", "depart": "Open", "external": "false"}
    await click(desk, LENA, Verb.LIST_MODIFY_SUBMIT, form)
    (request,) = await filed(desk, LENA)
    # The sole owner asks, so the admins decide.
    assert (request.kind, request.approver_ids) == ("dl.modify", [JONAS.user_id])
    assert plan_of(desk, request) == (
        ListUpdate(list_id=marketing, list_name=MARKETING.display_name, description="Campaigns"),
    )
    again = await click(desk, LENA, Verb.LIST_MODIFY_SUBMIT, {**form, "description": ""})
    assert again.text == t("dl.modify.no_change", list=MARKETING.display_name)


async def test_deleting_is_asked_by_an_owner_and_decided_by_admins(desk: Desk) -> None:
    assert (await say(desk, ANNA, f"delete list {MARKETING.display_name}")).text == t(
        "dl.modify.not_owner", list=MARKETING.display_name)
    await say(desk, LENA, f"delete list {MARKETING.display_name}")
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.approver_ids) == ("dl.delete", [JONAS.user_id])
    (step,) = plan_of(desk, request)
    assert isinstance(step, ListDeletion) and step.list_id == list_id(desk, MARKETING.display_name)


# ------------------------------------------------------------------ browsing and card data


async def test_a_page_click_with_an_empty_search_shows_the_page_and_a_forged_one_is_refused(desk: Desk) -> None:
    page = await click(desk, ANNA, Verb.BROWSE_PAGE, {"view": "search", "query": "", "kind": "lists", "offset": 0})
    assert page.card is not None
    assert (await click(desk, ANNA, Verb.BROWSE_PAGE, {"view": "everything"})).text == t("error.bad_card")
    assert (await click(desk, ANNA, Verb.LIST_SHOW, {"list_id": 42})).text == t("error.bad_card")


async def test_show_anything_opens_a_list_by_its_exact_name(desk: Desk) -> None:
    reply = await say(desk, ANNA, f"show {MARKETING.display_name}")
    assert reply.card is not None and MARKETING.display_name in str(reply.card)


# ------------------------------------------------------------------ steps


async def test_member_steps_go_out_as_one_batch_per_list_and_what_is_in_place_is_already_done(desk: Desk) -> None:
    marketing = list_id(desk, MARKETING.display_name)
    steps = [MemberAddition(list_id=marketing, list_name=MARKETING.display_name, member=mail(desk, person),
                            member_name="") for person in (ANNA, LENA, JONAS)]
    context = StepContext(tenant=desk.services.tenant, uow=desk.services.uow, request_id=1, clock=desk.clock)
    outcomes = await apply_steps(context, steps)
    assert outcomes == [StepOutcome.DONE, StepOutcome.ALREADY_DONE, StepOutcome.DONE]
    assert await apply_steps(context, steps) == [StepOutcome.ALREADY_DONE] * 3
    removal = MemberRemoval(list_id=marketing, list_name="", member=mail(desk, ANNA), member_name="")
    assert await apply_steps(context, [removal]) == [StepOutcome.DONE]
    assert await apply_steps(context, [removal]) == [StepOutcome.ALREADY_DONE]

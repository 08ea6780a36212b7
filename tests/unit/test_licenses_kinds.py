"""The licenses family through the registry, against the in-memory tenant: each kind's refusals, the request it files
(kind, typed plan, approvers), the license form's click, the catalogue and report commands, and its steps applied
(assignments batched)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from desk_fixture import ANNA, BASIC_SKU_ID, E3_SKU_ID, JONAS, LENA, STANDARD_SKU_ID, Desk

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.apply import apply_steps
from kinds.licenses.steps import AssignLicense, SetUsageLocation, SwapLicense, UnassignLicense
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


async def click(desk: Desk, person: UserSeed, data: Any) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), Verb.LICENSE_SUBMIT, data)


async def filed(desk: Desk, person: UserSeed) -> list[Request]:
    async with desk.services.uow() as uow:
        return await uow.requests.list_for_requester(person.user_id)


def plan_of(desk: Desk, request: Request) -> tuple[Step, ...]:
    return desk.services.kinds.steps.load_plan(request.plan)


async def plan_name(desk: Desk, sku_id: str) -> str:
    skus = await desk.services.tenant.licenses.list_skus()
    (sku,) = [sku for sku in skus if sku.sku_id == sku_id]
    return desk.services.plans.name(sku)


# ------------------------------------------------------------------ license.assign


async def test_a_license_request_goes_to_the_admins_with_one_assign_step(desk: Desk) -> None:
    standard = await plan_name(desk, STANDARD_SKU_ID)
    reply = await say(desk, ANNA, f"request license {standard}")
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.state, request.target_id) == ("license.assign", "pending", ANNA.user_id)
    assert request.approver_ids == [JONAS.user_id]
    assert plan_of(desk, request) == (
        AssignLicense(user_id=ANNA.user_id, user=ANNA.display_name, sku_id=STANDARD_SKU_ID, plan=standard),
    )
    assert reply.text == t("request.submitted", request_id=request.public_id, approvers=JONAS.display_name)


async def test_a_person_without_a_usage_location_gets_it_set_first_from_their_country(desk: Desk) -> None:
    desk.tenant.update_user(ANNA.user_id, usage_location=None, country="Poland")
    await say(desk, ANNA, f"request license {await plan_name(desk, STANDARD_SKU_ID)}")
    (request,) = await filed(desk, ANNA)
    first, second = plan_of(desk, request)
    assert first == SetUsageLocation(user_id=ANNA.user_id, user=ANNA.display_name, country="PL")
    assert isinstance(second, AssignLicense)


async def test_without_a_usage_location_or_country_the_form_asks_for_one(desk: Desk) -> None:
    desk.tenant.update_user(ANNA.user_id, usage_location=None, country=None)
    reply = await say(desk, ANNA, f"request license {await plan_name(desk, STANDARD_SKU_ID)}")
    assert reply.text == t("license.needs_usage_location", user=ANNA.display_name)
    assert reply.card is not None
    assert await filed(desk, ANNA) == []


@pytest.mark.parametrize(
    ("person", "sku_id", "for_user", "key"),
    [
        (ANNA, BASIC_SKU_ID, None, "license.already_has"),  # she holds Business Basic
        (ANNA, STANDARD_SKU_ID, JONAS, "license.not_yours"),  # Jonas is not her report
    ],
)
async def test_license_request_refusals_file_nothing(
    desk: Desk, person: UserSeed, sku_id: str, for_user: UserSeed | None, key: str
) -> None:
    plan = await plan_name(desk, sku_id)
    target = for_user or person
    text = f"request license {plan} for {target.user_principal_name}" if for_user else f"request license {plan}"
    reply = await say(desk, person, text)
    assert reply.text == t(key, user=target.display_name, plan=plan)
    assert await filed(desk, person) == []


async def test_a_plan_without_free_seats_offers_a_seat_order_instead(desk: Desk) -> None:
    e3 = await plan_name(desk, E3_SKU_ID)  # one seat, Jonas's
    reply = await say(desk, ANNA, f"request license {e3}")
    assert reply.text == t("license.no_free_seats", plan=e3, assigned=1, purchased=1)
    assert reply.card is not None
    assert await filed(desk, ANNA) == []


async def test_a_second_request_for_the_same_license_waits_for_the_first(desk: Desk) -> None:
    standard = await plan_name(desk, STANDARD_SKU_ID)
    await say(desk, ANNA, f"request license {standard}")
    (first,) = await filed(desk, ANNA)
    reply = await say(desk, ANNA, f"change license {await plan_name(desk, BASIC_SKU_ID)} to {standard}")
    assert reply.text == t("license.already_pending", request_id=first.public_id, plan=standard,
                           user=ANNA.display_name)
    assert len(await filed(desk, ANNA)) == 1


async def test_the_form_click_files_like_typed_text(desk: Desk) -> None:
    await click(desk, ANNA, {"sku_id": STANDARD_SKU_ID, "for_user": ""})
    (request,) = await filed(desk, ANNA)
    assert request.kind == "license.assign"
    assert [type(step) for step in plan_of(desk, request)] == [AssignLicense]


async def test_the_help_button_shows_the_form_and_a_click_without_a_plan_says_so(desk: Desk) -> None:
    shown = await click(desk, ANNA, {"form": True})
    assert shown.card is not None and shown.text is None
    no_plan = await click(desk, ANNA, {})
    assert no_plan.card is not None
    assert t("error.bad_card") in str(no_plan.card)
    assert await filed(desk, ANNA) == []


async def test_a_click_whose_data_do_not_fit_changes_nothing(desk: Desk) -> None:
    reply = await click(desk, ANNA, {"sku_id": 42})
    assert reply.text == t("error.bad_card")
    assert await filed(desk, ANNA) == []


# ------------------------------------------------------------------ license.remove, license.change


async def test_a_removal_files_one_unassign_step(desk: Desk) -> None:
    basic = await plan_name(desk, BASIC_SKU_ID)
    await say(desk, ANNA, f"remove license {basic}")
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.approver_ids) == ("license.remove", [JONAS.user_id])
    assert plan_of(desk, request) == (
        UnassignLicense(user_id=ANNA.user_id, user=ANNA.display_name, sku_id=BASIC_SKU_ID, plan=basic),
    )


async def test_removing_a_plan_not_held_is_refused(desk: Desk) -> None:
    standard = await plan_name(desk, STANDARD_SKU_ID)
    reply = await say(desk, ANNA, f"remove license {standard}")
    assert reply.text == t("license.not_held", user=ANNA.display_name, plan=standard)
    assert await filed(desk, ANNA) == []


async def test_a_plan_change_files_one_swap(desk: Desk) -> None:
    basic, standard = await plan_name(desk, BASIC_SKU_ID), await plan_name(desk, STANDARD_SKU_ID)
    await say(desk, ANNA, f"change license {basic} to {standard}")
    (request,) = await filed(desk, ANNA)
    assert request.kind == "license.change"
    (swap,) = plan_of(desk, request)
    assert swap == SwapLicense(user_id=ANNA.user_id, user=ANNA.display_name, sku_id=STANDARD_SKU_ID,
                               remove_sku_id=BASIC_SKU_ID, old_plan=basic, new_plan=standard)
    assert swap.params() == {"user": ANNA.display_name, "plan": f"{basic} → {standard}"}


async def test_a_change_to_the_same_plan_is_refused(desk: Desk) -> None:
    basic = await plan_name(desk, BASIC_SKU_ID)
    reply = await say(desk, ANNA, f"change license {basic} to {basic}")
    assert reply.text == t("license.same_plan", plan=basic)
    assert await filed(desk, ANNA) == []


# ------------------------------------------------------------------ license.assign_bulk


async def test_a_pasted_list_files_one_request_for_the_valid_lines_and_reports_the_rest(desk: Desk) -> None:
    basic = await plan_name(desk, BASIC_SKU_ID)
    lines = [ANNA.user_principal_name, "me", JONAS.user_principal_name, "nobody@contoso.com"]
    await say(desk, LENA, f"request license {basic} for\n" + "\n".join(lines))
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.target_id, request.approver_ids) == (
        "license.assign_bulk", BASIC_SKU_ID, [JONAS.user_id])
    # Anna holds the plan already, Jonas is not Lena's report, nobody is nobody: only Lena herself is filed.
    assert plan_of(desk, request) == (
        AssignLicense(user_id=LENA.user_id, user=LENA.display_name, sku_id=BASIC_SKU_ID, plan=basic),
    )
    assert request.payload["user_ids"] == [LENA.user_id]
    (report,) = desk.messenger.to(LENA.user_id)
    assert report.card is not None and t("license.bulk.reason.not_found") in str(report.card)


async def test_a_pasted_list_over_the_limit_is_refused_whole(desk: Desk) -> None:
    people = "\n".join(f"p{n}@contoso.com" for n in range(101))
    reply = await say(desk, LENA, f"request license E3 for\n{people}")
    assert reply.text == t("license.bulk.too_many", count=101, limit=100)
    assert await filed(desk, LENA) == []


async def test_assignments_go_out_in_one_batch_and_a_rerun_changes_nothing(desk: Desk) -> None:
    people = desk.tenant.add_users(3)
    steps = [AssignLicense(user_id=user_id, user=user_id, sku_id=BASIC_SKU_ID, plan="Basic") for user_id in people]
    context = StepContext(tenant=desk.services.tenant, uow=desk.services.uow, request_id=1, clock=desk.clock)
    assert await apply_steps(context, steps) == [StepOutcome.DONE] * 3
    assert all(BASIC_SKU_ID in desk.tenant.held_sku_ids(desk.tenant.user_by_id_or_mail(p)) for p in people)
    assert await apply_steps(context, steps) == [StepOutcome.ALREADY_DONE] * 3


# ------------------------------------------------------------------ catalogue, price, report


async def test_the_catalogue_is_a_card_for_anyone(desk: Desk) -> None:
    reply = await say(desk, ANNA, "licenses")
    assert reply.card is not None
    assert await plan_name(desk, STANDARD_SKU_ID) in str(reply.card)


async def test_prices_and_the_report_are_the_admins(desk: Desk) -> None:
    assert (await say(desk, ANNA, "price E3 23.10 EUR")).text == t("price.not_admin")
    assert (await say(desk, ANNA, "report licenses")).text == t("report.not_admin")


async def test_an_admin_sets_a_price_once_audited(desk: Desk) -> None:
    e3 = await plan_name(desk, E3_SKU_ID)
    reply = await say(desk, JONAS, "price E3 23.10 EUR")
    assert reply.text == t("price.set_first", plan=e3, price=t.money(Decimal("23.10"), "EUR"))
    async with desk.services.uow() as uow:
        stored = await uow.prices.get_all()
    assert str(stored["ENTERPRISEPACK"].amount) == "23.10"

"""The groups family through the registry, against the in-memory tenant: group.leave offered on a license a group
gives, the offer's click filed as a request with its typed step, the click's refusals, and the step applied."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from desk_fixture import (
    ADMINS_GROUP_ID,
    ANNA,
    JONAS,
    LENA,
    LICENSING_GROUP_ID,
    PIA,
    STANDARD_SKU_ID,
    Desk,
    licensing_tenant,
    open_desk,
)

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.apply import apply_steps
from kinds.groups.steps import LeaveGroup
from kinds.steps import Step, StepContext
from m365.memory import UserSeed
from m365.outcomes import StepOutcome
from storage.models import Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

t = Translator("en-US")
GROUP_NAME = "License_BusinessStandard"


@pytest_asyncio.fixture
async def desk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    """The unit desk over licensing_tenant(): Pia holds Business Standard through the licensing group."""
    async with open_desk(migrated_sqlite, tmp_path, licensing_tenant()) as built:
        yield built


async def say(desk: Desk, person: UserSeed, text: str) -> Reply:
    services = desk.services
    return await dispatch_command(services, desk.actor(person), parse(text, services.kinds))


async def leave(desk: Desk, person: UserSeed, data: object) -> Reply:
    return await dispatch_click(desk.services, desk.actor(person), Verb.GROUP_LEAVE, data)


def offer_of(person: UserSeed, group_id: str = LICENSING_GROUP_ID) -> dict[str, str]:
    return {"group_id": group_id, "user_id": person.user_id}


async def filed(desk: Desk, person: UserSeed) -> list[Request]:
    async with desk.services.uow() as uow:
        return await uow.requests.list_for_requester(person.user_id)


def plan_of(desk: Desk, request: Request) -> tuple[Step, ...]:
    return desk.services.kinds.steps.load_plan(request.plan)


async def standard_name(desk: Desk) -> str:
    (sku,) = [sku for sku in await desk.services.tenant.licenses.list_skus() if sku.sku_id == STANDARD_SKU_ID]
    return desk.services.plans.name(sku)


def button_data(card: Mapping[str, Any], verb: str) -> list[dict[str, Any]]:
    return [dict(action["data"]) for action in card.get("actions", []) if action.get("verb") == verb]


# ------------------------------------------------------------------ the offer and its click


async def test_removing_a_license_a_group_gives_offers_leaving_that_group(desk: Desk) -> None:
    standard = await standard_name(desk)
    reply = await say(desk, PIA, f"remove license {standard}")
    assert reply.text == t("license.from_group", user=PIA.display_name, plan=standard, group=GROUP_NAME)
    assert reply.card is not None
    assert button_data(reply.card, Verb.GROUP_LEAVE) == [offer_of(PIA)]
    assert await filed(desk, PIA) == [], "the offer files nothing until it is clicked"


async def test_the_offers_click_files_a_request_for_the_admins_with_one_leave_step(desk: Desk) -> None:
    standard = await standard_name(desk)
    reply = await leave(desk, PIA, offer_of(PIA))
    (request,) = await filed(desk, PIA)
    assert (request.kind, request.state, request.target_id) == ("group.leave", "pending", PIA.user_id)
    assert request.approver_ids == [JONAS.user_id]
    assert reply.text == t("request.submitted", request_id=request.public_id, approvers=JONAS.display_name)
    assert plan_of(desk, request) == (
        LeaveGroup(group_id=LICENSING_GROUP_ID, user_id=PIA.user_id, user=PIA.display_name, group=GROUP_NAME,
                   plan=standard),
    )


async def test_a_manager_asks_for_their_report(desk: Desk) -> None:
    await leave(desk, LENA, offer_of(PIA))
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.target_id, request.approver_ids) == ("group.leave", PIA.user_id, [JONAS.user_id])


async def test_a_second_click_waits_for_the_open_request(desk: Desk) -> None:
    await leave(desk, PIA, offer_of(PIA))
    (first,) = await filed(desk, PIA)
    again = await leave(desk, PIA, offer_of(PIA))
    assert again.text == t("group.leave.already_pending", request_id=first.public_id, user=PIA.display_name,
                           group=GROUP_NAME)
    assert len(await filed(desk, PIA)) == 1


# ------------------------------------------------------------------ refusals: the click's data are only wishes


async def test_someone_else_s_membership_is_refused_unless_one_may_ask_for_them(desk: Desk) -> None:
    reply = await leave(desk, ANNA, offer_of(PIA))  # Pia is Lena's report, not Anna's
    assert reply.text == t("license.not_yours", user=PIA.display_name)
    assert await filed(desk, ANNA) == []


async def test_only_a_direct_member_can_leave(desk: Desk) -> None:
    reply = await leave(desk, ANNA, offer_of(ANNA))
    assert reply.text == t("group.leave.not_member", user=ANNA.display_name, group=GROUP_NAME)
    unknown = "00000000-0000-0000-0000-00000000dead"
    reply = await leave(desk, ANNA, offer_of(ANNA, unknown))
    assert reply.text == t("group.leave.not_member", user=ANNA.display_name, group=unknown)
    assert await filed(desk, ANNA) == []


async def test_a_group_that_gives_no_license_is_not_left_through_the_desk(desk: Desk) -> None:
    reply = await leave(desk, JONAS, offer_of(JONAS, ADMINS_GROUP_ID))
    assert reply.text == t("group.leave.gives_nothing", user=JONAS.display_name, group="DSM_Admins")
    assert await filed(desk, JONAS) == []


@pytest.mark.parametrize("data", [{"group_id": 5}, {"group_id": LICENSING_GROUP_ID}, "not a mapping",
                                  {"group_id": LICENSING_GROUP_ID, "user_id": "x" * 201}])
async def test_forged_click_data_change_nothing(desk: Desk, data: object) -> None:
    assert (await leave(desk, PIA, data)).text == t("error.bad_card")
    assert await filed(desk, PIA) == []


# ------------------------------------------------------------------ the step


async def test_the_leave_step_ends_the_membership_and_its_license_and_a_rerun_is_already_done(desk: Desk) -> None:
    step = LeaveGroup(group_id=LICENSING_GROUP_ID, user_id=PIA.user_id, user=PIA.display_name, group=GROUP_NAME,
                      plan="Business Standard")
    context = StepContext(tenant=desk.services.tenant, uow=desk.services.uow, request_id=1, clock=desk.clock)
    assert await apply_steps(context, [step]) == [StepOutcome.DONE]
    assert PIA.user_id not in desk.tenant.groups[LICENSING_GROUP_ID].member_ids
    assert STANDARD_SKU_ID not in desk.tenant.held_sku_ids(desk.tenant.user_by_id_or_mail(PIA.user_id))
    assert await apply_steps(context, [step]) == [StepOutcome.ALREADY_DONE]

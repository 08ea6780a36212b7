""""Did you mean …?" end to end: a typed near miss gets a card of corrected commands, a click runs one like typed
text (and files the request), a list or mailbox name one letter off offers the near names; chat gets the usual
answer and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.directory_sync import run_sync
from handlers.suggestions import MAX_COMMAND_LENGTH


def _commands(card: dict[str, Any]) -> list[str]:
    return [a["data"]["text"] for a in card.get("actions", []) if a.get("verb") == Verb.RUN_COMMAND]


async def _requests(desk: Desk, user_id: str) -> list[Any]:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user_id)


async def test_mistyped_license_request_offers_the_command_and_a_click_files_it(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin

    await desk.say(employee, "requst licence e3")
    card_id, card = desk.last_card(employee)
    assert _commands(card) == ["request license E3"]
    assert card["body"][0]["text"] == Translator("en-US")("suggest.did_you_mean", text="requst licence e3")
    assert [a["verb"] for a in card["actions"]][-1] == Verb.SHOW_HELP
    assert await _requests(desk, employee.id) == [], "a suggestion files nothing"

    reply = await desk.click(employee, Verb.RUN_COMMAND, {"text": "request license E3"}, reply_to_id=card_id)
    assert reply["statusCode"] == 200
    assert "Waiting for approval" in card_text(reply["value"])
    (request,) = await _requests(desk, employee.id)
    assert request.kind == "license.assign"
    assert request.requester_id == employee.id, "the requester is who clicked, as the activity says"

    await desk.run_jobs()
    _, approval = desk.last_card(admin)
    assert "Approval needed" in card_text(approval) and employee.display_name in card_text(approval)


async def test_polish_near_miss_is_answered_in_polish_with_the_polish_command(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, "poprosze o licencje E3", locale="pl-PL")
    _, card = desk.last_card(employee)
    assert _commands(card)[0] == "poproś o licencję E3"
    assert card["body"][0]["text"] == Translator("pl-PL")("suggest.did_you_mean", text="poprosze o licencje E3")


async def test_mistyped_join_with_a_near_list_name_joins_the_right_list(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, hr = seed.demo_employee, next(d for d in seed.distribution_lists if d.alias == "hr-announcements")
    await run_sync(desk.services, full=True)

    await desk.say(employee, "joim HR announcments")
    card_id, card = desk.last_card(employee)
    assert _commands(card)[0] == "join HR Announcements"

    await desk.click(employee, Verb.RUN_COMMAND, {"text": _commands(card)[0]}, reply_to_id=card_id)
    (request,) = await _requests(desk, employee.id)
    assert request.kind == "dl.join"
    assert hr.primary_smtp_address in request.target_label


async def test_a_list_name_one_letter_off_offers_the_near_list_and_a_click_joins_it(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, owner = seed.demo_employee, seed.list_owner
    closed = seed.closed_list  # "Marketing Team", owned by the list owner
    await run_sync(desk.services, full=True)

    await desk.say(employee, "join Marketing Taem")
    card_id, card = desk.last_card(employee)
    assert card["body"][0]["text"] == Translator("en-US")("suggest.list_not_found", name="Marketing Taem")
    joins = [a for a in card["actions"] if a.get("verb") == Verb.LIST_JOIN_SUBMIT]
    assert joins and joins[0]["title"] == closed.display_name
    assert await _requests(desk, employee.id) == [], "a suggestion files nothing"

    # The button runs the same command for exactly that list (by its id): the join is filed for the owner.
    await desk.click(employee, Verb.LIST_JOIN_SUBMIT, joins[0]["data"], reply_to_id=card_id)
    (request,) = await _requests(desk, employee.id)
    assert request.kind == "dl.join" and closed.primary_smtp_address in request.target_label
    await desk.run_jobs()
    assert closed.display_name in card_text(desk.last_card(owner)[1])


async def test_a_list_shown_by_a_near_name_opens_with_its_actions(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await run_sync(desk.services, full=True)
    await desk.say(employee, "show list HR announcments")
    card_id, card = desk.last_card(employee)
    (first, *_) = [a for a in card["actions"] if a.get("verb") == Verb.LIST_SHOW]
    assert first["title"] == "HR Announcements"
    reply = await desk.click(employee, Verb.LIST_SHOW, first["data"], reply_to_id=card_id)
    assert action_data(reply["value"], Verb.LIST_JOIN_SUBMIT) == {"list": first["data"]["list_id"]}
    assert await _requests(desk, employee.id) == []


async def test_a_mailbox_name_one_letter_off_offers_the_mailbox(desk: Desk) -> None:
    admin = desk.tenant.seed.demo_admin
    await run_sync(desk.services, full=True)
    await desk.say(admin, "show shared mailbox helpdesc")
    _, card = desk.last_card(admin)
    assert card["body"][0]["text"] == Translator("en-US")("suggest.mailbox_not_found", name="helpdesc")
    opens = [a for a in card["actions"] if a.get("verb") == Verb.MAILBOX_SHOW]
    assert [a["title"] for a in opens] == ["Helpdesk"]


@pytest.mark.parametrize("text", ["thanks", "how are you", "requst licence e7"])
async def test_chat_gets_the_usual_answer_and_no_card(desk: Desk, text: str) -> None:
    employee = desk.tenant.seed.demo_employee
    await desk.say(employee, text)
    assert desk.texts(employee)[-1] == Translator("en-US")("unknown_command", text=text)
    assert desk.cards(employee) == []


@pytest.mark.parametrize(
    "data",
    [{}, {"text": 5}, {"text": ""}, {"text": ["request license E3"]}, {"text": "request license E3 " * 40}],
)
async def test_a_forged_run_button_is_refused_and_files_nothing(desk: Desk, data: dict[str, Any]) -> None:
    employee = desk.tenant.seed.demo_employee
    assert len("request license E3 " * 40) > MAX_COMMAND_LENGTH
    reply = await desk.click(employee, Verb.RUN_COMMAND, data)
    assert reply["value"] == Translator("en-US")("error.bad_card")
    assert await _requests(desk, employee.id) == []


async def test_a_run_button_is_parsed_like_typed_text(desk: Desk) -> None:
    """Whatever the button says goes through the parser and the handlers' checks: no shortcut past them."""
    employee = desk.tenant.seed.demo_employee
    reply = await desk.click(employee, Verb.RUN_COMMAND, {"text": "request license NOPE"})
    assert await _requests(desk, employee.id) == []
    assert "NOPE" in card_text(reply["value"])
    reply = await desk.click(employee, Verb.RUN_COMMAND, {"text": "thanks"})
    assert reply["value"] == Translator("en-US")("unknown_command", text="thanks")


async def test_without_the_tenants_plans_the_answer_still_comes(desk: Desk) -> None:
    """Suggestions are a courtesy: Graph failing to list the plans leaves today's answer, not an error."""
    employee = desk.tenant.seed.demo_employee
    rule = desk.tenant.faults.set("graph", status=503, retry_after=0, path_contains="subscribedSkus")
    await desk.say(employee, "requst licence e3")
    assert rule.hits >= 1, "the plans were asked for, and failed"
    assert desk.texts(employee)[-1] == Translator("en-US")("unknown_command", text="requst licence e3")
    assert desk.cards(employee) == []

"""Names select by exact match only, columns hold real values, too-long input is refused before any upstream call —
through /api/messages, the connector, Graph and Exchange (devtenant), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from desk_harness import Desk, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import MAX_ADDRESS, MAX_MESSAGE, MAX_NAME
from handlers.directory_sync import run_sync
from m365.ports import NewDistributionList


def _snapshot(desk: Desk) -> dict[str, Any]:
    """What the wildcard commands could have changed in the tenant: list members, owners, mailbox permissions."""
    state = desk.tenant.state
    return copy.deepcopy({
        "members": state.group_members,
        "groups": {key: (g["DisplayName"], g["ManagedBy"]) for key, g in state.exo_groups.items()},
        "full_access": state.mailbox_permissions,
        "send_as": state.recipient_permissions,
    })


async def _requests(desk: Desk, user_id: str) -> list[Any]:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user_id)


def _buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute of a choice card (one ActionSet per candidate)."""
    return [action for element in card["body"] if element.get("type") == "ActionSet"
            for action in element["actions"]]


async def test_wildcards_in_a_name_select_nothing(desk: Desk) -> None:
    """"leave *" left the first list, "join *Team*" joined "Marketing Team", "grant send as on * to me" and an
    admin's "delete list *" filed requests on whatever came first: "*" is a wildcard to Exchange's -Identity."""
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    sales_poland = next(dl for dl in seed.distribution_lists if dl.alias == "sales-pl")
    assert employee.id in state.list_members(sales_poland.id), "the employee is a member of an Open-depart list"
    before = _snapshot(desk)

    for who, text in ((employee, "leave *"), (employee, "leave list *"), (employee, "join *Team*"),
                      (employee, "join *"), (employee, "grant send as on * to me"),
                      (employee, "grant full access on *Inbox to me"), (admin, "delete list *"),
                      (admin, "delete shared mailbox *"), (employee, "add anna@x.example to *")):
        await desk.say(who, text)
    await desk.run_jobs()

    assert await _requests(desk, employee.id) == []
    assert await _requests(desk, admin.id) == []
    assert _snapshot(desk) == before
    assert employee.id in state.list_members(sales_poland.id)
    assert not any("REQ-" in text for text in desk.texts(employee) + desk.texts(admin))


async def test_exact_alias_and_address_still_select_the_list(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, dl = seed.demo_employee, seed.open_list
    await desk.say(employee, f"join {dl.alias.upper()}")
    await desk.run_jobs()
    assert employee.id in state.list_members(dl.id)
    await desk.say(employee, f"leave {dl.primary_smtp_address.upper()}")
    await desk.run_jobs()
    assert employee.id not in state.list_members(dl.id)
    assert sorted((r.kind, r.target_id) for r in await _requests(desk, employee.id)) == [
        ("dl.join", dl.id), ("dl.leave", dl.id)]


async def test_two_lists_with_the_same_name_offer_a_choice_and_a_click_files_that_one(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, first = seed.demo_employee, seed.open_list
    twin = await desk.services.tenant.distribution_lists.create_list(NewDistributionList(
        name="Book Club Krakow", alias="book-club-krk", primary_smtp_address=f"book-club-krk@{state.domain}",
        display_name=first.display_name, owners=(seed.list_owner.mail,), member_join_restriction="Open"))

    await desk.say(employee, f"join {first.display_name.lower()}")
    assert await _requests(desk, employee.id) == [], "nothing is filed before the person picks"
    _, choice = desk.last_card(employee)
    buttons = _buttons(choice)
    assert len(buttons) == 2 and {b["verb"] for b in buttons} == {Verb.LIST_JOIN_SUBMIT}
    assert {b["data"]["list"] for b in buttons} == {first.id, twin.identity}
    assert any(twin.primary_smtp_address in b["title"] for b in buttons), "each button shows the list's address"
    assert first.display_name in card_text(choice)

    picked = next(b for b in buttons if b["data"]["list"] == twin.identity)
    await desk.click(employee, picked["verb"], picked["data"])
    await desk.run_jobs()
    (request,) = await _requests(desk, employee.id)
    assert (request.kind, request.target_id) == ("dl.join", twin.identity)
    assert employee.id in state.list_members(twin.identity) and employee.id not in state.list_members(first.id)

    # "show" reads the directory cache: once synced, it offers the same choice, by the lists' ids.
    assert not (await run_sync(desk.services, full=True)).errors
    await desk.say(employee, f"show list {first.display_name}")
    _, shown = desk.last_card(employee)
    assert {b["data"]["list_id"] for b in _buttons(shown)} == {first.id, twin.identity}


async def test_two_mailboxes_with_the_same_name_offer_a_choice_for_the_grant(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, helpdesk = seed.demo_employee, seed.helpdesk_mailbox
    twin = state.add_shared_mailbox("Helpdesk Krakow", helpdesk.display_name, "helpdesk-krk",
                                    f"helpdesk-krk@{state.domain}")
    await desk.say(employee, f"grant send as on {helpdesk.display_name} to me")
    assert await _requests(desk, employee.id) == []
    _, choice = desk.last_card(employee)
    buttons = _buttons(choice)
    assert {b["data"]["mailbox"] for b in buttons} == {helpdesk.id, twin["id"]}
    picked = next(b for b in buttons if b["data"]["mailbox"] == twin["id"])
    assert picked["verb"] == Verb.MAILBOX_GRANT_SUBMIT and picked["data"]["access"] == "send_as"
    await desk.click(employee, picked["verb"], picked["data"])
    (request,) = await _requests(desk, employee.id)
    assert (request.kind, request.target_id) == ("mailbox.grant", twin["id"])


async def test_find_treats_wildcards_as_plain_characters(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    assert not (await run_sync(desk.services, full=True)).errors
    await desk.say(employee, "find *")
    _, results = desk.last_card(employee)
    assert "Distribution lists (0)" in card_text(results) and "Shared mailboxes (0)" in card_text(results)
    await desk.say(employee, "find %")
    assert "Distribution lists (0)" in card_text(desk.last_card(employee)[1])


async def test_too_long_input_is_refused_before_any_upstream_call(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee = seed.demo_employee
    t = Translator("en-US")
    await desk.say(employee, "help")  # the person's first turn: whatever a turn itself reads is done by now
    long_name = "x" * 5000
    long_address = "a" * 400 + "@contoso.example"
    cases = [
        ("request license E3 for " + long_name, t("names.too_long.name", max=MAX_NAME, length=5000,
                                                   start=long_name[:40])),
        ("join " + long_name, t("names.too_long.name", max=MAX_NAME, length=5000, start=long_name[:40])),
        ("grant full access on helpdesk to " + long_address,
         t("names.too_long.address", max=MAX_ADDRESS, length=len(long_address), start=long_address[:40])),
        ("show " + long_name, t("names.too_long.name", max=MAX_NAME, length=5000, start=long_name[:40])),
        ("find " + "y" * (MAX_MESSAGE + 1),
         t("names.too_long.message", max=MAX_MESSAGE, length=MAX_MESSAGE + 6, start="")),
    ]
    for text, expected in cases:
        state.reset_call_log()
        await desk.say(employee, text)
        assert desk.texts(employee)[-1] == expected, text[:60]
        upstream = [c for c in state.calls() if c.service != "connector"]
        assert [c for c in upstream if c.service in ("graph", "graph.batch", "exchange")] == [], text[:60]
    assert await _requests(desk, employee.id) == []

    # A pasted list at the bulk limit is still a command (200 addresses of a usual length).
    pasted = "\n".join(f"person{i:03d}@{state.domain}" for i in range(200))
    await desk.say(seed.list_owner, f"add to {seed.closed_list.display_name}:\n{pasted}")
    assert "too long" not in desk.texts(seed.list_owner)[-1]


async def test_a_long_locale_and_a_256_character_name_are_stored(desk: Desk) -> None:
    """ca-ES-valencia (a Teams locale) did not fit varchar(10), a 250-character name not varchar(200), on PostgreSQL."""
    seed, state = desk.tenant.seed, desk.tenant.state
    long_name = ("Anna Maria " + "Kowalska-Nowak " * 20)[:256]
    state.update_user(seed.demo_employee.id, {"displayName": long_name})
    employee = dataclasses.replace(seed.demo_employee, display_name=long_name)

    await desk.say(employee, "request license E3", locale="ca-ES-valencia")
    (request,) = await _requests(desk, employee.id)
    assert request.requester_name == long_name and len(long_name) == 256
    assert request.locale == "ca-ES-valencia"
    async with desk.uow() as uow:
        reference = await uow.conversations.get(employee.id)
    assert reference is not None and reference.locale == "ca-ES-valencia"


async def test_too_long_people_in_forms_are_refused_without_a_lookup(desk: Desk) -> None:
    """Card forms bypass the chat parser: a pasted person or member longer than any name or address is refused
    there too, before a directory or Exchange lookup would carry it upstream."""
    seed, state = desk.tenant.seed, desk.tenant.state
    owner, dl = seed.list_owner, seed.closed_list
    junk = "z" * 3000 + "@contoso.example"
    state.reset_call_log()
    reply = await desk.click(owner, Verb.LIST_MEMBERS_SUBMIT, {"list_id": dl.id, "change": "add", "addresses": junk})
    assert "not an e-mail address" in json_text(reply)
    assert [c for c in state.calls() if c.cmdlet == "Get-Recipient"] == [], "no recipient lookup, single or batched"

    employee = seed.demo_employee
    state.reset_call_log()
    reply = await desk.click(employee, Verb.MAILBOX_GRANT_SUBMIT, {
        "mailbox": seed.helpdesk_mailbox.primary_smtp_address, "access": "send_as", "people": "y" * 3000})
    assert "yyyy…" in json_text(reply)
    assert not any("yyyy" in c.query or "yyyy" in c.path for c in state.calls()), "the name never went upstream"
    assert await _requests(desk, owner.id) == [] and await _requests(desk, employee.id) == []


def json_text(reply: dict[str, Any]) -> str:
    return card_text(reply)

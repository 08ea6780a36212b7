"""Distribution lists end to end (F1–F5): find and show from the directory cache, join/leave by policy, owners'
bulk member changes, create/modify/delete with approvals — through /api/messages, the connector and Exchange."""

from __future__ import annotations

from typing import Any

from desk_harness import Desk, action_data, card_text

from cards.verbs import Verb
from handlers.directory_sync import run_sync


async def _sync(desk: Desk) -> None:
    report = await run_sync(desk.services, full=True)
    assert not report.skipped and not report.errors, report


def _replies(desk: Desk, user: Any) -> str:
    return "\n".join(desk.texts(user))


async def _requests(desk: Desk, user_id: str) -> list[Any]:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user_id)


async def test_find_show_and_page_through_members(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, dl = seed.demo_employee, seed.closed_list
    await _sync(desk)

    await desk.say(employee, "find marketing")
    _, results = desk.last_card(employee)
    text = card_text(results)
    assert dl.display_name in text and "Marketing Events" in text and "Sales Poland" not in text

    # Search also matches descriptions, which Exchange's own Anr does not.
    await desk.say(employee, f"find {dl.display_name} distribution list")
    assert dl.display_name in card_text(desk.last_card(employee)[1])

    reply = await desk.click(employee, Verb.LIST_SHOW, {"list_id": dl.id})
    shown = card_text(reply["value"])
    members = state.list_members(dl.id)
    assert seed.list_owner.mail in shown
    assert f"Members ({len(members)})" in shown
    assert "Add or remove members" not in shown, "only owners and admins manage members"
    if len(members) > 20:
        page = action_data(reply["value"], Verb.BROWSE_PAGE)
        assert page["offset"] == 20
        second = await desk.click(employee, Verb.BROWSE_PAGE, page)
        assert f"21–{min(40, len(members))} of {len(members)}" in card_text(second["value"])


async def test_results_are_paged_not_cut(desk: Desk) -> None:
    employee = desk.tenant.seed.demo_employee
    await _sync(desk)
    total = len(desk.tenant.state.exo_groups)
    await desk.say(employee, "lists")
    _, first = desk.last_card(employee)
    assert f"1–10 of {total}" in card_text(first)
    assert "Directory as of" in card_text(first), "the reader sees how fresh the cache is"
    data = action_data(first, Verb.BROWSE_PAGE)
    second = await desk.click(employee, Verb.BROWSE_PAGE, data)
    assert f"11–{min(20, total)} of {total}" in card_text(second["value"])


async def test_join_open_list_by_policy_then_leave_visible_at_once(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, dl = seed.demo_employee, seed.open_list
    await _sync(desk)

    await desk.say(employee, f"join {dl.display_name}")
    assert "approved automatically" in _replies(desk, employee)
    await desk.run_jobs()
    assert employee.id in state.list_members(dl.id)
    assert not desk.cards(seed.demo_admin), "nobody was asked"

    await desk.say(employee, "my memberships")
    assert dl.display_name in card_text(desk.last_card(employee)[1]), "the desk's own change shows without a sync"
    shown = card_text((await desk.click(employee, Verb.LIST_SHOW, {"list_id": dl.id}))["value"])
    assert "Leave the list" in shown and "Join the list" not in shown, "a member is offered leaving, not joining"

    await desk.say(employee, f"leave {dl.display_name}")
    await desk.run_jobs()
    assert employee.id not in state.list_members(dl.id)
    await desk.say(employee, "my memberships")
    assert dl.display_name not in card_text(desk.last_card(employee)[1])
    kinds = sorted(r.kind for r in await _requests(desk, employee.id))
    assert kinds == ["dl.join", "dl.leave"]


async def test_owner_adds_members_in_bulk_each_address_reported(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    owner, dl = seed.list_owner, seed.closed_list
    current = set(state.list_members(dl.id))
    newcomers = [u for u in seed.users if u.account_enabled and u.id not in current and u.id != owner.id][:3]
    already = next(u for u in seed.users if u.id in current)
    pasted = "\n".join([*(u.mail for u in newcomers), already.mail, "nobody@contoso-nowhere.com", "not-an-address"])

    await desk.say(owner, f"add to {dl.display_name}:\n{pasted}")
    reply = _replies(desk, owner)
    assert "approved automatically" in reply
    assert f"{already.mail}: already a member" in reply
    assert "nobody@contoso-nowhere.com: no one in the organisation has this address" in reply
    assert "not-an-address: not an e-mail address" in reply
    await desk.run_jobs()
    assert {u.id for u in newcomers} <= set(state.list_members(dl.id))
    (request,) = await _requests(desk, owner.id)
    assert request.state == "completed" and len(request.plan) == 3
    # Each person added can see who put them on the list, in their own "my requests".
    async with desk.uow() as uow:
        for person in newcomers:
            assert [r.public_id for r in await uow.requests.list_about(person.id)] == [request.public_id]
        assert await uow.requests.list_about(already.id) == [], "left out of the request, so not about them"


async def test_non_owner_cannot_change_members_and_nothing_is_stored(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, dl = seed.demo_employee, seed.closed_list
    await desk.say(employee, f"add {seed.demo_admin.mail} to {dl.display_name}")
    assert "Only the owners" in _replies(desk, employee)
    assert await _requests(desk, employee.id) == []


async def test_dir_synced_list_is_refused_with_the_reason(desk: Desk) -> None:
    seed = desk.tenant.seed
    await desk.say(seed.demo_admin, f"add {seed.demo_employee.mail} to {seed.dir_synced_list.display_name}")
    assert "on-premises" in _replies(desk, seed.demo_admin)
    assert await _requests(desk, seed.demo_admin.id) == []


def _create_form(name: str, alias: str, address: str, owners: str, **extra: str) -> dict[str, str]:
    return {"name": name, "alias": alias, "address": address, "description": "Apollo project updates",
            "owners": owners, "members": "", "join": "Open", "depart": "Open", "external": "false", **extra}


async def test_create_list_admin_approves_and_it_exists_with_owners(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    await _sync(desk)
    await desk.say(employee, "create list Project Apollo")
    _, form = desk.last_card(employee)
    assert "Project Apollo" in card_text(form)
    address = f"apollo@{state.domain}"
    data = _create_form("Project Apollo", "apollo", address, employee.mail, members=seed.list_owner.mail)
    reply = await desk.click(employee, Verb.LIST_CREATE_SUBMIT, data)
    assert "REQ-" in card_text(reply["value"])
    await desk.run_jobs()

    card_id, approval = desk.last_card(admin)
    assert address in card_text(approval)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    await desk.run_jobs()
    created = next(g for g in state.exo_groups.values() if g["PrimarySmtpAddress"].lower() == address)
    assert [m.lower() for m in created["ManagedBy"]] == [employee.mail.lower()]
    assert created["MemberJoinRestriction"] == "Open"
    assert seed.list_owner.id in state.list_members(created["ExternalDirectoryObjectId"])
    await desk.say(employee, "my lists")
    assert "Project Apollo" in card_text(desk.last_card(employee)[1])


async def test_create_refusals_come_before_anything_is_stored(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee = seed.demo_employee
    taken = seed.closed_list.primary_smtp_address
    cases = [
        (_create_form("x" * 65, "apollo", f"apollo@{state.domain}", employee.mail), "too long"),
        (_create_form("Apollo", "apollo", "apollo@not-our-domain.example", employee.mail), "does not receive mail"),
        (_create_form("Apollo", "apollo2", taken, employee.mail), "already used by"),
        (_create_form("Apollo", "apo llo", f"apollo@{state.domain}", employee.mail), "cannot be an alias"),
        (_create_form("Apollo", "apollo", f"apollo@{state.domain}", "ghost@nowhere.example"), "cannot be used"),
    ]
    for data, expected in cases:
        reply = await desk.click(employee, Verb.LIST_CREATE_SUBMIT, data)
        shown = card_text(reply["value"])
        assert expected in shown, (expected, shown[:400])
        assert data["name"][:20] in shown, "the form comes back filled in"
    assert await _requests(desk, employee.id) == []


async def test_modify_by_sole_owner_goes_to_admins_and_changes_exactly_that(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    owner, admin, dl = seed.list_owner, seed.demo_admin, seed.closed_list
    await _sync(desk)
    before = dict(state.exo_group(dl.id))
    data = {"list_id": dl.id, "display_name": before["DisplayName"], "description": "Campaigns and budgets",
            "add_owners": admin.mail, "remove_owners": "", "join": "ApprovalRequired",
            "depart": before["MemberDepartRestriction"], "external": "false"}
    reply = await desk.click(owner, Verb.LIST_MODIFY_SUBMIT, data)
    assert "REQ-" in card_text(reply["value"])
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    shown = card_text(approval)
    assert "Campaigns and budgets" in shown and "owners approve" in shown
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    await desk.run_jobs()
    after = state.exo_group(dl.id)
    assert after["MemberJoinRestriction"] == "ApprovalRequired"
    assert {m.lower() for m in after["ManagedBy"]} == {owner.mail.lower(), admin.mail.lower()}
    assert after["DisplayName"] == before["DisplayName"]

    again = await desk.click(owner, Verb.LIST_MODIFY_SUBMIT, {**data, "add_owners": ""})
    assert "Nothing would change" in json_text(again)


def json_text(invoke_response: dict[str, Any]) -> str:
    return card_text(invoke_response.get("value") or {})


async def test_delete_requested_by_owner_admin_approves_gone_everywhere(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    owner, admin, dl = seed.list_owner, seed.demo_admin, seed.closed_list
    await _sync(desk)
    await desk.say(owner, f"delete list {dl.display_name}")
    await desk.run_jobs()
    card_id, approval = desk.last_card(admin)
    await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    await desk.run_jobs()
    assert dl.id not in state.exo_groups
    await desk.say(owner, f"find {dl.display_name}")
    assert "Distribution lists (0)" in card_text(desk.last_card(owner)[1])
    (request,) = await _requests(desk, owner.id)
    assert request.state == "completed"
    assert len(state.calls("exchange", cmdlet="Remove-DistributionGroup")) == 1


async def test_an_admin_may_decide_an_owner_routed_request(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin, dl = seed.demo_employee, seed.demo_admin, seed.closed_list
    await desk.say(employee, f"join {dl.display_name}")
    await desk.run_jobs()
    _, approval = desk.last_card(seed.list_owner)
    reply = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE))
    assert "Approved by" in card_text(reply["value"])
    await desk.run_jobs()
    assert employee.id in state.list_members(dl.id)


async def test_fifty_new_members_go_out_in_five_exchange_batches(desk: Desk) -> None:
    """Execution of a bulk add: one $batch HTTP request per ten Add-DistributionGroupMember cmdlets."""
    seed, state = desk.tenant.seed, desk.tenant.state
    owner, dl = seed.list_owner, seed.closed_list
    current = set(state.list_members(dl.id))
    newcomers = [u for u in seed.users if u.account_enabled and u.id not in current and u.id != owner.id][:50]
    assert len(newcomers) == 50
    await desk.say(owner, f"add to {dl.display_name}:\n" + "\n".join(u.mail for u in newcomers))
    state.reset_call_log()
    await desk.run_jobs()
    assert {u.id for u in newcomers} <= set(state.list_members(dl.id))
    http = state.calls("exchange")
    batches = [c for c in http if c.path.endswith("/$batch")]
    adds = state.calls("exchange.batch", cmdlet="Add-DistributionGroupMember")
    assert len(batches) == 5 and len(adds) == 50
    assert not state.calls("exchange", cmdlet="Add-DistributionGroupMember"), "no member added one request at a time"


async def test_show_by_name_opens_the_list_or_the_mailbox_or_searches(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, mailbox, dl = seed.demo_employee, seed.sales_mailbox, seed.open_list
    await _sync(desk)
    for text in (f"show mailbox {mailbox.display_name}", f"show {mailbox.display_name}",
                 f"pokaż skrzynkę {mailbox.primary_smtp_address}", f"Postfach {mailbox.alias} anzeigen"):
        await desk.say(employee, text)
        shown = card_text(desk.last_card(employee)[1])
        assert mailbox.primary_smtp_address in shown, text
        assert employee.display_name in shown and "Full Access" in shown, f"{text}: the holders are listed"

    await desk.say(employee, f"show {dl.display_name}")
    shown = card_text(desk.last_card(employee)[1])
    assert dl.primary_smtp_address in shown and "Join" in shown

    cards_before = len(desk.cards(employee))
    await desk.say(employee, "show no-such-thing-anywhere")
    assert len(desk.cards(employee)) == cards_before + 1
    shown = card_text(desk.last_card(employee)[1])
    assert "no-such-thing-anywhere" in shown and "No distribution lists." in shown and "No shared mailboxes." in shown

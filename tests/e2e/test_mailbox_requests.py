"""Shared mailbox requests (F6) end to end: create and delete (admins), grant and revoke Full Access, Send As and
Send on Behalf (owners, else admins), refusals before anything is stored, through /api/messages and Exchange."""

from __future__ import annotations

from typing import Any

from desk_harness import Desk, action_data, card_text

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import SeedUser


def full_access(desk: Desk, mailbox_id: str) -> dict[str, bool]:
    """Explicit Full Access holders in the emulated Exchange: user id → AutoMapping."""
    return {entry["User"]: entry.get("AutoMapping", True)
            for entry in desk.tenant.state.mailbox_permissions.get(mailbox_id, [])}


def send_as(desk: Desk, mailbox_id: str) -> set[str]:
    return {entry["Trustee"] for entry in desk.tenant.state.recipient_permissions.get(mailbox_id, [])}


def send_on_behalf(desk: Desk, mailbox_id: str) -> set[str]:
    return set(desk.tenant.state.users[mailbox_id].get("exoGrantSendOnBehalfTo") or [])


def ordinary_people(desk: Desk, count: int, *, besides: tuple[SeedUser, ...] = ()) -> list[SeedUser]:
    """Enabled people with a mailbox who are neither admins nor the well-known seed people."""
    seed = desk.tenant.seed
    skip = {seed.demo_admin.id, seed.demo_employee.id, seed.list_owner.id, *seed.admins_group.member_ids,
            *(person.id for person in besides)}
    found = [user for user in seed.users if user.account_enabled and user.mail and user.id not in skip]
    return found[:count]


async def requests_of(desk: Desk, user_id: str) -> list[Any]:
    async with desk.uow() as uow:
        return await uow.requests.list_for_requester(user_id)


async def approve(desk: Desk, approver: SeedUser, needle: str) -> dict[str, Any]:
    card_id, card = next((cid, c) for cid, c in reversed(desk.cards(approver)) if needle in card_text(c))
    return await desk.click(approver, Verb.APPROVE, action_data(card, Verb.APPROVE), reply_to_id=card_id)


# ---------------------------------------------------------------------------------------------- create, delete


async def test_create_shared_mailbox_admin_approves_owners_recorded_then_delete(desk: Desk) -> None:
    seed, state = desk.tenant.seed, desk.tenant.state
    employee, admin = seed.demo_employee, seed.demo_admin
    [delegate] = ordinary_people(desk, 1)
    address = f"project-falcon@{seed.domain}"

    await desk.say(employee, f"create shared mailbox Project Falcon {address}")
    form_id, form = desk.last_card(employee)
    assert "New shared mailbox" in card_text(form) and address in card_text(form)
    data = {"name": "Project Falcon", "alias": "", "address": address, "owners": employee.mail,
            "delegates": delegate.mail}
    reply = await desk.click(employee, Verb.MAILBOX_CREATE_SUBMIT, data, reply_to_id=form_id)
    assert "Create the shared mailbox Project Falcon" in card_text(reply["value"])
    [request] = await requests_of(desk, employee.id)
    assert request.kind == "mailbox.create"
    assert [step["op"] for step in request.plan] == [
        "create_shared_mailbox", "grant_mailbox_access", "grant_mailbox_access", "record_mailbox_owners"]
    await desk.click(employee, Verb.MAILBOX_CREATE_SUBMIT, data)
    assert len(await requests_of(desk, employee.id)) == 1, "asked twice, filed once"

    await desk.run_jobs()
    assert state.find_user(address) is None, "nothing happens before approval"
    assert "Approved by" in card_text((await approve(desk, admin, "Project Falcon"))["value"])
    await desk.run_jobs()
    created = state.find_user(address)
    assert created is not None and created["exoRecipientTypeDetails"] == "SharedMailbox"
    assert full_access(desk, created["id"]) == {delegate.id: True}
    assert send_as(desk, created["id"]) == {delegate.id}
    async with desk.uow() as uow:
        owners = await uow.mailbox_owners.of(created["id"])
        request = await uow.requests.get(request.id)
    assert [owner[0] for owner in owners] == [employee.id]
    assert request.state == "completed"
    assert len(state.calls("exchange", cmdlet="New-Mailbox")) == 1

    # The new mailbox's owner (not an admin) decides on access to it.
    [asker] = ordinary_people(desk, 1, besides=(delegate,))
    await desk.say(asker, f"grant send on behalf on {address} to {asker.mail}")
    await desk.run_jobs()
    assert any("Project Falcon" in card_text(card) for _, card in desk.cards(employee))
    assert not any("Shared mailbox access" in card_text(card) for _, card in desk.cards(admin))

    await desk.say(employee, f"delete shared mailbox {address}")
    await desk.run_jobs()
    await approve(desk, admin, "Delete the shared mailbox")
    await desk.run_jobs()
    assert state.find_user(address) is None
    assert [r.state for r in await requests_of(desk, employee.id) if r.kind == "mailbox.delete"] == ["completed"]


async def test_address_in_use_and_foreign_domain_refused_before_approval(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, taken = seed.demo_employee, seed.list_owner
    form = {"name": "Taken", "alias": "", "owners": employee.mail, "delegates": ""}
    reply = await desk.click(employee, Verb.MAILBOX_CREATE_SUBMIT, {**form, "address": taken.mail})
    shown = card_text(reply["value"])
    assert "already used by" in shown and taken.display_name in shown
    assert "New shared mailbox" in shown, "the form comes back, filled in"
    reply = await desk.click(employee, Verb.MAILBOX_CREATE_SUBMIT, {**form, "address": "taken@fabrikam.example"})
    assert "is not one of the organisation's e-mail domains" in card_text(reply["value"])
    reply = await desk.click(employee, Verb.MAILBOX_CREATE_SUBMIT, {**form, "name": "x" * 65, "address": ""})
    assert "at most 64 characters" in card_text(reply["value"])
    reply = await desk.click(employee, Verb.MAILBOX_CREATE_SUBMIT,
                             {**form, "address": f"bad..dots@{seed.domain}"})
    assert "is not a valid e-mail address" in card_text(reply["value"])
    assert await requests_of(desk, employee.id) == []
    assert desk.tenant.state.calls("exchange", cmdlet="New-Mailbox") == []


# ---------------------------------------------------------------------------------------------- grants


async def test_full_access_owner_approves_and_everyone_else_is_refused(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    mailbox = seed.helpdesk_mailbox
    owner, outsider = ordinary_people(desk, 2)

    # Only admins record owners; then the owner decides.
    await desk.say(employee, f"owners of mailbox {mailbox.primary_smtp_address} are {employee.mail}")
    assert "Only admins" in desk.texts(employee)[-1]
    await desk.say(admin, f"owners of mailbox {mailbox.primary_smtp_address} are {owner.mail}")
    assert owner.display_name in desk.texts(admin)[-1]

    await desk.say(employee, f"grant full access on {mailbox.primary_smtp_address} to {employee.mail} "
                             "without automapping")
    [request] = await requests_of(desk, employee.id)
    assert request.approver_ids == [owner.id] and request.payload["route"] == "owners"
    await desk.run_jobs()
    card_id, card = desk.last_card(owner)
    assert "Give" in card_text(card) and "Full Access" in card_text(card)
    assert not any(mailbox.display_name in card_text(c) for _, c in desk.cards(admin)), "owners decide"

    click = action_data(card, Verb.APPROVE)
    refused = await desk.click(employee, Verb.APPROVE, click)
    assert "someone else has to approve it" in card_text(refused["value"])
    refused = await desk.click(outsider, Verb.APPROVE, click)
    assert refused["value"] == Translator("en-US")("authority.refused"), "an outsider learns nothing about it"
    async with desk.uow() as uow:
        assert (await uow.requests.get(request.id)).state == "pending"

    await desk.click(owner, Verb.APPROVE, click, reply_to_id=card_id)
    stale = await desk.click(owner, Verb.APPROVE, click)
    assert "was already decided" in card_text(stale["value"])
    await desk.run_jobs()
    assert full_access(desk, mailbox.id)[employee.id] is False, "granted without auto-mapping"
    assert len(desk.tenant.state.calls("exchange", cmdlet="Add-MailboxPermission")) == 1
    assert any("Done" in text for text in desk.texts(employee))


async def test_send_as_without_owner_goes_to_admins_and_no_op_is_refused(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    mailbox = seed.empty_mailbox
    # "to me" is the person the activity names: the same request as writing one's own address.
    await desk.say(employee, f"grant send as on {mailbox.display_name} to me")
    [request] = await requests_of(desk, employee.id)
    assert [step.get("user_id") for step in request.plan if step.get("user_id")] == [employee.id]
    assert request.payload["route"] == "admins" and admin.id in request.approver_ids
    await desk.run_jobs()
    await approve(desk, admin, mailbox.display_name)
    await desk.run_jobs()
    assert send_as(desk, mailbox.id) == {employee.id}

    await desk.say(employee, f"grant send as on {mailbox.primary_smtp_address} to {employee.mail}")
    assert "already has this access" in desk.texts(employee)[-1]
    assert len(await requests_of(desk, employee.id)) == 1


async def test_send_on_behalf_in_polish_and_revoking_ones_own_access_needs_no_approval(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    mailbox = seed.empty_mailbox
    await desk.say(employee, f"nadaj wysyłanie w imieniu do {mailbox.primary_smtp_address} dla {employee.mail}",
                   locale="pl-PL")
    await desk.run_jobs()
    await approve(desk, admin, mailbox.display_name)
    await desk.run_jobs()
    assert send_on_behalf(desk, mailbox.id) == {employee.id}

    await desk.say(employee, f"revoke send on behalf on {mailbox.primary_smtp_address} from {employee.mail}")
    revoke = next(r for r in await requests_of(desk, employee.id) if r.kind == "mailbox.revoke")
    assert revoke.state == "approved", "auto-approved by policy"
    await desk.run_jobs()
    assert send_on_behalf(desk, mailbox.id) == set()
    async with desk.uow() as uow:
        [decision] = await uow.decisions.for_request(revoke.id)
    assert decision.approver_id == "desk:policy"


async def test_bulk_grant_files_the_valid_people_and_lists_the_others(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    mailbox = seed.empty_mailbox
    first, second = ordinary_people(desk, 2)
    people = [first.mail, f"nobody-here@{seed.domain}", seed.disabled_user.user_principal_name, second.mail]
    await desk.say(employee, f"grant full access on {mailbox.primary_smtp_address} to {', '.join(people)}")
    reply = desk.texts(employee)[-1]
    assert "Not included (2)" in reply
    assert f"nobody-here@{seed.domain}: no such person" in reply and "account is disabled" in reply
    [request] = await requests_of(desk, employee.id)
    assert [step["user_id"] for step in request.plan if step["op"] == "grant_mailbox_access"] == [first.id, second.id]
    await desk.run_jobs()
    await approve(desk, admin, mailbox.display_name)
    await desk.run_jobs()
    assert set(full_access(desk, mailbox.id)) == {first.id, second.id}


async def test_dir_synced_and_unknown_mailboxes_are_refused_and_nothing_stored(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee = seed.demo_employee
    synced = seed.dir_synced_mailbox
    await desk.say(employee, f"grant full access on {synced.primary_smtp_address} to {employee.mail}")
    assert "synchronised from on-premises" in desk.texts(employee)[-1]
    await desk.say(employee, f"revoke send as on {seed.sales_mailbox.primary_smtp_address} from {employee.mail}")
    assert "does not have this access" in desk.texts(employee)[-1]
    await desk.say(employee, f"grant full access on {seed.list_owner.mail} to {employee.mail}")
    assert "not a shared mailbox" in desk.texts(employee)[-1]
    await desk.say(employee, f"delete shared mailbox no-such-box@{seed.domain}")
    assert "couldn't find a shared mailbox" in desk.texts(employee)[-1]
    await desk.say(employee, f"grant full access on {seed.empty_mailbox.primary_smtp_address} to {employee.mail} "
                             "until 2001-01-01")
    assert "not in the future" in desk.texts(employee)[-1]
    assert await requests_of(desk, employee.id) == []


async def test_the_grant_form_files_the_same_request(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee = seed.demo_employee
    mailbox = seed.empty_mailbox
    await desk.say(employee, "grant access")
    form_id, form = desk.last_card(employee)
    assert "Input.Date" in card_text(form) and "Input.Toggle" in card_text(form)
    data = {"mailbox": mailbox.primary_smtp_address, "access": "full_access", "people": employee.mail,
            "until": "", "auto_mapping": "false"}
    reply = await desk.click(employee, Verb.MAILBOX_GRANT_SUBMIT, data, reply_to_id=form_id)
    assert "Full Access" in card_text(reply["value"])
    [request] = await requests_of(desk, employee.id)
    assert request.plan[0]["auto_mapping"] is False and request.plan[0]["right"] == "full_access"


async def test_only_owners_and_admins_may_ask_to_delete_a_mailbox(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin, mailbox = seed.demo_employee, seed.demo_admin, seed.sales_mailbox
    # The employee holds Full Access on it, but holding access is not owning it.
    await desk.say(employee, f"delete shared mailbox {mailbox.primary_smtp_address}")
    assert "Only the owners of Sales Team Inbox or an admin" in desk.texts(employee)[-1]
    assert await requests_of(desk, employee.id) == []
    reply = await desk.click(employee, Verb.MAILBOX_DELETE, {"mailbox": mailbox.id})
    assert "Only the owners" in card_text(reply["value"]) and await requests_of(desk, employee.id) == []

    await desk.say(employee, f"show mailbox {mailbox.display_name}")
    assert Verb.MAILBOX_DELETE.value not in card_text(desk.last_card(employee)[1])
    await desk.say(admin, f"show mailbox {mailbox.display_name}")
    assert Verb.MAILBOX_DELETE.value in card_text(desk.last_card(admin)[1])


async def test_a_holder_gives_up_their_access_from_the_mailbox_card(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, mailbox = seed.demo_employee, seed.sales_mailbox
    assert employee.id in send_on_behalf(desk, mailbox.id) and employee.id in full_access(desk, mailbox.id)
    await desk.say(employee, f"show {mailbox.display_name}")
    card_id, card = desk.last_card(employee)
    offered = [a["data"]["access"] for a in card["actions"] if a.get("verb") == Verb.MAILBOX_REVOKE.value]
    assert offered == ["full_access", "send_on_behalf"], "what the employee holds, and nothing else"
    data = next(a["data"] for a in card["actions"]
                if a.get("verb") == Verb.MAILBOX_REVOKE.value and a["data"]["access"] == "send_on_behalf")
    reply = await desk.click(employee, Verb.MAILBOX_REVOKE, data, reply_to_id=card_id)
    assert "Approved by M365 Desk" in card_text(reply["value"]), "giving up one's own access needs nobody's approval"
    await desk.run_jobs()
    assert employee.id not in send_on_behalf(desk, mailbox.id)
    assert employee.id in full_access(desk, mailbox.id), "only what was given up is gone"
    [request] = await requests_of(desk, employee.id)
    assert request.kind == "mailbox.revoke" and request.state == "completed"

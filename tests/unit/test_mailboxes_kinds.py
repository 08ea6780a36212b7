"""The mailboxes family through the registry, against the in-memory tenant: each kind's refusals, the request it
files (kind, typed plan, approvers, approval by policy), its clicks, its steps applied twice (the second run finds
everything in place), and the format-1 plans of an older desk read into today's steps."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from desk_fixture import ANNA, JONAS, LENA, Desk, build_desk, small_tenant

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.dispatch import dispatch_click, dispatch_command
from kinds.apply import apply_steps
from kinds.mailboxes.records import EndGrantExpiry, RecordMailboxOwners, ScheduleGrantExpiry
from kinds.mailboxes.steps import CreateSharedMailbox, DeleteMailbox, GrantMailboxAccess, RevokeMailboxAccess
from kinds.registry import Registry
from kinds.steps import Cached, Step, StepContext, Touched
from m365.memory import MailboxSeed, UserSeed
from m365.outcomes import StepOutcome
from storage.models import Request

pytest_plugins = ["desk_fixture"]

t = Translator("en-US")
V1 = Path(__file__).parent / "data" / "steps_v1"
# Lena can send as the helpdesk; nobody else holds anything on it, and the desk has recorded no owners yet.
HELPDESK = MailboxSeed("helpdesk", "Helpdesk", send_as=(LENA.user_id,))
HELPDESK_ADDRESS = "helpdesk@contoso.com"


@pytest_asyncio.fixture
async def desk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    path = tmp_path / "desk.db"
    shutil.copyfile(migrated_sqlite, path)
    seed = dataclasses.replace(small_tenant(), mailboxes=(HELPDESK,))
    built = await build_desk(f"sqlite+aiosqlite:///{path}", seed=seed)
    yield built
    await built.engine.dispose()


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


def helpdesk_id(desk: Desk) -> str:
    return desk.tenant.user_by_id_or_mail(HELPDESK_ADDRESS).id


def mail(desk: Desk, person: UserSeed) -> str:
    return desk.tenant.user_by_id_or_mail(person.user_id).mail or ""


def context(desk: Desk) -> StepContext:
    return StepContext(tenant=desk.services.tenant, uow=desk.services.uow, request_id=1, clock=desk.clock)


# ------------------------------------------------------------------ mailbox.grant


async def test_a_time_bound_grant_goes_to_the_admins_with_its_expiry_as_a_step(desk: Desk) -> None:
    reply = await say(desk, ANNA, "grant full access on helpdesk to me until 2025-12-31 without automapping")
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.state, request.approver_ids) == ("mailbox.grant", "pending", [JONAS.user_id])
    assert reply.status_card_of == request.id
    about = {"mailbox_id": helpdesk_id(desk), "mailbox": "Helpdesk", "access": "Full Access", "right": "full_access"}
    (grant, expiry) = plan_of(desk, request)
    assert grant == GrantMailboxAccess(**about, user="Anna Kowalska", user_id=ANNA.user_id, address=mail(desk, ANNA),
                                       auto_mapping=False)
    assert expiry == ScheduleGrantExpiry(
        **about, mailbox_address=HELPDESK_ADDRESS, user="Anna Kowalska", until="2025-12-31",
        expires_at=expiry.expires_at, person_ids=(ANNA.user_id,), person_addresses=(mail(desk, ANNA),),
        person_names=("Anna Kowalska",),
    )
    # The grant ends as its last day begins in the desk's time zone (the SLA calendar's).
    ends = datetime.fromisoformat(expiry.expires_at)
    assert (ends.date(), ends.hour, ends.utcoffset() is not None) == (date(2025, 12, 31), 0, True)
    assert grant.subjects() == {ANNA.user_id} and expiry.subjects() == frozenset()
    assert grant.touches() == expiry.touches() == (Touched(Cached.MAILBOX, helpdesk_id(desk)),)


async def test_grant_refusals_file_nothing(desk: Desk) -> None:
    assert (await say(desk, ANNA, "grant send as on nosuchbox to me")).text == t(
        "mailbox.not_found", mailbox="nosuchbox")
    assert (await say(desk, ANNA, "grant send as on helpdesk to me until 2025-02-30")).text == t(
        "mailbox.until_invalid", until="2025-02-30")
    assert (await say(desk, ANNA, "grant send as on helpdesk to me until 2025-01-01")).text == t(
        "mailbox.until_past", until="2025-01-01")
    already = await say(desk, ANNA, f"grant send as on helpdesk to {mail(desk, LENA)}")
    assert already.text == "\n".join([t("mailbox.nobody_valid"),
                                      f"- {mail(desk, LENA)}: {t('mailbox.refused.already_has')}"])
    assert await filed(desk, ANNA) == []


async def test_an_incomplete_grant_opens_the_form_and_the_card_button_opens_it_for_that_mailbox(desk: Desk) -> None:
    typed = await say(desk, ANNA, "grant send as")
    assert typed.card is not None and typed.text is None
    clicked = await click(desk, ANNA, Verb.MAILBOX_GRANT_SUBMIT, {"form": True, "mailbox": HELPDESK_ADDRESS})
    assert clicked.card is not None
    inputs = {item.get("id"): item.get("value") for item in clicked.card["body"] if "id" in item}
    assert inputs["mailbox"] == HELPDESK_ADDRESS
    incomplete = await click(desk, ANNA, Verb.MAILBOX_GRANT_SUBMIT, {"mailbox": HELPDESK_ADDRESS, "access": "send_as"})
    assert incomplete.text == t("mailbox.form.incomplete")
    assert await filed(desk, ANNA) == []


async def test_recorded_owners_decide_grants_and_only_admins_record_them(desk: Desk) -> None:
    assert (await say(desk, ANNA, f"owners of mailbox helpdesk are {mail(desk, ANNA)}")).text == t(
        "mailbox.owners.admins_only")
    assert (await say(desk, JONAS, f"owners of mailbox helpdesk are {mail(desk, LENA)}")).text == t(
        "mailbox.owners.set", mailbox="Helpdesk", owners="Lena Schmidt")
    await click(desk, ANNA, Verb.MAILBOX_GRANT_SUBMIT,
                {"mailbox": HELPDESK_ADDRESS, "access": "send_on_behalf", "people": "me", "auto_mapping": "true"})
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.approver_ids, request.payload["route"]) == (
        "mailbox.grant", [LENA.user_id], "owners")


# ------------------------------------------------------------------ mailbox.revoke


async def test_giving_up_ones_own_access_from_the_card_is_approved_by_policy(desk: Desk) -> None:
    reply = await click(desk, LENA, Verb.MAILBOX_REVOKE, {"access": "send_as", "mailbox": HELPDESK_ADDRESS,
                                                          "person": "me"})
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.state) == ("mailbox.revoke", "approved")
    assert reply.text == t("request.auto_approved", request_id=request.public_id, rule=t("policy.revoke_own_access"))
    assert plan_of(desk, request) == (
        RevokeMailboxAccess(mailbox_id=helpdesk_id(desk), mailbox="Helpdesk", access="Send As", right="send_as",
                            user="Lena Schmidt", user_id=LENA.user_id, address=mail(desk, LENA)),
    )


async def test_revoking_someone_elses_access_goes_to_the_admins_and_a_non_holder_is_refused(desk: Desk) -> None:
    refused = await say(desk, ANNA, f"revoke send as on helpdesk from {mail(desk, ANNA)}")
    assert refused.text == "\n".join([t("mailbox.nobody_valid"),
                                      f"- {mail(desk, ANNA)}: {t('mailbox.refused.not_holder')}"])
    assert (await say(desk, ANNA, "revoke send as on helpdesk")).text == t("mailbox.revoke.usage")
    await say(desk, ANNA, f"revoke send as on helpdesk from {mail(desk, LENA)}")
    (request,) = await filed(desk, ANNA)
    assert (request.kind, request.state, request.approver_ids) == ("mailbox.revoke", "pending", [JONAS.user_id])


async def test_a_click_that_does_not_fit_its_verb_is_refused(desk: Desk) -> None:
    assert (await click(desk, LENA, Verb.MAILBOX_REVOKE, {"mailbox": HELPDESK_ADDRESS, "person": "me"})).text == t(
        "error.bad_card")
    assert (await click(desk, LENA, Verb.MAILBOX_SHOW, {"mailbox": 42})).text == t("error.bad_card")
    assert (await click(desk, LENA, Verb.MAILBOX_DELETE, {})).text == t("error.bad_card")
    assert await filed(desk, LENA) == []


# ------------------------------------------------------------------ mailbox.create and mailbox.delete


async def test_the_create_form_files_the_mailbox_its_delegates_and_its_owners_for_the_admins(desk: Desk) -> None:
    await click(desk, ANNA, Verb.MAILBOX_CREATE_SUBMIT,
                {"name": "Sales Team Łódź", "owners": mail(desk, ANNA), "delegates": mail(desk, LENA)})
    (request,) = await filed(desk, ANNA)
    address = "sales-team-lodz@contoso.com"
    assert (request.kind, request.state, request.target_id, request.approver_ids) == (
        "mailbox.create", "pending", address, [JONAS.user_id])
    lena = {"mailbox_id": address, "mailbox": "Sales Team Łódź", "user": "Lena Schmidt", "user_id": LENA.user_id,
            "address": mail(desk, LENA), "auto_mapping": True}
    assert plan_of(desk, request) == (
        CreateSharedMailbox(name="Sales Team Łódź", display_name="Sales Team Łódź", alias="sales-team-lodz",
                            address=address, mailbox="Sales Team Łódź"),
        GrantMailboxAccess(**lena, access="Full Access", right="full_access"),
        GrantMailboxAccess(**lena, access="Send As", right="send_as"),
        RecordMailboxOwners(address=address, mailbox="Sales Team Łódź", user="Anna Kowalska",
                            owner_ids=(ANNA.user_id,), owner_addresses=(mail(desk, ANNA),),
                            owner_names=("Anna Kowalska",)),
    )


@pytest.mark.parametrize(
    ("form", "key", "params"),
    [
        ({}, "mailbox.create.name_missing", {}),
        ({"name": "Helpdesk 2", "address": HELPDESK_ADDRESS}, "mailbox.create.address_in_use",
         {"address": HELPDESK_ADDRESS, "holder": "Helpdesk"}),
        ({"name": "Elsewhere", "address": "elsewhere@fabrikam.com"}, "mailbox.create.domain_not_accepted",
         {"domain": "fabrikam.com", "domains": "contoso.com, contoso.onmicrosoft.com"}),
        ({"name": "Helpdesk", "address": "other@contoso.com"}, "mailbox.create.name_in_use",
         {"name": "Helpdesk", "holder": HELPDESK_ADDRESS}),
    ],
)
async def test_create_refusals_send_the_form_back_and_file_nothing(
    desk: Desk, form: dict[str, str], key: str, params: dict[str, str]
) -> None:
    reply = await click(desk, ANNA, Verb.MAILBOX_CREATE_SUBMIT, form)
    assert reply.text == t(key, **params) and reply.card is not None
    assert await filed(desk, ANNA) == []


async def test_only_owners_and_admins_ask_for_a_deletion_which_the_admins_decide(desk: Desk) -> None:
    assert (await click(desk, ANNA, Verb.MAILBOX_DELETE, {"mailbox": HELPDESK_ADDRESS})).text == t(
        "mailbox.delete.not_owner", mailbox="Helpdesk")
    await say(desk, JONAS, f"owners of mailbox helpdesk are {mail(desk, LENA)}")
    await say(desk, LENA, "delete shared mailbox helpdesk")
    (request,) = await filed(desk, LENA)
    assert (request.kind, request.state, request.approver_ids) == ("mailbox.delete", "pending", [JONAS.user_id])
    assert plan_of(desk, request) == (DeleteMailbox(mailbox_id=helpdesk_id(desk), mailbox="Helpdesk"),)


async def test_the_mailbox_card_shows_owners_and_holders(desk: Desk) -> None:
    reply = await click(desk, LENA, Verb.MAILBOX_SHOW, {"mailbox_id": helpdesk_id(desk)})
    assert reply.card is not None
    shown = json.dumps(reply.card, ensure_ascii=False)
    assert "Helpdesk" in shown and "Lena Schmidt" in shown
    verbs = [action.get("verb") for action in reply.card.get("actions", [])]
    assert Verb.MAILBOX_REVOKE in verbs, "Lena holds Send As: she may give it up"
    assert Verb.MAILBOX_DELETE not in verbs, "not an owner, not an admin"


# ------------------------------------------------------------------ steps


async def test_a_new_mailbox_plan_applies_once_and_a_rerun_finds_it_in_place(desk: Desk) -> None:
    address = "projects@contoso.com"
    plan: list[Step] = [
        CreateSharedMailbox(name="Projects", display_name="Projects", alias="projects", address=address,
                            mailbox="Projects"),
        GrantMailboxAccess(mailbox_id=address, mailbox="Projects", access="Send As", right="send_as",
                           user="Anna Kowalska", user_id=ANNA.user_id, address=mail(desk, ANNA)),
        RecordMailboxOwners(address=address, mailbox="Projects", user="Lena Schmidt", owner_ids=(LENA.user_id,),
                            owner_addresses=(mail(desk, LENA),), owner_names=("Lena Schmidt",)),
    ]
    assert await apply_steps(context(desk), plan) == [StepOutcome.DONE] * 3
    assert await apply_steps(context(desk), plan) == [StepOutcome.ALREADY_DONE] * 3
    created = desk.tenant.user_by_id_or_mail(address)
    assert created.shared is not None and created.shared.send_as == [ANNA.user_id]
    async with desk.services.uow() as uow:
        assert await uow.mailbox_owners.of(created.id) == [(LENA.user_id, mail(desk, LENA), "Lena Schmidt")]
    revoke = RevokeMailboxAccess(mailbox_id=address, mailbox="Projects", access="Send As", right="send_as",
                                 user="Anna Kowalska", user_id=ANNA.user_id, address=mail(desk, ANNA))
    delete = DeleteMailbox(mailbox_id=created.id, mailbox="Projects")
    assert await apply_steps(context(desk), [revoke, delete]) == [StepOutcome.DONE] * 2
    assert await apply_steps(context(desk), [revoke, delete]) == [StepOutcome.ALREADY_DONE] * 2


async def test_the_filed_expiry_is_scheduled_once_and_a_permanent_grant_ends_it(desk: Desk) -> None:
    await say(desk, ANNA, "grant send on behalf on helpdesk to me until 2025-12-31")
    (request,) = await filed(desk, ANNA)
    (grant, schedule) = plan_of(desk, request)
    assert isinstance(schedule, ScheduleGrantExpiry)
    run = dataclasses.replace(context(desk), request_id=request.id)
    assert await apply_steps(run, [grant, schedule]) == [StepOutcome.DONE, StepOutcome.DONE]
    assert await apply_steps(run, [grant, schedule]) == [StepOutcome.ALREADY_DONE, StepOutcome.DONE]
    async with desk.services.uow() as uow:
        expiry = await uow.grants.active(HELPDESK_ADDRESS, "send_on_behalf", ANNA.user_id)
    assert expiry is not None and expiry.request_id == request.id
    assert expiry.expires_at.astimezone(UTC) == datetime.fromisoformat(schedule.expires_at).astimezone(UTC)

    await say(desk, ANNA, f"withdraw {request.public_id}")  # so the next one is not the same request again
    await say(desk, ANNA, "grant send on behalf on helpdesk to me")  # held until a day: permanent is a change
    permanent = [r for r in await filed(desk, ANNA) if r.id != request.id]
    (_, end) = plan_of(desk, permanent[0])
    assert isinstance(end, EndGrantExpiry) and end.person_ids == (ANNA.user_id,)
    assert await apply_steps(run, [end]) == [StepOutcome.DONE]
    assert await apply_steps(run, [end]) == [StepOutcome.ALREADY_DONE]


@pytest.mark.parametrize(
    ("op", "people"), [("record_mailbox_owners", "owner"), ("schedule_grant_expiry", "person"),
                       ("end_grant_expiry", "person")],
)
def test_format_1_people_are_read_into_plain_tuples(registry: Registry, op: str, people: str) -> None:
    stored = json.loads((V1 / f"{op}.json").read_text())
    old = stored["owners" if people == "owner" else "people"]
    step = registry.steps.load(stored)
    assert getattr(step, f"{people}_ids") == tuple(item["id"] for item in old)
    assert getattr(step, f"{people}_addresses") == tuple(item["address"] for item in old)
    assert getattr(step, f"{people}_names") == tuple(item["name"] for item in old)
    assert registry.steps.load(json.loads(json.dumps(step.dump()))) == step

"""Edit-and-approve (F13) against the in-memory tenant: for each editable kind an approver's edit that passes the
family's own validation (the diff stored and audited, the request approved and executed with the NEW plan, the
requester told who changed what) and one it refuses (nothing changed); a stale form, a non-approver and the requester
refused; the timeline showing the edit; the cards valid Adaptive Cards 1.5 in three languages."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from desk_fixture import ANNA, E3_SKU_ID, JONAS, LENA, STANDARD_SKU_ID, Desk, build_desk, small_tenant
from jsonschema import Draft6Validator

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Reply
from handlers.delivery import deliver_approval_cards, update_request_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.editing import EDIT_NOTICE_JOB, tell_requester_of_edit
from handlers.execution import execute_request
from handlers.jobs import JobHandler
from handlers.submission import DELIVER_JOB, EXECUTE_JOB
from kinds.editor import EditClick
from kinds.queue.commands import ShowTimeline
from kinds.queue.timeline import show_timeline
from m365.memory import MailboxSeed, SkuSeed, UserSeed
from m365.ports import Access
from storage.models import Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

t = Translator("en-US")
SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json").read_text())
VALIDATOR = Draft6Validator(SCHEMA)
PIA = UserSeed("pia.nowak@contoso.com", "Pia Nowak", department="Sales", usage_location="PL")
HELPDESK = MailboxSeed("helpdesk", "Helpdesk")
JOB_HANDLERS: dict[str, JobHandler] = {
    DELIVER_JOB: deliver_approval_cards,
    EXECUTE_JOB: execute_request,
    "sync": update_request_cards,
    EDIT_NOTICE_JOB: tell_requester_of_edit,
}


@pytest_asyncio.fixture
async def desk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    """small_tenant() with E3 seats to spare, Pia, and a shared mailbox nobody holds anything on."""
    path = tmp_path / "desk.db"
    shutil.copyfile(migrated_sqlite, path)
    seed = small_tenant()
    skus = tuple(SkuSeed(E3_SKU_ID, "ENTERPRISEPACK", 5) if sku.sku_id == E3_SKU_ID else sku for sku in seed.skus)
    seed = dataclasses.replace(seed, users=(*seed.users, PIA), skus=skus, mailboxes=(HELPDESK,))
    built = await build_desk(f"sqlite+aiosqlite:///{path}", seed=seed)
    yield built
    await built.engine.dispose()


# ------------------------------------------------------------------ helpers


async def say(desk: Desk, person: UserSeed, text: str) -> Reply:
    return await dispatch_command(desk.services, desk.actor(person), parse(text, desk.services.kinds))


async def click(desk: Desk, person: UserSeed, verb: Verb, data: Mapping[str, Any], locale: str = "en-US") -> Reply:
    return await dispatch_click(desk.services, desk.actor(person, locale=locale), verb, dict(data))


async def only_request(desk: Desk, person: UserSeed) -> Request:
    async with desk.services.uow() as uow:
        (request,) = await uow.requests.list_for_requester(person.user_id)
    return request


async def reread(desk: Desk, request: Request) -> Request:
    async with desk.services.uow() as uow:
        found = await uow.requests.get(request.id)
    assert found is not None
    return found


async def run_jobs(desk: Desk) -> list[str]:
    ran: list[str] = []
    while True:
        async with desk.services.uow() as uow:
            job = await uow.jobs.claim("unit", lease_seconds=60)
            await uow.commit()
        if job is None:
            return ran
        await JOB_HANDLERS[job.kind.split(":", 1)[0]](desk.services, job)
        async with desk.services.uow() as uow:
            await uow.jobs.complete(job)
            await uow.commit()
        ran.append(job.kind)


def mail(desk: Desk, person: UserSeed) -> str:
    return desk.tenant.user_by_id_or_mail(person.user_id).mail or ""


def inputs_of(card: Mapping[str, Any]) -> dict[str, Any]:
    return {item["id"]: item.get("value") for item in card["body"] if "id" in item}


def verbs_of(card: Mapping[str, Any]) -> list[str]:
    return [action.get("verb", "") for action in card.get("actions", [])]


async def open_form(desk: Desk, request: Request, person: UserSeed = JONAS, locale: str = "en-US") -> dict[str, Any]:
    reply = await click(
        desk, person, Verb.EDIT_REQUEST, {"request_id": request.public_id, "version": request.version}, locale
    )
    assert reply.card is not None, reply.text
    VALIDATOR.validate(reply.card)
    return dict(reply.card)


async def approve_edited(
    desk: Desk, request: Request, values: Mapping[str, str], person: UserSeed = JONAS, version: int | None = None
) -> Reply:
    data = {"request_id": request.public_id, "version": request.version if version is None else version, **values}
    return await click(desk, person, Verb.APPROVE_EDITED, data)


async def edits_of(desk: Desk, request: Request) -> list[Any]:
    async with desk.services.uow() as uow:
        return await uow.edits.for_request(request.id)


async def audited(desk: Desk, request: Request, action: str) -> list[dict[str, Any]]:
    async with desk.services.uow() as uow:
        return [event.detail for event in await uow.audit.for_request(request.id) if event.action == action]


async def assert_unchanged(desk: Desk, before: Request, reply: Reply, notice: str) -> None:
    """A refused edit: the form again with the notice on top, and the stored request exactly as it was."""
    assert reply.text == notice
    assert reply.card is not None and notice in [item.get("text") for item in reply.card["body"]]
    after = await reread(desk, before)
    assert (after.plan, after.payload, after.version, after.state) == (
        before.plan,
        before.payload,
        before.version,
        before.state,
    )
    assert await edits_of(desk, before) == [] and await audited(desk, before, "request.edited") == []


async def assert_edited_and_approved(desk: Desk, request: Request, reply: Reply) -> Request:
    """The edit stored (original kept), audited with its diff, then approved through the shared decision."""
    assert reply.text == t("editing.done", request_id=request.public_id)
    after = await reread(desk, request)
    assert after.state == "approved" and after.version == request.version + 2  # the edit, then the approval
    (edit,) = await edits_of(desk, request)
    assert edit.before["plan"] == request.plan and edit.after["plan"] == after.plan != request.plan
    (event,) = await audited(desk, request, "request.edited")
    assert event["diff"] == edit.diff and event["before"]["plan"] == request.plan
    (approval,) = await audited(desk, request, "request.approved")
    assert approval["version"] == after.version
    return after


# ------------------------------------------------------------------ license.assign


async def test_the_approver_card_offers_edit_only_to_who_may_decide(desk: Desk) -> None:
    await say(desk, ANNA, "request license Business Standard")
    request = await only_request(desk, ANNA)
    await run_jobs(desk)
    (card,) = [sent.card for sent in desk.messenger.to(JONAS.user_id)]
    assert card is not None and Verb.EDIT_REQUEST in verbs_of(card)
    VALIDATOR.validate(card)
    form = await open_form(desk, request)
    assert inputs_of(form)["plan"] == STANDARD_SKU_ID
    assert verbs_of(form) == [Verb.APPROVE_EDITED, Verb.EDIT_REQUEST]
    back = await click(
        desk, JONAS, Verb.EDIT_REQUEST, {"request_id": request.public_id, "version": request.version, "cancel": True}
    )
    assert back.card is not None and Verb.APPROVE in verbs_of(back.card)


async def test_an_admin_changes_the_plan_and_the_new_plan_is_assigned(desk: Desk) -> None:
    await say(desk, ANNA, "request license Business Standard")
    request = await only_request(desk, ANNA)
    await run_jobs(desk)
    reply = await approve_edited(desk, request, {"plan": E3_SKU_ID, "reason": "E3 is our standard"})
    after = await assert_edited_and_approved(desk, request, reply)
    (edit,) = await edits_of(desk, request)
    (change,) = edit.diff
    assert change["field"] == "editing.field.plan" and "E3" in change["after"] and "E3" not in change["before"]
    assert after.payload["key"] == E3_SKU_ID and after.payload["route"] == request.payload["route"]
    ran = await run_jobs(desk)
    assert ran.index(f"{EDIT_NOTICE_JOB}:{request.version + 1}") < ran.index("execute")
    held = {lic.sku_id for lic in await desk.services.tenant.licenses.user_licenses(ANNA.user_id)}
    assert E3_SKU_ID in held and STANDARD_SKU_ID not in held
    assert (await reread(desk, request)).state == "completed"
    told = [sent.text or "" for sent in desk.messenger.to(ANNA.user_id)]
    assert any(
        text.startswith(t("editing.notify", request_id=request.public_id, name="Jonas Becker"))
        and change["after"] in text
        for text in told
    )
    # The approver's card shows the difference.
    updated = json.dumps([card for _sent, card in desk.messenger.updates], ensure_ascii=False)
    assert f"{change['before']} → {change['after']}" in updated


async def test_an_unknown_plan_changes_nothing(desk: Desk) -> None:
    await say(desk, ANNA, "request license Business Standard")
    request = await only_request(desk, ANNA)
    reply = await approve_edited(desk, request, {"plan": "no-such-plan"})
    assert reply.text is not None and reply.text.startswith(
        t("license.unknown_plan", plan="no-such-plan", plans="").split(":")[0]
    )
    await assert_unchanged(desk, request, reply, reply.text)


async def test_the_same_plan_is_no_change(desk: Desk) -> None:
    await say(desk, ANNA, "request license Business Standard")
    request = await only_request(desk, ANNA)
    await assert_unchanged(
        desk, request, await approve_edited(desk, request, {"plan": STANDARD_SKU_ID}), t("editing.no_change")
    )


async def test_a_stale_form_is_refused(desk: Desk) -> None:
    await say(desk, ANNA, "request license Business Standard")
    request = await only_request(desk, ANNA)
    reply = await approve_edited(desk, request, {"plan": E3_SKU_ID}, version=request.version + 5)
    assert reply.text == t("approval.stale", request_id=request.public_id)
    after = await reread(desk, request)
    assert (after.plan, after.version, after.state) == (request.plan, request.version, "pending")
    assert await edits_of(desk, request) == []


async def test_no_one_else_edits_and_outsiders_learn_nothing(desk: Desk) -> None:
    await say(desk, ANNA, "request license Business Standard")
    request = await only_request(desk, ANNA)
    for verb in (Verb.EDIT_REQUEST, Verb.APPROVE_EDITED):
        data = {"request_id": request.public_id, "version": request.version, "plan": E3_SKU_ID}
        outsider = await click(desk, LENA, verb, data)
        assert (outsider.text, outsider.card) == (t("authority.refused"), None)
        missing = await click(desk, LENA, verb, {**data, "request_id": "REQ-2025-999999"})
        assert (missing.text, missing.card) == (t("authority.refused"), None)
        requester = await click(desk, ANNA, verb, data)
        assert requester.text == t("approval.self")
        assert requester.card is not None and Verb.APPROVE_EDITED not in json.dumps(requester.card)
    after = await reread(desk, request)
    assert (after.plan, after.version, after.state) == (request.plan, request.version, "pending")
    refused = await audited(desk, request, "click.refused")
    assert {(event["verb"], event["reason"]) for event in refused} >= {
        (Verb.APPROVE_EDITED.value, "not_involved"),
        (Verb.APPROVE_EDITED.value, "requester"),
    }


# ------------------------------------------------------------------ mailbox.grant


async def test_a_grant_gets_other_people_and_an_end_date(desk: Desk) -> None:
    await say(desk, ANNA, "grant send as on helpdesk to me")
    request = await only_request(desk, ANNA)
    form = await open_form(desk, request)
    assert inputs_of(form)["people"] == mail(desk, ANNA) and inputs_of(form)["until"] == ""
    reply = await approve_edited(desk, request, {"people": mail(desk, PIA), "until": "2025-06-30"})
    await assert_edited_and_approved(desk, request, reply)
    (edit,) = await edits_of(desk, request)
    assert edit.diff == [
        {"field": "editing.field.people", "before": "Anna Kowalska", "after": "Pia Nowak"},
        {"field": "editing.field.until", "before": "", "after": "2025-06-30"},
    ]
    await run_jobs(desk)
    helpdesk = desk.tenant.user_by_id_or_mail("helpdesk@contoso.com").id
    mailboxes = desk.services.tenant.mailboxes
    assert mailboxes is not None
    delegates = await mailboxes.delegates(helpdesk)
    holders = {d.external_directory_object_id for d in delegates if d.access is Access.SEND_AS}
    assert PIA.user_id in holders and ANNA.user_id not in holders
    async with desk.services.uow() as uow:
        grant = await uow.grants.active("helpdesk@contoso.com", Access.SEND_AS.value, PIA.user_id)
    # Until the day begins in the desk's service time zone.
    assert grant is not None and grant.expires_at.astimezone(ZoneInfo("Europe/Warsaw")).isoformat() == (
        "2025-06-30T00:00:00+02:00"
    )


@pytest.mark.parametrize(
    ("values", "notice"),
    [
        # Nobody valid is the family's own refusal; some valid is the edit's (taken entirely or not at all).
        (
            {"people": "ghost@contoso.com"},
            "\n".join([t("mailbox.nobody_valid"), f"- ghost@contoso.com: {t('mailbox.refused.unknown')}"]),
        ),
        (
            {"people": "me, ghost@contoso.com"},
            "\n".join([t("editing.people_refused", count=1), f"- ghost@contoso.com: {t('mailbox.refused.unknown')}"]),
        ),
        ({"people": "me", "until": "2025-01-01"}, t("mailbox.until_past", until="2025-01-01")),
        ({"people": ""}, t("editing.people_missing")),
    ],
)
async def test_a_grant_edit_that_fails_validation_changes_nothing(
    desk: Desk, values: dict[str, str], notice: str
) -> None:
    await say(desk, ANNA, "grant send as on helpdesk to me")
    request = await only_request(desk, ANNA)
    await assert_unchanged(desk, request, await approve_edited(desk, request, values), notice)


async def test_an_approver_cannot_edit_themselves_into_a_grant(desk: Desk) -> None:
    await say(desk, ANNA, "grant send as on helpdesk to me")
    request = await only_request(desk, ANNA)
    reply = await approve_edited(desk, request, {"people": mail(desk, JONAS)})
    await assert_unchanged(desk, request, reply, t("editing.self", request_id=request.public_id))


# ------------------------------------------------------------------ mailbox.create and dl.create


async def test_a_new_mailbox_gets_delegates_and_a_bad_one_is_refused(desk: Desk) -> None:
    await click(desk, ANNA, Verb.MAILBOX_CREATE_SUBMIT, {"name": "Team Inbox", "owners": mail(desk, ANNA)})
    request = await only_request(desk, ANNA)
    refused = await approve_edited(
        desk, request, {"name": "Team Inbox", "owners": mail(desk, ANNA), "delegates": "ghost@contoso.com"}
    )
    assert refused.text is not None and refused.text.startswith(t("mailbox.create.people_refused", people="")[:10])
    await assert_unchanged(desk, request, refused, refused.text)
    reply = await approve_edited(
        desk, request, {"name": "Team Inbox", "owners": mail(desk, ANNA), "delegates": mail(desk, PIA)}
    )
    await assert_edited_and_approved(desk, request, reply)
    await run_jobs(desk)
    assert (await reread(desk, request)).state == "completed"
    mailboxes = desk.services.tenant.mailboxes
    assert mailboxes is not None
    (created,) = await mailboxes.mailboxes_named("Team Inbox")
    assert {d.external_directory_object_id for d in await mailboxes.delegates(created.identity)} == {PIA.user_id}


async def test_a_new_list_is_renamed_and_an_unknown_owner_is_refused(desk: Desk) -> None:
    await click(desk, ANNA, Verb.LIST_CREATE_SUBMIT, {"name": "Project Apollo", "owners": mail(desk, ANNA)})
    request = await only_request(desk, ANNA)
    form = await open_form(desk, request)
    values = {key: str(value) for key, value in inputs_of(form).items() if value is not None and key != "reason"}
    refused = await approve_edited(desk, request, {**values, "owners": "ghost@contoso.com"})
    assert refused.text == t("dl.create.owner_invalid", who=f"ghost@contoso.com ({t('dl.refused.unknown')})")
    await assert_unchanged(desk, request, refused, refused.text)
    reply = await approve_edited(
        desk, request, {**values, "name": "Project Artemis", "address": "", "alias": "", "members": mail(desk, LENA)}
    )
    after = await assert_edited_and_approved(desk, request, reply)
    assert after.target_id == "project-artemis@contoso.com"
    await run_jobs(desk)
    (created,) = await desk.services.tenant.distribution_lists.lists_named("Project Artemis")
    members = {m.primary_smtp_address for m in await desk.services.tenant.distribution_lists.members(created.identity)}
    assert mail(desk, LENA) in members


# ------------------------------------------------------------------ dl.modify (owners)


async def test_a_list_change_gets_other_owners(desk: Desk) -> None:
    (marketing,) = await desk.services.tenant.distribution_lists.lists_named("Marketing Team")
    await click(desk, LENA, Verb.LIST_MODIFY_SUBMIT, {"list_id": marketing.identity, "add_owners": mail(desk, ANNA)})
    request = await only_request(desk, LENA)
    assert request.approver_ids == [JONAS.user_id]
    refused = await approve_edited(desk, request, {"add_owners": "ghost@contoso.com"})
    assert refused.text == t("dl.create.owner_invalid", who=f"ghost@contoso.com ({t('dl.refused.unknown')})")
    await assert_unchanged(desk, request, refused, refused.text)
    reply = await approve_edited(desk, request, {"add_owners": mail(desk, PIA)})
    await assert_edited_and_approved(desk, request, reply)
    await run_jobs(desk)
    changed = await desk.services.tenant.distribution_lists.get_list(marketing.identity)
    assert changed is not None
    owners = {owner.casefold() for owner in changed.managed_by}
    assert mail(desk, PIA).casefold() in owners and mail(desk, ANNA).casefold() not in owners


# ------------------------------------------------------------------ history and cards


async def test_the_timeline_shows_the_edit_with_its_diff(desk: Desk) -> None:
    await say(desk, ANNA, "grant send as on helpdesk to me")
    request = await only_request(desk, ANNA)
    await approve_edited(desk, request, {"people": mail(desk, PIA)})
    reply = await show_timeline(desk.services, desk.actor(ANNA), ShowTimeline(request_id=request.public_id))
    shown = json.dumps(reply.card, ensure_ascii=False)
    assert t("editing.event.edited") in shown
    assert t("editing.change", field=t("editing.field.people"), before="Anna Kowalska", after="Pia Nowak") in shown


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
async def test_edit_forms_are_valid_cards_in_every_language(desk: Desk, locale: str) -> None:
    await say(desk, ANNA, "request license Business Standard")
    await say(desk, ANNA, "grant send as on helpdesk to me until 2025-12-31")
    async with desk.services.uow() as uow:
        requests = await uow.requests.list_for_requester(ANNA.user_id)
    for request in requests:
        form = await open_form(desk, request, locale=locale)
        assert Translator(locale)("editing.approve") in json.dumps(form, ensure_ascii=False)


async def test_every_editor_field_is_an_input_of_the_form_click(desk: Desk) -> None:
    """One waiting request of each editable kind: every field its form shows is read back from the click."""
    names = {field.name for field in dataclasses.fields(EditClick)}
    await say(desk, ANNA, "request license Business Standard")
    await say(desk, ANNA, "grant send as on helpdesk to me until 2025-12-31")
    await click(desk, ANNA, Verb.MAILBOX_CREATE_SUBMIT, {"name": "Team Inbox", "owners": mail(desk, ANNA)})
    await click(desk, ANNA, Verb.LIST_CREATE_SUBMIT, {"name": "Project Apollo", "owners": mail(desk, ANNA)})
    (marketing,) = await desk.services.tenant.distribution_lists.lists_named("Marketing Team")
    await click(desk, LENA, Verb.LIST_MODIFY_SUBMIT, {"list_id": marketing.identity, "add_owners": mail(desk, ANNA)})
    async with desk.services.uow() as uow:
        requests = [
            *await uow.requests.list_for_requester(ANNA.user_id),
            *await uow.requests.list_for_requester(LENA.user_id),
        ]
    editable = {kind.id for kind in desk.services.kinds.kinds if kind.editor is not None}
    assert (
        {request.kind for request in requests}
        == editable
        == {"license.assign", "mailbox.grant", "mailbox.create", "dl.create", "dl.modify"}
    )
    for request in requests:
        editor = desk.services.kinds.kind(request.kind).editor
        assert editor is not None
        fields = await editor.fields(desk.services, request, t)
        assert fields and {field.name for field in fields} <= names, request.kind

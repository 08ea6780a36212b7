"""Edit-and-approve (F13), for every kind with an editor: the approver's Edit opens the request's form, and its
Approve re-checks authority on the stored request, has the kind revise it as a new request would be validated, stores
the edit (the original kept, the diff audited) and approves it through the shared decision; the requester is told
what changed and by whom (the ``edited`` job)."""

from __future__ import annotations

import logging
from typing import Any

from cards.editing import changes_text, edit_form
from cards.verbs import Verb
from desk_logging import bind as bind_log_context
from handlers import access
from handlers.approvals import decide
from handlers.card_delivery import translator_for
from handlers.context import Actor, Reply, actor_translator
from handlers.delivery import DESK_REQUESTER_PREFIX
from handlers.lifecycle import RequestState
from handlers.request_views import approver_card_for, request_view
from handlers.services import Services, is_admin
from handlers.submission import Draft
from kinds.editor import EditClick, Editor
from kinds.steps import changes_person, dump_plan, plan_subjects
from storage.errors import StaleVersion
from storage.models import Job, Request

logger = logging.getLogger(__name__)

EDITED_ACTION = "request.edited"
# One job per edit ("edited:<the version the edit made>"): the requester hears of each edit once.
EDIT_NOTICE_JOB = "edited"


def edit_notice_job(version: int) -> str:
    return f"{EDIT_NOTICE_JOB}:{version}"


async def edit_clicked(services: Services, actor: Actor, data: EditClick) -> Reply:
    """The approval card's Edit: the form, filled in with what the request asks for now; Back on the form (cancel)
    shows the approval card again."""
    checked = await _checked(services, actor, data, Verb.EDIT_REQUEST)
    if isinstance(checked, Reply):
        return checked
    request, editor = checked
    if data.cancel:
        return await _current(services, actor, request.public_id, None)
    t = actor_translator(actor)
    fields = await editor.fields(services, request, t)
    async with services.uow() as uow:
        view = await request_view(services, uow, request)
    return Reply(card=edit_form(view, fields, t))


async def approve_edited(services: Services, actor: Actor, data: EditClick) -> Reply:
    """The edit form's Approve: the inputs are only wishes. A refusal (the kind's own validation, no change, a change
    that would make the approver a person the request changes) shows the form again and changes nothing."""
    checked = await _checked(services, actor, data, Verb.APPROVE_EDITED)
    if isinstance(checked, Reply):
        return checked
    request, editor = checked
    t = actor_translator(actor)
    fields = await editor.fields(services, request, t)
    inputs = data.inputs(fields)

    async def again(notice: str) -> Reply:
        async with services.uow() as uow:
            view = await request_view(services, uow, request)
        return Reply(text=notice, card=edit_form(view, fields, t, values=inputs, notice=notice))

    # The requester's request, validated as theirs (their rights, their requests in flight), in the approver's words.
    requester = Actor(
        user_id=request.requester_id,
        name=request.requester_name,
        tenant_id=actor.tenant_id,
        locale=actor.locale,
        timezone=actor.timezone,
    )
    revised = await editor.revise(services, request, requester, inputs)
    if isinstance(revised, Reply):
        return await again(revised.text or t("editing.refused"))
    if revised.kind != request.kind:
        raise AssertionError(f"{request.kind} revised into {revised.kind}")
    if changes_person(revised.plan, actor.user_id):
        return await again(t("editing.self", request_id=request.public_id))
    before = services.kinds.steps.load_plan(request.plan)
    diff = _diff(editor, before, revised.plan)
    if not diff:
        return await again(t("editing.no_change"))
    assert isinstance(data.version, int)  # _checked compared it with the stored version
    edited = await _store(services, actor, request, revised, diff, data.version)
    if isinstance(edited, Reply):
        return edited
    services.wake_jobs()
    logger.info("request %s edited by %s", request.public_id, actor.user_id)
    # The shared decision: stages, its own checks and the execution job apply as to any Approve.
    decided = await decide(
        services, actor, public_id=request.public_id, version=edited, approve=True, reason=data.reason
    )
    notice = t("editing.done", request_id=request.public_id)
    return Reply(text=decided.text or notice, card=decided.card, status_card_of=decided.status_card_of)


async def _checked(services: Services, actor: Actor, data: EditClick, verb: Verb) -> tuple[Request, Editor] | Reply:
    """The stored request and its kind's editor when the actor may decide it now, at the version the card shows;
    else the reply (people with no part in it learn nothing; the others see the request as it stands)."""
    t = actor_translator(actor)
    found = await access.find(services, actor, data.request_id, verb)
    if isinstance(found, Reply):
        return found
    request, standing = found
    bind_log_context(req_id=request.public_id)
    editor = services.kinds.kind(request.kind).editor
    if not standing.may_decide:
        why = (
            access.Why.REQUESTER
            if standing.requester
            else access.Why.SUBJECT
            if standing.subject
            else access.Why.NOT_APPROVER
        )
        await access.record_refusal(services, actor, verb, why, public_id=request.public_id, request=request)
        notice = t("approval.self") if standing.requester else t("editing.not_yours", request_id=request.public_id)
        return await _current(services, actor, request.public_id, notice)
    if editor is None:
        return Reply(text=t("error.bad_card"))  # no Edit on this kind's cards: the click was made up
    if request.state != RequestState.PENDING:
        state = t("request.state." + request.state)
        return await _current(
            services, actor, request.public_id, t("approval.already_decided", request_id=request.public_id, state=state)
        )
    if data.version != request.version:
        return await _current(services, actor, request.public_id, t("approval.stale", request_id=request.public_id))
    return request, editor


def _diff(editor: Editor, before: tuple[Any, ...], after: tuple[Any, ...]) -> list[dict[str, str]]:
    """Each field whose value differs, as {"field": its label key, "before", "after"}, in the editor's order."""
    old, new = editor.shown(before), editor.shown(after)
    return [
        {"field": label, "before": old.get(label, ""), "after": new.get(label, "")}
        for label in dict.fromkeys([*old, *new])
        if old.get(label, "") != new.get(label, "")
    ]


async def _store(
    services: Services, actor: Actor, request: Request, draft: Draft, diff: list[dict[str, str]], version: int
) -> int | Reply:
    """In one transaction: the request's new plan, target and payload (versioned; the original kept in its edit),
    the people it now changes, the audit event with the diff, and the requester's notice. The new version."""
    t = actor_translator(actor)
    plan = dump_plan(draft.plan)
    # Routing stays as filed (the approvers and their route); the approvers' lines are the new request's, and the
    # card says who changed what.
    payload = {
        **draft.payload,
        "route": request.payload.get("route", draft.payload.get("route")),
        "approver_names": request.payload.get("approver_names", []),
        "facts": [
            *draft.facts,
            ("editing.fact.edited_by", actor.name),
            *((item["field"], f"{item['before'] or '—'} → {item['after'] or '—'}") for item in diff),
        ],
    }
    async with services.uow() as uow:
        stored = await uow.requests.get_by_public_id(request.public_id, for_update=True)
        assert stored is not None  # requests are never deleted
        try:
            if stored.state != RequestState.PENDING:
                raise StaleVersion(stored.id, version, stored.version)
            edit = await uow.edits.replace(
                stored,
                expected_version=version,
                editor_id=actor.user_id,
                editor_name=actor.name,
                plan=plan,
                target_id=draft.target_id,
                target_label=draft.target_label,
                payload=payload,
                diff=diff,
                now=services.clock(),
            )
        except StaleVersion:
            await uow.rollback()
            return await _current(services, actor, request.public_id, t("approval.stale", request_id=request.public_id))
        await uow.edits.add_subjects(stored, plan_subjects(draft.plan))
        await uow.audit.append(
            action=EDITED_ACTION,
            request_id=stored.id,
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail={
                "public_id": stored.public_id,
                "version": edit.version_after,
                "from_version": edit.version_before,
                "diff": diff,
                "before": edit.before,
                "after": edit.after,
            },
        )
        await uow.jobs.enqueue(stored.id, edit_notice_job(edit.version_after))
        await uow.commit()
        return edit.version_after


async def tell_requester_of_edit(services: Services, job: Job) -> None:
    """The ``edited:<version>`` job: the requester hears who changed what, in their language (once per edit)."""
    version = int(job.kind.split(":", 1)[1])
    async with services.uow() as uow:
        request = await uow.requests.get(job.request_id)
        edit = await uow.edits.at_version(job.request_id, version)
    if request is None or edit is None or request.requester_id.startswith(DESK_REQUESTER_PREFIX):
        return
    t = await translator_for(services, request.requester_id, fallback=request.locale)
    message = t("editing.notify", request_id=request.public_id, name=edit.editor_name)
    await services.messenger.send(request.requester_id, text=f"{message}\n{changes_text(t, edit.diff)}")


async def _current(services: Services, actor: Actor, public_id: str, notice: str | None) -> Reply:
    """The approval card as it stands now for this reader, with the notice saying why nothing changed."""
    t = actor_translator(actor)
    async with services.uow() as uow:
        request = await uow.requests.get_by_public_id(public_id)
        assert request is not None
        view = await request_view(services, uow, request)
    admin = await is_admin(services, actor)
    return Reply(text=notice, card=approver_card_for(view, request, actor.user_id, t, notice=notice, admin=admin))

"""The lists family's edit-and-approve (F13): the settings, owners and members of a new list (dl.create) and the
owners a list change adds or removes (dl.modify); each edited request is validated by the family's own draft code
(create_draft, modify_draft) exactly as the requester's new request would be."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from cards.i18n import Translator
from cards.lists import DEPART_RESTRICTIONS, JOIN_RESTRICTIONS
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft
from kinds.editor import EditField, Editor, Style
from kinds.lists.manage import CreateClick, ModifyClick, create_draft, modify_draft
from kinds.lists.steps import ListCreation, ListUpdate
from kinds.steps import Step
from storage.models import Request

NAME, ALIAS, ADDRESS = "editing.field.name", "editing.field.alias", "editing.field.address"
DESCRIPTION, OWNERS, MEMBERS = "editing.field.description", "editing.field.owners", "editing.field.members"
JOIN, DEPART, EXTERNAL = "editing.field.join", "editing.field.depart", "editing.field.external"
ADD_OWNERS, REMOVE_OWNERS = "editing.field.add_owners", "editing.field.remove_owners"


S = TypeVar("S", bound=Step)


def _one(plan: tuple[Step, ...], step_type: type[S]) -> S | None:
    return next((step for step in plan if isinstance(step, step_type)), None)


# ------------------------------------------------------------------ dl.create


def create_shown(plan: tuple[Step, ...]) -> dict[str, str]:
    step = _one(plan, ListCreation)
    if step is None:
        return {}
    return {
        NAME: step.name,
        ALIAS: step.alias,
        ADDRESS: step.address,
        DESCRIPTION: step.description,
        OWNERS: ", ".join(step.owners),
        MEMBERS: ", ".join(step.members),
        JOIN: step.join,
        DEPART: step.depart,
        EXTERNAL: "true" if step.external else "false",
    }


async def create_fields(services: Services, request: Request, t: Translator) -> tuple[EditField, ...]:
    step = _one(services.kinds.steps.load_plan(request.plan), ListCreation)
    if step is None:
        return ()
    return (
        EditField("name", NAME, step.name, required=True),
        EditField("alias", ALIAS, step.alias),
        EditField("address", ADDRESS, step.address),
        EditField("description", DESCRIPTION, step.description),
        EditField("owners", OWNERS, "\n".join(step.owners), Style.LINES, required=True),
        EditField("members", MEMBERS, "\n".join(step.members), Style.LINES),
        EditField("join", JOIN, step.join, Style.CHOICE, _restrictions(t, JOIN_RESTRICTIONS)),
        EditField("depart", DEPART, step.depart, Style.CHOICE, _restrictions(t, DEPART_RESTRICTIONS)),
        EditField("external", EXTERNAL, "true" if step.external else "false", Style.TOGGLE),
    )


def _restrictions(t: Translator, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((value, t("list.restriction." + value)) for value in values)


async def create_revise(
    services: Services, request: Request, requester: Actor, inputs: Mapping[str, str]
) -> Draft | Reply:
    """The create form's checks, as if the requester had filled it in with these values."""
    names = ("name", "alias", "address", "description", "owners", "members", "join", "depart", "external")
    draft = await create_draft(
        services, requester, CreateClick(**{name: inputs.get(name) or None for name in names}), replacing=request
    )
    # The form's refusal comes with the requester's create form; the approver's edit form is drawn again instead.
    return Reply(text=draft.text) if isinstance(draft, Reply) else draft


def create_editor() -> Editor:
    return Editor(fields=create_fields, shown=create_shown, revise=create_revise)


# ------------------------------------------------------------------ dl.modify (the owners it adds and removes)


def modify_shown(plan: tuple[Step, ...]) -> dict[str, str]:
    step = _one(plan, ListUpdate)
    if step is None:
        return {}
    return {ADD_OWNERS: ", ".join(step.add_owners), REMOVE_OWNERS: ", ".join(step.remove_owners)}


async def modify_fields(services: Services, request: Request, t: Translator) -> tuple[EditField, ...]:
    step = _one(services.kinds.steps.load_plan(request.plan), ListUpdate)
    if step is None:
        return ()
    return (
        EditField("add_owners", ADD_OWNERS, "\n".join(step.add_owners), Style.LINES),
        EditField("remove_owners", REMOVE_OWNERS, "\n".join(step.remove_owners), Style.LINES),
    )


async def modify_revise(
    services: Services, request: Request, requester: Actor, inputs: Mapping[str, str]
) -> Draft | Reply:
    """The owners given, and the rest of the change as the requester asked for it; modify_draft compares everything
    with the list as it is now, so a description the request leaves alone is passed as the list has it."""
    step = _one(services.kinds.steps.load_plan(request.plan), ListUpdate)
    the_list = await services.tenant.distribution_lists.get_list(request.target_id) if step else None
    if step is None or the_list is None:
        return Reply(text=actor_translator(requester)("dl.not_found", list=request.target_label))
    data = ModifyClick(
        list_id=request.target_id,
        display_name=step.display_name,
        description=step.description if step.description is not None else the_list.description,
        add_owners=inputs.get("add_owners") or None,
        remove_owners=inputs.get("remove_owners") or None,
        join=step.join,
        depart=step.depart,
        external=None if step.external is None else ("true" if step.external else "false"),
    )
    return await modify_draft(services, requester, data, replacing=request)


def modify_editor() -> Editor:
    return Editor(fields=modify_fields, shown=modify_shown, revise=modify_revise)

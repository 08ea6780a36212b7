"""The mailboxes family's edit-and-approve (F13): the people and the end date of a grant, the settings of a new
shared mailbox; each edited request is validated by the family's own draft code (grant_draft, create_draft) exactly
as the requester's new request would be."""

from __future__ import annotations

from collections.abc import Mapping

from cards.i18n import Translator
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft
from kinds.editor import EditField, Editor, Style
from kinds.mailboxes.clicks import CreateClick
from kinds.mailboxes.commands import people_of
from kinds.mailboxes.create_delete import create_draft
from kinds.mailboxes.grant import grant_draft
from kinds.mailboxes.lookup import access_named
from kinds.mailboxes.records import RecordMailboxOwners, ScheduleGrantExpiry
from kinds.mailboxes.steps import CreateSharedMailbox, GrantMailboxAccess
from kinds.recipients import refusal_lines
from kinds.steps import Step
from storage.models import Request

PEOPLE, UNTIL = "editing.field.people", "editing.field.until"
NAME, ALIAS, ADDRESS = "editing.field.name", "editing.field.alias", "editing.field.address"
OWNERS, DELEGATES = "editing.field.owners", "editing.field.delegates"


def _grants(plan: tuple[Step, ...]) -> list[GrantMailboxAccess]:
    return [step for step in plan if isinstance(step, GrantMailboxAccess)]


def _people_of_grants(grants: list[GrantMailboxAccess], *, by: str) -> str:
    """Each person once (a new mailbox's delegates get two delegations each), by name or by address."""
    seen = dict.fromkeys(getattr(step, by) or step.user_id for step in grants)
    return ", ".join(seen)


def _until(plan: tuple[Step, ...]) -> str:
    return next((step.until for step in plan if isinstance(step, ScheduleGrantExpiry)), "")


# ------------------------------------------------------------------ mailbox.grant


def grant_shown(plan: tuple[Step, ...]) -> dict[str, str]:
    return {PEOPLE: _people_of_grants(_grants(plan), by="user"), UNTIL: _until(plan)}


async def grant_fields(services: Services, request: Request, t: Translator) -> tuple[EditField, ...]:
    plan = services.kinds.steps.load_plan(request.plan)
    return (
        EditField("people", PEOPLE, _people_of_grants(_grants(plan), by="address"), Style.LINES, required=True),
        EditField("until", UNTIL, _until(plan), Style.DATE),
    )


async def grant_revise(
    services: Services, request: Request, requester: Actor, inputs: Mapping[str, str]
) -> Draft | Reply:
    """The same mailbox and delegation, the people and end date given; a person who cannot get it (not found, holds
    it already) refuses the edit as a whole: an approver's change is taken entirely or not at all."""
    t = actor_translator(requester)
    grants = _grants(services.kinds.steps.load_plan(request.plan))
    access = access_named(grants[0].right) if grants else None
    entries = people_of(inputs.get("people", ""))
    if access is None or not entries:
        return Reply(text=t("editing.people_missing"))
    drafted = await grant_draft(
        services,
        requester,
        access,
        grants[0].mailbox_id,
        entries,
        until=inputs.get("until", ""),
        auto_mapping=grants[0].auto_mapping,
        replacing=request,
    )
    if isinstance(drafted, Reply):
        return drafted
    draft, refused = drafted
    if refused:
        return Reply(text="\n".join([t("editing.people_refused", count=len(refused)), *refusal_lines(t, refused)]))
    return draft


def grant_editor() -> Editor:
    return Editor(fields=grant_fields, shown=grant_shown, revise=grant_revise)


# ------------------------------------------------------------------ mailbox.create


def _creation(plan: tuple[Step, ...]) -> tuple[CreateSharedMailbox | None, RecordMailboxOwners | None]:
    created = next((step for step in plan if isinstance(step, CreateSharedMailbox)), None)
    owners = next((step for step in plan if isinstance(step, RecordMailboxOwners)), None)
    return created, owners


def create_shown(plan: tuple[Step, ...]) -> dict[str, str]:
    created, owners = _creation(plan)
    return {
        NAME: created.name if created else "",
        ALIAS: created.alias if created else "",
        ADDRESS: created.address if created else "",
        OWNERS: ", ".join(owners.owner_names) if owners else "",
        DELEGATES: _people_of_grants(_grants(plan), by="user"),
    }


async def create_fields(services: Services, request: Request, t: Translator) -> tuple[EditField, ...]:
    plan = services.kinds.steps.load_plan(request.plan)
    created, owners = _creation(plan)
    return (
        EditField("name", NAME, created.name if created else "", required=True),
        EditField("alias", ALIAS, created.alias if created else ""),
        EditField("address", ADDRESS, created.address if created else ""),
        EditField("owners", OWNERS, ", ".join(owners.owner_addresses) if owners else "", Style.LINES),
        EditField("delegates", DELEGATES, _people_of_grants(_grants(plan), by="address"), Style.LINES),
    )


async def create_revise(
    services: Services, request: Request, requester: Actor, inputs: Mapping[str, str]
) -> Draft | Reply:
    """The create form's checks, as if the requester had filled it in with these values."""
    data = CreateClick(
        **{name: inputs.get(name) or None for name in ("name", "alias", "address", "owners", "delegates")}
    )
    return await create_draft(services, requester, data, replacing=request)


def create_editor() -> Editor:
    return Editor(fields=create_fields, shown=create_shown, revise=create_revise)

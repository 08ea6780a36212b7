"""The lists family's requests about lists themselves (F5): dl.create (the create form; admins decide), dl.modify
(what an owner or admin changed on the modify form, only what differs; owners decide) and dl.delete (owners and admins
ask, admins decide) — validated live in Exchange before anything is filed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cards.i18n import Translator
from cards.lists import DEPART_RESTRICTIONS, JOIN_RESTRICTIONS, create_list_form, modify_form
from cards.verbs import Verb
from handlers.approvals import resolve_approvers
from handlers.commands import MAX_MESSAGE, argument_too_long
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from handlers.submission import Draft, find_open, submit
from kinds.card_data import DEFAULT_MAX_LENGTH, bounded
from kinds.lists.commands import CreateList, DeleteList, ModifyList
from kinds.lists.lookup import (
    MAX_LIST_REF,
    MEMBER_TYPES,
    OWNER_TYPES,
    ListClick,
    Then,
    find_changeable_list,
    find_list,
    find_recipient,
    owners_of,
    owns,
    requester_address,
    show_then,
    split_addresses,
)
from kinds.lists.steps import ListCreation, ListDeletion, ListUpdate
from kinds.recipients import ADDRESS, ALIAS, Refused, accepted_domains, label, shortened, sort_people, valid_alias
from m365.ports import DistributionList, ListChanges, Recipient
from storage.models import Request

CREATE, MODIFY, DELETE = "dl.create", "dl.modify", "dl.delete"
# Exchange's limit (New-DistributionGroup): Name ≤ 64 characters.
MAX_NAME = 64
# The form's text boxes are bounded only loosely here: the handler says in words what is too long.
_BOX = DEFAULT_MAX_LENGTH


@dataclass(frozen=True, slots=True)
class CreateClick:
    """The create form as submitted: every box as typed (the handler validates each and sends the form back)."""

    name: str | None = bounded(_BOX, optional=True)
    alias: str | None = bounded(_BOX, optional=True)
    address: str | None = bounded(_BOX, optional=True)
    description: str | None = bounded(_BOX, optional=True)
    owners: str | None = bounded(MAX_MESSAGE, optional=True)
    members: str | None = bounded(MAX_MESSAGE, optional=True)
    join: str | None = bounded(_BOX, optional=True)
    depart: str | None = bounded(_BOX, optional=True)
    external: str | None = bounded(_BOX, optional=True)  # "true" / "false" (Input.Toggle)


@dataclass(frozen=True, slots=True)
class ModifyClick:
    """The modify form of one list as submitted: its id and every box as typed."""

    list_id: str = bounded(MAX_LIST_REF)
    display_name: str | None = bounded(_BOX, optional=True)
    description: str | None = bounded(_BOX, optional=True)
    add_owners: str | None = bounded(MAX_MESSAGE, optional=True)
    remove_owners: str | None = bounded(MAX_MESSAGE, optional=True)
    join: str | None = bounded(_BOX, optional=True)
    depart: str | None = bounded(_BOX, optional=True)
    external: str | None = bounded(_BOX, optional=True)  # "true" / "false" (Input.Toggle)


async def create_typed(services: Services, actor: Actor, command: CreateList) -> Reply:
    return await show_create_form(services, actor, command.name)


async def modify_typed(services: Services, actor: Actor, command: ModifyList) -> Reply:
    t = actor_translator(actor)
    found = await find_list(services, t, command.list_name)
    if isinstance(found, Reply):
        return found
    return Reply(card=modify_form(found, t))


async def delete_typed(services: Services, actor: Actor, command: DeleteList) -> Reply:
    return await request_delete(services, actor, command.list_name)


async def delete_clicked(services: Services, actor: Actor, data: ListClick) -> Reply:
    return await request_delete(services, actor, data.list_id)


async def show_create_form(services: Services, actor: Actor, name: str = "") -> Reply:
    t = actor_translator(actor)
    domains = await accepted_domains(services)
    owner = await requester_address(services, actor) or ""
    return Reply(card=create_list_form(t, domains=domains, name=name[:MAX_NAME], owner=owner))


async def create_submitted(services: Services, actor: Actor, data: CreateClick) -> Reply:
    """Validates the create form; refusals send the form back, filled in as typed, with the reason on top."""
    draft = await create_draft(services, actor, data)
    return draft if isinstance(draft, Reply) else await submit(services, actor, draft)


async def create_draft(
    services: Services, actor: Actor, data: CreateClick, *, replacing: Request | None = None
) -> Draft | Reply:
    """The validated request for a new list, or the refusal; ``replacing``: the waiting request an approver is
    editing (kinds/lists/edit.py), which does not count as one already in flight."""
    t = actor_translator(actor)
    values = {key: getattr(data, key) or "" for key in
              ("name", "alias", "address", "description", "owners", "members", "join", "depart", "external")}
    domains = await accepted_domains(services)

    def again(key: str, **params: object) -> Reply:
        notice = t(key, **params)
        return Reply(text=notice, card=create_list_form(t, domains=domains, notice=notice, values=values))

    name, alias, address = values["name"], values["alias"], values["address"].lower()
    if not name:
        return again("dl.create.name_missing")
    if len(name) > MAX_NAME:
        return again("dl.create.name_too_long", max=MAX_NAME)
    alias = alias or re.sub(r"[^A-Za-z0-9._-]", "", name.replace(" ", "-")).strip(".-").lower()
    values["alias"] = alias
    if not valid_alias(alias):
        return again("dl.create.alias_invalid", alias=alias)
    if not address and domains:
        address = f"{alias}@{domains[0]}".lower()
        values["address"] = address
    match = ADDRESS.match(address)
    if not match or not ALIAS.match(match.group("local")):
        return again("dl.create.address_invalid", address=address)
    if match.group("domain").lower() not in domains:
        return again("dl.create.domain_not_accepted", domain=match.group("domain"), domains=", ".join(domains))
    if values["join"] not in JOIN_RESTRICTIONS:
        values["join"] = "Closed"
    if values["depart"] not in DEPART_RESTRICTIONS:
        values["depart"] = "Closed"
    if await services.tenant.distribution_lists.lists_named(name):
        return again("dl.create.name_taken", name=name)
    for candidate in (address, alias):
        holder = await find_recipient(services, candidate)
        if holder is not None:
            return again("dl.create.address_taken", address=candidate, holder=holder.display_name)
    owners, refused_owners = await _people(services, split_addresses(values["owners"]), OWNER_TYPES)
    if refused_owners:
        return again("dl.create.owner_invalid", who=", ".join(f"{r.value} ({t(r.reason)})" for r in refused_owners))
    if not owners:
        return again("dl.create.owner_missing")
    members, refused_members = await _people(services, split_addresses(values["members"]), MEMBER_TYPES)
    if refused_members:
        return again("dl.create.member_invalid", who=", ".join(f"{r.value} ({t(r.reason)})" for r in refused_members))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=CREATE, requester_id=actor.user_id, target_id=address, key=address)
    if pending and (replacing is None or pending.id != replacing.id):
        return Reply(text=t("dl.create.pending", address=address, request_id=pending.public_id))
    approvers = await resolve_approvers(services, actor.user_id)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    step = ListCreation(
        name=name, alias=alias, address=address, display_name=name, description=values["description"],
        owners=tuple(o.primary_smtp_address for o in owners), members=tuple(m.primary_smtp_address for m in members),
        join=values["join"], depart=values["depart"], external=values["external"] == "true",
    )
    return Draft(
        kind=CREATE,
        target_id=address,
        target_label=f"{name} <{address}>",
        payload={"key": address, "route": approvers.route},
        plan=(step,),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[
            ("dl.fact.owners", ", ".join(o.primary_smtp_address for o in owners)),
            ("dl.fact.members", str(len(members))),
            ("dl.fact.join", t(f"list.restriction.{values['join']}")),
            ("dl.fact.external", t("yes") if step.external else t("no")),
        ],
    )


async def _people(
    services: Services, values: Sequence[str], allowed: frozenset[str]
) -> tuple[list[Recipient], list[Refused]]:
    """The recipients named, each of a type in ``allowed``; a value given twice is checked once."""

    async def check(value: str) -> Recipient | Refused:
        if argument_too_long(value):
            return Refused(shortened(value), "dl.refused.unknown")  # no one has a name this long
        recipient = await find_recipient(services, value)
        if recipient is None:
            return Refused(value, "dl.refused.unknown")
        if recipient.recipient_type_details not in allowed:
            return Refused(value, "dl.refused.not_mail_enabled")
        return recipient

    return await sort_people(dict.fromkeys(values), check, key=lambda found: found.primary_smtp_address.casefold())


async def _manager_or_refusal(
    services: Services, actor: Actor, t: Translator, list_id: str, *, then: Then = show_then
) -> DistributionList | Reply:
    """The list, when the actor may ask to change it: one of its owners, or an admin."""
    found = await find_changeable_list(services, t, list_id, then=then)
    if isinstance(found, Reply):
        return found
    if not owns(found, await requester_address(services, actor)) and not await is_admin(services, actor):
        return Reply(text=t("dl.modify.not_owner", list=found.display_name))
    return found


async def modify_submitted(services: Services, actor: Actor, data: ModifyClick) -> Reply:
    """Only what differs from the list as it is now becomes the change; nothing different is a refusal."""
    draft = await modify_draft(services, actor, data)
    return draft if isinstance(draft, Reply) else await submit(services, actor, draft)


async def modify_draft(
    services: Services, actor: Actor, data: ModifyClick, *, replacing: Request | None = None
) -> Draft | Reply:
    """The validated change of a list, or the refusal; ``replacing``: the waiting request an approver is editing
    (kinds/lists/edit.py), which does not count as one already in flight."""
    t = actor_translator(actor)
    found = await _manager_or_refusal(services, actor, t, data.list_id)
    if isinstance(found, Reply):
        return found
    display_name = data.display_name or ""
    description = data.description or ""
    join, depart = data.join or "", data.depart or ""
    external = data.external
    if len(display_name) > 256:
        return Reply(text=t("dl.create.name_too_long", max=256))
    current_owners = {owner.casefold() for owner in found.managed_by}
    add_owners, refused = await _people(services, split_addresses(data.add_owners), OWNER_TYPES)
    if refused:
        return Reply(text=t("dl.create.owner_invalid", who=", ".join(f"{r.value} ({t(r.reason)})" for r in refused)))
    to_add = tuple(
        o.primary_smtp_address for o in add_owners if o.primary_smtp_address.casefold() not in current_owners
    )
    to_remove_given = [v.casefold() for v in split_addresses(data.remove_owners)]
    not_owners = [v for v in to_remove_given if v not in current_owners]
    if not_owners:
        return Reply(text=t("dl.modify.not_an_owner", who=", ".join(not_owners)))
    to_remove = tuple(owner for owner in found.managed_by if owner.casefold() in to_remove_given)
    if len(current_owners) - len(to_remove) + len(to_add) < 1:
        return Reply(text=t("dl.modify.last_owner"))
    changes = ListChanges(
        display_name=display_name if display_name and display_name != found.display_name else None,
        description=description if description != found.description else None,
        add_owners=to_add,
        remove_owners=to_remove,
        member_join_restriction=join if join in JOIN_RESTRICTIONS and join != found.member_join_restriction else None,
        member_depart_restriction=(
            depart if depart in DEPART_RESTRICTIONS and depart != found.member_depart_restriction else None),
        accepts_external_senders=(
            None if external not in ("true", "false") or (external == "true") == found.accepts_external_senders
            else external == "true"),
    )
    if changes.is_empty:
        return Reply(text=t("dl.modify.no_change", list=found.display_name))
    approvers = await resolve_approvers(services, actor.user_id, owners=await owners_of(services, found))
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    step = ListUpdate.of(found.identity, found.display_name, changes)
    draft = Draft(
        kind=MODIFY,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": "modify", "route": approvers.route},
        plan=(step,),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=_change_facts(t, found, changes),
    )
    async with services.uow() as uow:
        pending = await find_open(uow, kind=MODIFY, requester_id=actor.user_id, target_id=found.identity, key="modify")
    if pending and (replacing is None or pending.id != replacing.id):
        return Reply(text=t("dl.modify.pending", list=found.display_name, request_id=pending.public_id))
    return draft


def _change_facts(t: Translator, the_list: DistributionList, changes: ListChanges) -> list[tuple[str, str]]:
    """The diff approvers see: each changed property as "before → after"."""
    lines: list[tuple[str, str]] = []
    if changes.display_name is not None:
        lines.append(("list.form.display_name", f"{the_list.display_name} → {changes.display_name}"))
    if changes.description is not None:
        lines.append(("list.form.description", f"{the_list.description or '—'} → {changes.description or '—'}"))
    if changes.add_owners:
        lines.append(("list.form.add_owners", ", ".join(changes.add_owners)))
    if changes.remove_owners:
        lines.append(("list.form.remove_owners", ", ".join(changes.remove_owners)))
    if changes.member_join_restriction is not None:
        lines.append(("list.join", f"{t('list.restriction.' + the_list.member_join_restriction)} → "
                                   f"{t('list.restriction.' + changes.member_join_restriction)}"))
    if changes.member_depart_restriction is not None:
        lines.append(("list.depart", f"{t('list.restriction.' + the_list.member_depart_restriction)} → "
                                     f"{t('list.restriction.' + changes.member_depart_restriction)}"))
    if changes.accepts_external_senders is not None:
        lines.append(("list.external", t("yes") if changes.accepts_external_senders else t("no")))
    return lines


async def request_delete(services: Services, actor: Actor, list_ref: str) -> Reply:
    """Owners and admins may ask; admins decide (deleting is not an owner's call alone)."""
    t = actor_translator(actor)
    found = await _manager_or_refusal(services, actor, t, list_ref,
                                      then=lambda picked: (Verb.LIST_DELETE, {"list_id": picked.identity}))
    if isinstance(found, Reply):
        return found
    async with services.uow() as uow:
        pending = await find_open(uow, kind=DELETE, requester_id=actor.user_id, target_id=found.identity, key="delete")
    if pending:
        return Reply(text=t("dl.delete.pending", list=found.display_name, request_id=pending.public_id))
    approvers = await resolve_approvers(services, actor.user_id)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    members = await services.tenant.distribution_lists.members(found.identity)
    draft = Draft(
        kind=DELETE,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": "delete", "route": approvers.route, "list_address": found.primary_smtp_address},
        plan=(ListDeletion(list_id=found.identity, list_name=found.display_name, address=found.primary_smtp_address),),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[("dl.fact.members", str(len(members))), ("list.owners", ", ".join(found.managed_by) or "—")],
    )
    return await submit(services, actor, draft)

"""List requests (F4, F5): leave, member changes by owners, create, modify and delete — validated before filing.

Everything here reads Exchange live (not the cache): a request is judged on the tenant as it is now. Nothing is
stored for a request that fails validation; each refusal says what is wrong in the person's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cards.i18n import Translator
from cards.lists import DEPART_RESTRICTIONS, JOIN_RESTRICTIONS, Choice, choice_card, create_list_form
from cards.verbs import Verb
from handlers.approvals import resolve_approvers
from handlers.commands import TooLong, argument_too_long
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from handlers.submission import Draft, find_open, submit
from handlers.suggestions import near_names_reply
from kinds.recipients import (
    ADDRESS,
    ALIAS,
    PATTERN_CHARACTERS,
    Refused,
    accepted_domains,
    label,
    refusal_lines,
    shortened,
    sort_people,
    valid_alias,
)
from m365.ports import DirectoryUser, DistributionList, ListChanges, Recipient

LEAVE, MEMBERS, CREATE, MODIFY, DELETE = "dl.leave", "dl.members", "dl.create", "dl.modify", "dl.delete"
MAX_MEMBERS_PER_REQUEST = 200
# Exchange's limit (New-DistributionGroup): Name ≤ 64 characters.
MAX_NAME = 64
# Recipients Exchange accepts as list members (M365-APIS §2.3): not M365 groups, not users without a mailbox.
MEMBER_TYPES = frozenset({
    "UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox", "MailUser", "MailContact",
    "MailUniversalDistributionGroup", "MailUniversalSecurityGroup",
})
OWNER_TYPES = frozenset({"UserMailbox", "MailUser", "MailUniversalSecurityGroup"})


# What a click on a choice card does with the list picked: the command's verb and data, naming the list by its id.
Then = Callable[[DistributionList], tuple[Verb, dict[str, Any]]]


def show_then(dl: DistributionList) -> tuple[Verb, dict[str, Any]]:
    return Verb.LIST_SHOW, {"list_id": dl.identity}


def too_long_reply(t: Translator, refusal: TooLong) -> Reply:
    return Reply(text=t(refusal.key, max=refusal.limit, length=refusal.length, start=refusal.start))


async def find_list(
    services: Services, t: Translator, name: str, *, then: Then = show_then
) -> DistributionList | Reply:
    """The list called exactly ``name`` (address, alias, Name or display name, any case) as Exchange has it now, or
    the reply to send: a card to pick one when several lists have that name (each button re-runs the command through
    ``then`` for one list's id), or the refusal. A name is never a pattern: "*" selects only a list called "*"."""
    name = name.strip()
    if not name:
        return Reply(text=t("dl.missing_name"))
    if (refusal := argument_too_long(name)) is not None:
        return too_long_reply(t, refusal)  # nothing this long names a list: no lookup at all
    lists = services.tenant.distribution_lists
    candidates = await lists.lists_named(name)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        choices = [Choice(dl.display_name, dl.primary_smtp_address, *then(dl)) for dl in candidates]
        return Reply(card=choice_card(t, kind="lists", name=name, choices=choices))
    # "Did you mean …?": near names from the directory cache, each button running the command for that list.
    if near := await near_names_reply(services, t, name, kind="list", then=then):
        return near
    if PATTERN_CHARACTERS.search(name):
        return Reply(text=t("dl.not_found", list=name))  # Anr would read it as a pattern: no suggestions by it
    suggestions = [item.display_name for item in await lists.find_lists(name.strip(), limit=5)]
    if suggestions:
        return Reply(text=t("dl.not_found_suggest", list=name, suggestions=", ".join(suggestions)))
    return Reply(text=t("dl.not_found", list=name))


async def requester_address(services: Services, actor: Actor) -> str | None:
    person = await services.tenant.directory.get_user(actor.user_id)
    return person.mail if person and person.mail else None


async def find_changeable_list(
    services: Services, t: Translator, name: str, *, then: Then = show_then
) -> DistributionList | Reply:
    """As find_list, and refused when the list is synchronised from on-premises (Exchange Online cannot change it)."""
    found = await find_list(services, t, name, then=then)
    if isinstance(found, DistributionList) and found.is_dir_synced:
        return Reply(text=t("dl.dir_synced", list=found.display_name))
    return found


async def is_member_in_exchange(services: Services, dl: DistributionList, address: str) -> bool:
    """A direct member, as Exchange has the list now (requests are judged live, not from the cache)."""
    members = await services.tenant.distribution_lists.members(dl.identity)
    return any(member.primary_smtp_address.casefold() == address.casefold() for member in members)


def owns(dl: DistributionList, address: str | None) -> bool:
    return bool(address) and address.casefold() in {owner.casefold() for owner in dl.managed_by}


async def owners_of(services: Services, dl: DistributionList) -> list[DirectoryUser]:
    """The list's owners who are still people in the directory (a departed owner cannot approve)."""
    owners: list[DirectoryUser] = []
    for address in dl.managed_by:
        owner = await services.tenant.directory.get_user(address)
        if owner is not None:
            owners.append(owner)
    return owners


async def request_leave(services: Services, actor: Actor, list_name: str) -> Reply:
    """Leaving an Open list (MemberDepartRestriction Open) is approved by policy, as Exchange itself would allow;
    a Closed list's owners decide."""
    t = actor_translator(actor)
    found = await find_changeable_list(services, t, list_name,
                                       then=lambda dl: (Verb.LIST_LEAVE, {"list_id": dl.identity}))
    if isinstance(found, Reply):
        return found
    address = await requester_address(services, actor)
    if not address:
        return Reply(text=t("dl.no_mailbox"))
    if not await is_member_in_exchange(services, found, address):
        return Reply(text=t("dl.leave.not_member", list=found.display_name))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=LEAVE, requester_id=actor.user_id, target_id=found.identity, key=address)
    if pending:
        return Reply(text=t("dl.leave.pending", list=found.display_name, request_id=pending.public_id))
    open_list = found.member_depart_restriction.casefold() == "open"
    approvers = await resolve_approvers(services, actor.user_id, owners=[] if open_list else await owners_of(
        services, found))
    if not open_list and not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    draft = Draft(
        kind=LEAVE,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": address, "route": approvers.route, "list_address": found.primary_smtp_address},
        plan=[_member_step("remove_list_member", found, address, actor.name)],
        approver_ids=[] if open_list else approvers.ids,
        approver_names=[] if open_list else approvers.names,
        facts=[],
    )
    return await submit(services, actor, draft, auto_approve="policy.leave_open_list" if open_list else None)


def _member_step(
    op: str, dl: DistributionList, address: str, name: str, member_id: str | None = None
) -> dict[str, Any]:
    step = {"op": op, "list_id": dl.identity, "list": dl.display_name, "member": address, "member_name": name}
    if member_id:
        step["member_id"] = member_id  # whom the request is about: they see it in their "my requests"
    return step


async def request_member_changes(
    services: Services, actor: Actor, list_name: str, *, add: bool, values: Sequence[str]
) -> Reply:
    """An owner's (or admin's) member change, one or many addresses; each is checked and reported on its own.

    Owners decide on their lists' membership, so an owner's change is approved by that rule (and an admin's, who
    may change any list); the request still goes through the history and the exactly-once execution.
    """
    t = actor_translator(actor)
    change = {"change": "add" if add else "remove", "addresses": "\n".join(values)}
    found = await find_changeable_list(services, t, list_name,
                                       then=lambda dl: (Verb.LIST_MEMBERS_SUBMIT, {"list_id": dl.identity, **change}))
    if isinstance(found, Reply):
        return found
    address = await requester_address(services, actor)
    owner = owns(found, address)
    if not owner and not await is_admin(services, actor):
        return Reply(text=t("dl.members.not_owner", list=found.display_name))
    tokens = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not tokens:
        return Reply(text=t("dl.members.none_given"))
    if len(tokens) > MAX_MEMBERS_PER_REQUEST:
        return Reply(text=t("dl.members.too_many", max=MAX_MEMBERS_PER_REQUEST, count=len(tokens)))
    current = {m.primary_smtp_address.casefold() for m in await services.tenant.distribution_lists.members(
        found.identity)}
    accepted: list[Recipient] = []
    refused: list[Refused] = []
    # Only what can be an address is looked up (a pasted token longer than any address is refused unread).
    addresses = [token for token in tokens if ADDRESS.match(token) and not argument_too_long(token)]
    looked_up = dict(zip(addresses, await _recipients(services, addresses), strict=True))
    for token in tokens:
        outcome = _check_member(token, looked_up.get(token), add=add, current=current)
        if isinstance(outcome, Refused):
            refused.append(outcome)
        elif outcome.primary_smtp_address.casefold() not in {r.primary_smtp_address.casefold() for r in accepted}:
            accepted.append(outcome)
    report = refusal_lines(t, refused)
    if not accepted:
        return Reply(text="\n".join([t("dl.members.nothing_to_do", list=found.display_name), *report]))
    op = "add_list_member" if add else "remove_list_member"
    draft = Draft(
        kind=MEMBERS,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": f"{op}:{','.join(sorted(r.primary_smtp_address.casefold() for r in accepted))}",
                 "route": "owners", "list_address": found.primary_smtp_address,
                 "refused": [{"value": r.value, "reason": r.reason} for r in refused]},
        plan=[_member_step(op, found, r.primary_smtp_address, r.display_name, r.external_directory_object_id)
              for r in accepted],
        approver_ids=[],
        approver_names=[],
        facts=[("dl.fact.change", t("dl.members.add" if add else "dl.members.remove", count=len(accepted)))],
    )
    reply = await submit(services, actor, draft,
                         auto_approve="policy.owner_changes_members" if owner else "policy.admin_changes_members")
    if report:
        header = t("dl.members.some_refused", count=len(refused))
        return Reply(text="\n".join([reply.text or "", header, *report]), card=reply.card, request_id=reply.request_id)
    return reply


def _check_member(token: str, recipient: Recipient | None, *, add: bool, current: set[str]) -> Recipient | Refused:
    if argument_too_long(token):
        return Refused(shortened(token), "dl.refused.not_an_address")
    if not ADDRESS.match(token):
        return Refused(token, "dl.refused.not_an_address")
    if recipient is None:
        if not add and token.casefold() in current:
            # A member whose mailbox was deleted still sits in the list; removing it is what the owner wants.
            return Recipient(token, token, "MailUser")
        return Refused(token, "dl.refused.unknown")
    if recipient.recipient_type_details not in MEMBER_TYPES:
        return Refused(token, "dl.refused.not_mail_enabled")
    is_member = recipient.primary_smtp_address.casefold() in current
    if add and is_member:
        return Refused(token, "dl.refused.already_member")
    if not add and not is_member:
        return Refused(token, "dl.refused.not_member")
    return recipient


async def _recipient(services: Services, identity: str) -> Recipient | None:
    recipients = services.tenant.recipients
    if recipients is not None:
        return await recipients.get_recipient(identity)
    person = await services.tenant.directory.get_user(identity)  # no Exchange recipients port: people only
    if person is None or not person.mail:
        return None
    return Recipient(person.mail, person.display_name, "UserMailbox", person.id)


async def _recipients(services: Services, identities: Sequence[str]) -> list[Recipient | None]:
    """One batched lookup for a pasted list (ten addresses per Exchange request) instead of one request each."""
    if services.tenant.recipients is not None and identities:
        return await services.tenant.recipients.get_recipients(identities)
    return [await _recipient(services, identity) for identity in identities]


def split_addresses(value: object) -> list[str]:
    return [part for part in re.split(r"[\s,;]+", value if isinstance(value, str) else "") if part]


async def show_create_form(services: Services, actor: Actor, name: str = "") -> Reply:
    t = actor_translator(actor)
    domains = await accepted_domains(services)
    owner = await requester_address(services, actor) or ""
    return Reply(card=create_list_form(t, domains=domains, name=name[:MAX_NAME], owner=owner))


async def create_submitted(services: Services, actor: Actor, data: Mapping[str, Any]) -> Reply:
    """Validates the create form; refusals send the form back, filled in as typed, with the reason on top."""
    t = actor_translator(actor)
    values = {key: str(data.get(key) or "").strip() for key in
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
        holder = await _recipient(services, candidate)
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
    if pending:
        return Reply(text=t("dl.create.pending", address=address, request_id=pending.public_id))
    approvers = await resolve_approvers(services, actor.user_id)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    step = {
        "op": "create_list", "list": name, "name": name, "alias": alias, "address": address,
        "display_name": name, "description": values["description"],
        "owners": [o.primary_smtp_address for o in owners], "members": [m.primary_smtp_address for m in members],
        "join": values["join"], "depart": values["depart"], "external": values["external"] == "true",
    }
    draft = Draft(
        kind=CREATE,
        target_id=address,
        target_label=f"{name} <{address}>",
        payload={"key": address, "route": approvers.route},
        plan=[step],
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[
            ("dl.fact.owners", ", ".join(o.primary_smtp_address for o in owners)),
            ("dl.fact.members", str(len(members))),
            ("dl.fact.join", t(f"list.restriction.{values['join']}")),
            ("dl.fact.external", t("yes") if step["external"] else t("no")),
        ],
    )
    return await submit(services, actor, draft)


async def _people(
    services: Services, values: Sequence[str], allowed: frozenset[str]
) -> tuple[list[Recipient], list[Refused]]:
    """The recipients named, each of a type in ``allowed``; a value given twice is checked once."""

    async def check(value: str) -> Recipient | Refused:
        if argument_too_long(value):
            return Refused(shortened(value), "dl.refused.unknown")  # no one has a name this long
        recipient = await _recipient(services, value)
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


async def modify_submitted(services: Services, actor: Actor, data: Mapping[str, Any]) -> Reply:
    """Only what differs from the list as it is now becomes the change; nothing different is a refusal."""
    t = actor_translator(actor)
    found = await _manager_or_refusal(services, actor, t, str(data.get("list_id") or ""))
    if isinstance(found, Reply):
        return found
    display_name = str(data.get("display_name") or "").strip()
    description = str(data.get("description") or "").strip()
    join, depart = str(data.get("join") or ""), str(data.get("depart") or "")
    external = data.get("external")
    if len(display_name) > 256:
        return Reply(text=t("dl.create.name_too_long", max=256))
    current_owners = {owner.casefold() for owner in found.managed_by}
    add_owners, refused = await _people(services, split_addresses(data.get("add_owners")), OWNER_TYPES)
    if refused:
        return Reply(text=t("dl.create.owner_invalid", who=", ".join(f"{r.value} ({t(r.reason)})" for r in refused)))
    to_add = tuple(
        o.primary_smtp_address for o in add_owners if o.primary_smtp_address.casefold() not in current_owners
    )
    to_remove_given = [v.casefold() for v in split_addresses(data.get("remove_owners"))]
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
    step = {"op": "update_list", "list_id": found.identity, "list": found.display_name, **changes_to_step(changes)}
    draft = Draft(
        kind=MODIFY,
        target_id=found.identity,
        target_label=label(found),
        payload={"key": "modify", "route": approvers.route},
        plan=[step],
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=_change_facts(t, found, changes),
    )
    async with services.uow() as uow:
        pending = await find_open(uow, kind=MODIFY, requester_id=actor.user_id, target_id=found.identity, key="modify")
    if pending:
        return Reply(text=t("dl.modify.pending", list=found.display_name, request_id=pending.public_id))
    return await submit(services, actor, draft)


def changes_to_step(changes: ListChanges) -> dict[str, Any]:
    """The change as plain JSON for the plan; m365.executor reads it back with step_to_changes."""
    return {
        "display_name": changes.display_name,
        "description": changes.description,
        "add_owners": list(changes.add_owners),
        "remove_owners": list(changes.remove_owners),
        "join": changes.member_join_restriction,
        "depart": changes.member_depart_restriction,
        "external": changes.accepts_external_senders,
    }


def _change_facts(t: Translator, dl: DistributionList, changes: ListChanges) -> list[tuple[str, str]]:
    """The diff approvers see: each changed property as "before → after"."""
    lines: list[tuple[str, str]] = []
    if changes.display_name is not None:
        lines.append(("list.form.display_name", f"{dl.display_name} → {changes.display_name}"))
    if changes.description is not None:
        lines.append(("list.form.description", f"{dl.description or '—'} → {changes.description or '—'}"))
    if changes.add_owners:
        lines.append(("list.form.add_owners", ", ".join(changes.add_owners)))
    if changes.remove_owners:
        lines.append(("list.form.remove_owners", ", ".join(changes.remove_owners)))
    if changes.member_join_restriction is not None:
        lines.append(("list.join", f"{t('list.restriction.' + dl.member_join_restriction)} → "
                                   f"{t('list.restriction.' + changes.member_join_restriction)}"))
    if changes.member_depart_restriction is not None:
        lines.append(("list.depart", f"{t('list.restriction.' + dl.member_depart_restriction)} → "
                                     f"{t('list.restriction.' + changes.member_depart_restriction)}"))
    if changes.accepts_external_senders is not None:
        lines.append(("list.external", t("yes") if changes.accepts_external_senders else t("no")))
    return lines


async def request_delete(services: Services, actor: Actor, list_ref: str) -> Reply:
    """Owners and admins may ask; admins decide (deleting is not an owner's call alone)."""
    t = actor_translator(actor)
    found = await _manager_or_refusal(services, actor, t, list_ref,
                                      then=lambda dl: (Verb.LIST_DELETE, {"list_id": dl.identity}))
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
        plan=[{"op": "delete_list", "list_id": found.identity, "list": found.display_name,
               "address": found.primary_smtp_address}],
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[("dl.fact.members", str(len(members))), ("list.owners", ", ".join(found.managed_by) or "—")],
    )
    return await submit(services, actor, draft)

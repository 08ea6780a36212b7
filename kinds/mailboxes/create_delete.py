"""mailbox.create and mailbox.delete: the create form, validating it (name, alias, address, owners, first delegates)
and filing the new mailbox's request, and filing a mailbox's deletion; both are decided by the admins."""

from __future__ import annotations

import re
import unicodedata

from cards.mailboxes import MAX_NAME, create_mailbox_form
from cards.verbs import Verb
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from handlers.submission import Draft, find_open, submit
from kinds.mailboxes.clicks import CreateClick, MailboxClick
from kinds.mailboxes.commands import people_of
from kinds.mailboxes.lookup import ACCESS_LABELS, CREATE, DELETE, find_mailbox, mailbox_draft, people
from kinds.mailboxes.records import RecordMailboxOwners
from kinds.mailboxes.steps import CreateSharedMailbox, DeleteMailbox, GrantMailboxAccess
from kinds.recipients import ADDRESS, accepted_domains, valid_alias
from kinds.steps import Step
from m365.ports import Access
from storage.models import Request

# Initial delegates of a new mailbox can read it and send from it, like the members of a team mailbox in DSM.
INITIAL_DELEGATION = (Access.FULL_ACCESS, Access.SEND_AS)


async def show_create_form(services: Services, actor: Actor, *, name: str = "", address: str = "") -> Reply:
    t = actor_translator(actor)
    domains = await accepted_domains(services)
    me = await services.tenant.directory.get_user(actor.user_id)
    values = {"name": name[:MAX_NAME], "address": address, "owners": (me.mail or "") if me else ""}
    return Reply(card=create_mailbox_form(t, domains=domains, values=values))


async def create_clicked(services: Services, actor: Actor, data: CreateClick) -> Reply:
    """Validates the create form; refusals send the form back, filled in as typed, with the reason on top."""
    draft = await create_draft(services, actor, data)
    return draft if isinstance(draft, Reply) else await submit(services, actor, draft)


async def create_draft(
    services: Services, actor: Actor, data: CreateClick, *, replacing: Request | None = None
) -> Draft | Reply:
    """The validated request for a new mailbox, or the refusal; ``replacing``: the waiting request an approver is
    editing (kinds/mailboxes/edit.py), which does not count as one already in flight."""
    t = actor_translator(actor)
    values = {"name": data.name or "", "alias": data.alias or "", "address": data.address or "",
              "owners": data.owners or "", "delegates": data.delegates or ""}
    domains = await accepted_domains(services)

    def again(key: str, **params: object) -> Reply:
        notice = t(key, **params)
        return Reply(text=notice, card=create_mailbox_form(t, domains=domains, values=values, notice=notice))

    port = services.tenant.mailboxes
    if port is None:
        return Reply(text=t("mailbox.unavailable"))
    name = values["name"]
    if not name:
        return again("mailbox.create.name_missing")
    if len(name) > MAX_NAME:
        return again("mailbox.create.name_too_long", max=MAX_NAME)
    alias = values["alias"] or _alias(name)
    if not valid_alias(alias):
        return again("mailbox.create.alias_invalid", alias=alias or name)
    address = (values["address"] or (f"{alias}@{domains[0]}" if domains else "")).lower()
    found = ADDRESS.match(address)
    if not found or not valid_alias(found["local"]):
        return again("mailbox.create.address_invalid", address=address)
    if domains and found["domain"] not in domains:
        return again("mailbox.create.domain_not_accepted", domain=found["domain"], domains=", ".join(domains))
    recipients = services.tenant.recipients
    holder = await recipients.get_recipient(address) if recipients is not None else None
    if holder is None:
        existing = await port.mailboxes_named(address)
        holder_name = existing[0].display_name if existing else None
    else:
        holder_name = holder.display_name
    if holder_name is not None:
        return again("mailbox.create.address_in_use", address=address, holder=holder_name)
    if same := await port.mailboxes_named(name):
        return again("mailbox.create.name_in_use", name=name, holder=same[0].primary_smtp_address)

    owner_entries = people_of(values["owners"])
    if not owner_entries:
        me = await services.tenant.directory.get_user(actor.user_id)
        owner_entries = (me.mail,) if me and me.mail else ()
    owners, refused_owners = await people(services, owner_entries)
    delegates, refused_delegates = await people(services, people_of(values["delegates"]))
    refused = refused_owners + refused_delegates
    if refused:
        lines = "; ".join(f"{item.value}: {t(item.reason)}" for item in refused)
        return again("mailbox.create.people_refused", people=lines)
    if not owners:
        return again("mailbox.create.owner_missing")

    approvers = await resolve_approvers(services, actor.user_id)  # no owners yet: creating is the admins'
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=CREATE, requester_id=actor.user_id, target_id=address, key=address)
    if pending and (replacing is None or pending.id != replacing.id):
        return Reply(text=t("mailbox.already_pending", mailbox=name, request_id=pending.public_id))
    plan: list[Step] = [
        CreateSharedMailbox(name=name, display_name=name, alias=alias, address=address, mailbox=name)
    ]
    for person in delegates:
        for access in INITIAL_DELEGATION:
            plan.append(GrantMailboxAccess(
                mailbox_id=address, mailbox=name, access=ACCESS_LABELS[access], right=access.value,
                user=person.display_name, user_id=person.id, address=person.mail or "", auto_mapping=True,
            ))
    plan.append(RecordMailboxOwners(
        address=address, mailbox=name, user=", ".join(p.display_name for p in owners),
        owner_ids=tuple(p.id for p in owners), owner_addresses=tuple(p.mail or "" for p in owners),
        owner_names=tuple(p.display_name for p in owners),
    ))
    facts = [
        ("mailbox.field.address", address),
        ("mailbox.field.alias", alias),
        ("mailbox.field.owners", ", ".join(p.display_name for p in owners)),
    ]
    if delegates:
        facts.append(("mailbox.field.delegates", ", ".join(p.display_name for p in delegates)))
    return Draft(
        kind=CREATE,
        target_id=address,
        target_label=f"{name} <{address}>",
        payload={"key": address, "route": approvers.route, "mailbox_address": address},
        plan=tuple(plan),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=facts,
    )


async def request_delete(services: Services, actor: Actor, mailbox_ref: str) -> Reply:
    t = actor_translator(actor)
    mailbox = await find_mailbox(services, t, mailbox_ref,
                                 then=lambda m: (Verb.MAILBOX_DELETE, {"mailbox": m.identity}))
    if isinstance(mailbox, Reply):
        return mailbox
    # Like a list, a mailbox's deletion is asked for by its owners or an admin, and decided by the admins.
    async with services.uow() as uow:
        owner_ids = {user_id for user_id, _address, _name in await uow.mailbox_owners.of(mailbox.identity)}
    if actor.user_id not in owner_ids and not await is_admin(services, actor):
        return Reply(text=t("mailbox.delete.not_owner", mailbox=mailbox.display_name))
    approvers = await resolve_approvers(services, actor.user_id)  # deleting is the admins'
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    key = mailbox.identity
    async with services.uow() as uow:
        pending = await find_open(uow, kind=DELETE, requester_id=actor.user_id, target_id=mailbox.identity, key=key)
    if pending:
        return Reply(text=t("mailbox.already_pending", mailbox=mailbox.display_name, request_id=pending.public_id))
    plan = (DeleteMailbox(mailbox_id=mailbox.identity, mailbox=mailbox.display_name),)
    facts = [("mailbox.field.address", mailbox.primary_smtp_address)]
    return await submit(services, actor, mailbox_draft(DELETE, mailbox, key, approvers, plan, facts))


async def delete_clicked(services: Services, actor: Actor, data: MailboxClick) -> Reply:
    mailbox = data.mailbox or data.mailbox_id
    if not mailbox:
        return Reply(text=actor_translator(actor)("error.bad_card"))
    return await request_delete(services, actor, mailbox)


def _alias(name: str) -> str:
    """"Sales Team Łódź" → "sales-team-lodz": letters folded to ASCII, anything else a hyphen."""
    folded = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:64]

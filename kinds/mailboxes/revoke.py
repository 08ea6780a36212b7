"""mailbox.revoke: validate and file a request to take a delegation on a shared mailbox away from its holders —
typed, from a holder's button, or filed by the desk itself when a time-bound grant ends (kinds/mailboxes/expiry.py).
Giving up one's own access, and the desk's expiry revokes, are approved by policy."""

from __future__ import annotations

from collections.abc import Sequence

from cards.verbs import Verb
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import find_open, submit
from kinds.mailboxes.clicks import RevokeClick
from kinds.mailboxes.commands import people_of
from kinds.mailboxes.lookup import (
    ACCESS_LABELS,
    MAX_PEOPLE_PER_REQUEST,
    REVOKE,
    access_named,
    find_mailbox,
    holder,
    is_mine,
    mailbox_draft,
    mailboxes_of,
    me_as_actor,
    my_keys,
    nothing_valid,
    route,
    with_refusals,
)
from kinds.mailboxes.records import EndGrantExpiry
from kinds.mailboxes.steps import RevokeMailboxAccess
from kinds.recipients import Refused
from kinds.steps import Step
from m365.ports import Access, MailboxDelegate


async def request_revoke(
    services: Services, actor: Actor, access: Access, mailbox_ref: str, entries: Sequence[str], *,
    desk_actor: bool = False,
) -> Reply:
    """``desk_actor``: the desk files it itself for an expired grant (no approvers needed, approved by policy)."""
    t = actor_translator(actor)
    if len(entries) > MAX_PEOPLE_PER_REQUEST:
        return Reply(text=t("mailbox.too_many_people", max=MAX_PEOPLE_PER_REQUEST))
    again = {"access": access.value, "people": ", ".join(entries)}
    mailbox = await find_mailbox(services, t, mailbox_ref,
                                 then=lambda m: (Verb.MAILBOX_REVOKE, {"mailbox": m.identity, **again}))
    if isinstance(mailbox, Reply):
        return mailbox
    entries = me_as_actor(actor, entries)
    delegates = [item for item in await mailboxes_of(services).delegates(mailbox.identity) if item.access == access]
    chosen: dict[str, MailboxDelegate] = {}
    refused: list[Refused] = []
    for entry in entries:
        found = await holder(services, delegates, entry)
        if isinstance(found, Refused):
            refused.append(found)
        else:
            chosen.setdefault(found.primary_smtp_address.casefold(), found)
    if not chosen:
        return nothing_valid(t, refused)

    mine = await my_keys(services, actor)
    own = all(is_mine(item, mine) for item in chosen.values())
    approvers = await route(services, actor, mailbox)
    if not approvers.ids and not own and not desk_actor:
        return Reply(text=t("request.no_approvers"))
    key = f"{access.value}:" + ",".join(sorted(chosen))
    async with services.uow() as uow:
        pending = await find_open(uow, kind=REVOKE, requester_id=actor.user_id, target_id=mailbox.identity, key=key)
    if pending:
        return Reply(text=t("mailbox.already_pending", mailbox=mailbox.display_name, request_id=pending.public_id))
    async with services.uow() as uow:
        timed = [
            item for item in chosen.values()
            if item.external_directory_object_id
            and await uow.grants.active(mailbox.primary_smtp_address, access.value, item.external_directory_object_id)
        ]
    label = ACCESS_LABELS[access]
    plan: list[Step] = [
        RevokeMailboxAccess(mailbox_id=mailbox.identity, mailbox=mailbox.display_name, access=label,
                            right=access.value, user=item.display_name, user_id=item.external_directory_object_id,
                            address=item.primary_smtp_address)
        for item in chosen.values()
    ]
    if timed:
        # Removed now, so nothing is left for the expiry to remove (and no notice is due).
        plan.append(EndGrantExpiry(
            mailbox_id=mailbox.identity, mailbox=mailbox.display_name,
            mailbox_address=mailbox.primary_smtp_address, access=label, right=access.value,
            user=", ".join(item.display_name for item in timed),
            person_ids=tuple(item.external_directory_object_id or "" for item in timed),
            person_addresses=tuple(item.primary_smtp_address for item in timed),
            person_names=tuple(item.display_name for item in timed),
        ))
    facts: list[tuple[str, str]] = [("mailbox.field.access", t("mailbox.access." + access.value))]
    draft = mailbox_draft(REVOKE, mailbox, key, approvers, plan, facts)
    # Giving up one's own access needs nobody's approval (F14); the desk's own expiry revokes are policy too.
    rule = "policy.grant_expired" if desk_actor else "policy.revoke_own_access" if own else None
    return with_refusals(t, await submit(services, actor, draft, auto_approve=rule), refused)


async def revoke_clicked(services: Services, actor: Actor, data: RevokeClick) -> Reply:
    """A holder's button ("person") or a choice card's pick for a typed revoke ("people")."""
    access = access_named(data.access or "")
    people = (data.person,) if data.person else people_of(data.people or "")
    if access is None or not data.mailbox or not people:
        return Reply(text=actor_translator(actor)("error.bad_card"))
    return await request_revoke(services, actor, access, data.mailbox, people)

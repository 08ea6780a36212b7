"""A shared mailbox as people see it and as the admins record it: the mailbox card (its desk owners, every delegation,
what the reader may do) and "owners of mailbox X are …", the admins' record of who decides its grants."""

from __future__ import annotations

from collections.abc import Sequence

from cards.mailboxes import MailboxView, mailbox_card
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services, is_admin
from kinds.mailboxes.clicks import MailboxClick
from kinds.mailboxes.lookup import find_mailbox, is_mine, mailboxes_of, my_keys, nothing_valid, people
from m365.ports import SharedMailbox


async def set_owners(services: Services, actor: Actor, mailbox_ref: str, entries: Sequence[str]) -> Reply:
    """An admin records who owns an existing mailbox; from then on its grants and revokes go to them."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("mailbox.owners.admins_only"))
    mailbox = await find_mailbox(services, t, mailbox_ref, allow_dir_synced=True)
    if isinstance(mailbox, Reply):
        return mailbox
    found, refused = await people(services, entries)
    if refused or not found:
        return nothing_valid(t, refused) if refused else Reply(text=t("mailbox.owners.none"))
    owners = [(person.id, person.mail or person.user_principal_name, person.display_name) for person in found]
    async with services.uow() as uow:
        await uow.mailbox_owners.replace(mailbox.identity, owners)
        await uow.audit.append(
            action="mailbox.owners_set",
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail={"mailbox": mailbox.identity, "address": mailbox.primary_smtp_address,
                    "owners": [owner[0] for owner in owners]},
        )
        await uow.commit()
    names = ", ".join(person.display_name for person in found)
    return Reply(text=t("mailbox.owners.set", mailbox=mailbox.display_name, owners=names))


async def show_mailbox(services: Services, actor: Actor, mailbox_ref: str) -> Reply:
    mailbox = await find_mailbox(services, actor_translator(actor), mailbox_ref, allow_dir_synced=True)
    return mailbox if isinstance(mailbox, Reply) else await show_found_mailbox(services, actor, mailbox)


async def show_clicked(services: Services, actor: Actor, data: MailboxClick) -> Reply:
    ref = data.mailbox or data.mailbox_id or data.identity
    if not ref:
        return Reply(text=actor_translator(actor)("error.bad_card"))
    return await show_mailbox(services, actor, ref)


async def show_found_mailbox(services: Services, actor: Actor, mailbox: SharedMailbox) -> Reply:
    """The mailbox card: its desk owners, every delegation, and what the reader may do."""
    t = actor_translator(actor)
    delegates = await mailboxes_of(services).delegates(mailbox.identity)
    async with services.uow() as uow:
        owners = await uow.mailbox_owners.of(mailbox.identity)
    may_delete = actor.user_id in {user_id for user_id, _address, _name in owners} or await is_admin(services, actor)
    mine_keys = await my_keys(services, actor)
    holders: dict[str, list[str]] = {}
    mine: set[str] = set()
    for item in delegates:
        holders.setdefault(item.access.value, []).append(item.display_name)
        if is_mine(item, mine_keys):
            mine.add(item.access.value)
    view = MailboxView(
        identity=mailbox.identity,
        display_name=mailbox.display_name,
        address=mailbox.primary_smtp_address,
        is_dir_synced=mailbox.is_dir_synced,
        owners=tuple(name for _id, _address, name in owners),
        holders={key: tuple(sorted(names, key=str.casefold)) for key, names in holders.items()},
        may_delete=may_delete,
        mine=tuple(sorted(mine)),
    )
    return Reply(card=mailbox_card(view, t))

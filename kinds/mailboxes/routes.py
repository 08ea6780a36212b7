"""The typed shared-mailbox chat commands (kinds/mailboxes/commands.py) to their handlers: complete commands file
a request or show a mailbox, incomplete ones open the form or say how to type them."""

from __future__ import annotations

from cards.mailboxes import grant_form
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from kinds.mailboxes.card import set_owners, show_mailbox
from kinds.mailboxes.commands import (
    CreateMailbox,
    DeleteMailbox,
    GrantAccess,
    MailboxCommand,
    RevokeAccess,
    SetMailboxOwners,
    ShowMailbox,
)
from kinds.mailboxes.create_delete import request_delete, show_create_form
from kinds.mailboxes.grant import request_grant
from kinds.mailboxes.revoke import request_revoke


async def handle_command(services: Services, actor: Actor, command: MailboxCommand) -> Reply:
    t = actor_translator(actor)
    match command:
        case CreateMailbox():
            return await show_create_form(services, actor, name=command.name, address=command.address)
        case DeleteMailbox():
            return await request_delete(services, actor, command.mailbox)
        case GrantAccess() if command.complete:
            assert command.access is not None
            return await request_grant(
                services, actor, command.access, command.mailbox, command.people,
                until=command.until, auto_mapping=command.auto_mapping,
            )
        case GrantAccess():
            values = {
                "mailbox": command.mailbox,
                "access": command.access.value if command.access else "",
                "people": ", ".join(command.people),
                "until": command.until,
                "auto_mapping": "true" if command.auto_mapping else "false",
            }
            return Reply(card=grant_form(t, values=values))
        case RevokeAccess() if command.access is not None and command.mailbox and command.people:
            return await request_revoke(services, actor, command.access, command.mailbox, command.people)
        case RevokeAccess():
            return Reply(text=t("mailbox.revoke.usage"))
        case SetMailboxOwners():
            return await set_owners(services, actor, command.mailbox, command.people)
        case ShowMailbox():
            return await show_mailbox(services, actor, command.mailbox)
    return Reply(text=t("unknown_command", text=str(command)))

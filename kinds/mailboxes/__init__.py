"""The mailboxes family (F6): shared mailboxes created and deleted, delegations granted (permanent or until a day)
and revoked, the owners the desk records for a mailbox, and the expiry of time-bound grants."""

from __future__ import annotations

from cards.verbs import Verb
from kinds.family import Approvers, Command, Family, HelpTopic, Kind, VerbRoute
from kinds.mailboxes import edit
from kinds.mailboxes.card import show_clicked
from kinds.mailboxes.clicks import CreateClick, GrantClick, MailboxClick, RevokeClick
from kinds.mailboxes.commands import parse_mailbox_command
from kinds.mailboxes.create_delete import create_clicked, delete_clicked
from kinds.mailboxes.grant import grant_clicked
from kinds.mailboxes.lookup import CREATE, DELETE, GRANT, REVOKE, owns_request_mailbox
from kinds.mailboxes.records import EndGrantExpiry, RecordMailboxOwners, ScheduleGrantExpiry
from kinds.mailboxes.revoke import revoke_clicked
from kinds.mailboxes.routes import handle_command
from kinds.mailboxes.steps import CreateSharedMailbox, DeleteMailbox, GrantMailboxAccess, RevokeMailboxAccess

HELP = "help.mailboxes"


def family() -> Family:
    return Family(
        name="mailboxes",
        kinds=(
            # Creating and deleting are the admins'; grants and revokes go to the mailbox's recorded owners first.
            Kind(id=CREATE, sla_days=1, approvers=Approvers.ADMINS, help=HELP,
                 steps=(CreateSharedMailbox, GrantMailboxAccess, RecordMailboxOwners), editor=edit.create_editor()),
            Kind(id=DELETE, sla_days=1, approvers=Approvers.ADMINS, help=HELP, steps=(DeleteMailbox,)),
            Kind(id=GRANT, sla_days=1, approvers=Approvers.OWNERS_ELSE_ADMINS, help=HELP, owns=owns_request_mailbox,
                 steps=(GrantMailboxAccess, ScheduleGrantExpiry, EndGrantExpiry), editor=edit.grant_editor()),
            Kind(id=REVOKE, sla_days=1, approvers=Approvers.OWNERS_ELSE_ADMINS, help=HELP, owns=owns_request_mailbox,
                 steps=(RevokeMailboxAccess, EndGrantExpiry),
                 auto_approve=("policy.revoke_own_access", "policy.grant_expired")),
        ),
        # Before the list commands (50): "grant full access to shared@…" names a mailbox, never a list.
        commands=(Command("mailbox", 40, parse_mailbox_command, handle_command),),
        verbs=(
            VerbRoute(Verb.MAILBOX_SHOW, MailboxClick, show_clicked),
            VerbRoute(Verb.MAILBOX_CREATE_SUBMIT, CreateClick, create_clicked),
            VerbRoute(Verb.MAILBOX_DELETE, MailboxClick, delete_clicked),
            VerbRoute(Verb.MAILBOX_GRANT_SUBMIT, GrantClick, grant_clicked),
            VerbRoute(Verb.MAILBOX_REVOKE, RevokeClick, revoke_clicked),
        ),
        help=(HelpTopic(80, HELP),),
    )

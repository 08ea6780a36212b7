"""The lists family (F1–F5): dl.join, dl.leave, dl.members, dl.create, dl.modify and dl.delete on distribution
lists, and browsing the directory (lists and shared mailboxes) — its kinds, commands, card verbs and help lines."""

from __future__ import annotations

from cards.verbs import Verb
from handlers.context import Actor, Reply
from handlers.services import Services
from kinds.family import Approvers, Command, Family, HelpTopic, Kind, ManifestCommand, VerbRoute
from kinds.lists import browse, edit, join, manage, members
from kinds.lists.commands import (
    ChangeMembers,
    CreateList,
    DeleteList,
    FindDirectory,
    LeaveList,
    ListCommand,
    ModifyList,
    MyLists,
    MyMailboxes,
    MyMemberships,
    ShowList,
    parse_join,
    parse_list_command,
    parse_show_anything,
)
from kinds.lists.lookup import ListClick, owns_request_list
from kinds.lists.steps import ListCreation, ListDeletion, ListUpdate, MemberAddition, MemberRemoval


async def list_command(services: Services, actor: Actor, command: ListCommand) -> Reply:
    """One parser reads every list and browsing command; each goes to its own handler."""
    match command:
        case FindDirectory():
            return await browse.find_typed(services, actor, command)
        case MyLists():
            return await browse.my_lists_typed(services, actor, command)
        case MyMemberships():
            return await browse.my_memberships_typed(services, actor, command)
        case MyMailboxes():
            return await browse.my_mailboxes_typed(services, actor, command)
        case ShowList():
            return await browse.show_typed(services, actor, command)
        case LeaveList():
            return await members.leave_typed(services, actor, command)
        case ChangeMembers():
            return await members.members_typed(services, actor, command)
        case CreateList():
            return await manage.create_typed(services, actor, command)
        case ModifyList():
            return await manage.modify_typed(services, actor, command)
        case DeleteList():
            return await manage.delete_typed(services, actor, command)
    raise AssertionError(f"unhandled list command {command!r}")


JOIN_HELP, CHANGES_HELP = "help.join", "help.list_changes"


def family() -> Family:
    return Family(
        name="lists",
        kinds=(
            # An Open list lets anyone join or leave in Exchange itself, so the desk's policy approves those.
            Kind(id=join.KIND, sla_days=1, help=JOIN_HELP, approvers=Approvers.OWNERS_ELSE_ADMINS,
                 owns=owns_request_list,
                 steps=(MemberAddition,),
                 auto_approve=("policy.join_open_list",)),
            Kind(id=members.LEAVE, sla_days=1, help=CHANGES_HELP, approvers=Approvers.OWNERS_ELSE_ADMINS,
                 owns=owns_request_list,
                 steps=(MemberRemoval,),
                 auto_approve=("policy.leave_open_list",)),
            # Owners decide on their lists' membership (admins on any list's): their own changes need no one else.
            Kind(id=members.MEMBERS, sla_days=1, help=CHANGES_HELP, approvers=Approvers.OWNERS_ELSE_ADMINS,
                 owns=owns_request_list,
                 steps=(MemberAddition, MemberRemoval),
                 auto_approve=("policy.owner_changes_members", "policy.admin_changes_members")),
            Kind(id=manage.CREATE, sla_days=1, help=CHANGES_HELP, approvers=Approvers.ADMINS, steps=(ListCreation,),
                 editor=edit.create_editor()),
            Kind(id=manage.MODIFY, sla_days=1, help=CHANGES_HELP, approvers=Approvers.OWNERS_ELSE_ADMINS,
                 owns=owns_request_list,
                 steps=(ListUpdate,), editor=edit.modify_editor()),
            Kind(id=manage.DELETE, sla_days=1, help=CHANGES_HELP, approvers=Approvers.ADMINS, steps=(ListDeletion,)),
        ),
        commands=(
            Command("lists", 50, parse_list_command, list_command),
            Command("join", 130, parse_join, join.request_join),
            # The last resort: "show plans" and the like keep their meaning, "show Sales DACH" finds whatever it is.
            Command("show_anything", 140, parse_show_anything, browse.show_anything_typed),
        ),
        verbs=(
            VerbRoute(Verb.LIST_JOIN_SUBMIT, join.JoinClick, join.join_clicked),
            VerbRoute(Verb.BROWSE_PAGE, browse.PageClick, browse.page_clicked),
            VerbRoute(Verb.LIST_SHOW, ListClick, browse.show_clicked),
            VerbRoute(Verb.LIST_LEAVE, ListClick, members.leave_clicked),
            VerbRoute(Verb.LIST_CREATE_SUBMIT, manage.CreateClick, manage.create_submitted),
            VerbRoute(Verb.LIST_MODIFY_SUBMIT, manage.ModifyClick, manage.modify_submitted),
            VerbRoute(Verb.LIST_DELETE, ListClick, manage.delete_clicked),
            VerbRoute(Verb.LIST_MEMBERS_SUBMIT, members.MembersClick, members.members_clicked),
        ),
        help=(
            HelpTopic(50, "help.join"),
            HelpTopic(60, "help.lists"),
            HelpTopic(70, "help.list_changes"),
        ),
        manifest=(
            ManifestCommand(
                30,
                titles={"en": "join <list>", "pl": "dołącz do listy <nazwa>", "de": "<Liste> beitreten"},
                descriptions={
                    "en": "Ask to join a distribution list, for example: join Sales",
                    "pl": "Poproś o dołączenie do listy dystrybucyjnej, na przykład: dołącz do listy Sprzedaż",
                    "de": "Einer Verteilerliste beitreten, zum Beispiel: Vertrieb beitreten",
                },
            ),
        ),
    )

"""The shared-mailbox commands people type, in English, Polish and German, and what they must not swallow."""

from __future__ import annotations

import re

import pytest

from cards.i18n import Translator
from kinds.licenses.commands import RemoveLicense, RequestLicense
from kinds.lists.commands import JoinList
from kinds.mailboxes.commands import (
    CreateMailbox,
    DeleteMailbox,
    GrantAccess,
    RevokeAccess,
    SetMailboxOwners,
    ShowMailbox,
    parse_mailbox_command,
)
from kinds.registry import Registry
from m365.ports import Access
from tests.unit.conftest import command_of

FA, SA, SOB = Access.FULL_ACCESS, Access.SEND_AS, Access.SEND_ON_BEHALF


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grant full access on sales@contoso.com to anna@contoso.com",
         GrantAccess(FA, "sales@contoso.com", ("anna@contoso.com",))),
        ("Grant Full Access to shared mailbox Sales Team for anna@contoso.com, jan@contoso.com; ola@contoso.com",
         GrantAccess(FA, "Sales Team", ("anna@contoso.com", "jan@contoso.com", "ola@contoso.com"))),
        ("grant full access on sales to anna@contoso.com jan@contoso.com until 2030-01-31 without automapping",
         GrantAccess(FA, "sales", ("anna@contoso.com", "jan@contoso.com"), "2030-01-31", auto_mapping=False)),
        ("give send as on sales@contoso.com to Anna Kowalska and Jan Nowak",
         GrantAccess(SA, "sales@contoso.com", ("Anna Kowalska", "Jan Nowak"))),
        # An address with digits after "to" is a person, not an end date.
        ("grant send on behalf of sales to anna1@contoso.com", GrantAccess(SOB, "sales", ("anna1@contoso.com",))),
        ("nadaj pełny dostęp do skrzynki biuro dla anna@contoso.com do 31.01.2030 bez automapowania",
         GrantAccess(FA, "biuro", ("anna@contoso.com",), "31.01.2030", auto_mapping=False)),
        ("nadaj wysyłanie w imieniu do biuro@contoso.com dla anna@contoso.com",
         GrantAccess(SOB, "biuro@contoso.com", ("anna@contoso.com",))),
        ("gewähre Senden als auf vertrieb@contoso.com für anna@contoso.com bis 2030-01-31",
         GrantAccess(SA, "vertrieb@contoso.com", ("anna@contoso.com",), "2030-01-31")),
        ("Vollzugriff auf vertrieb für anna@contoso.com gewähren", GrantAccess(FA, "vertrieb", ("anna@contoso.com",))),
        ("grant access", GrantAccess()),
        ("grant send as", GrantAccess(SA)),
        ("revoke full access on sales@contoso.com from anna@contoso.com",
         RevokeAccess(FA, "sales@contoso.com", ("anna@contoso.com",))),
        ("odbierz wysyłanie jako do biuro od anna@contoso.com", RevokeAccess(SA, "biuro", ("anna@contoso.com",))),
        ("entziehe Senden im Auftrag auf vertrieb von anna@contoso.com",
         RevokeAccess(SOB, "vertrieb", ("anna@contoso.com",))),
        ("Senden als auf vertrieb für anna@contoso.com entziehen", RevokeAccess(SA, "vertrieb", ("anna@contoso.com",))),
        ("create shared mailbox Sales Team sales-team@contoso.com",
         CreateMailbox("Sales Team", "sales-team@contoso.com")),
        ("create shared mailbox", CreateMailbox()),
        ("utwórz skrzynkę współdzieloną Biuro Łódź", CreateMailbox("Biuro Łódź")),
        ("freigegebenes Postfach Vertrieb erstellen", CreateMailbox("Vertrieb")),
        ("delete shared mailbox sales@contoso.com", DeleteMailbox("sales@contoso.com")),
        ("usuń skrzynkę współdzieloną biuro", DeleteMailbox("biuro")),
        ("lösche freigegebenes Postfach Vertrieb", DeleteMailbox("Vertrieb")),
        ("owners of mailbox sales@contoso.com are anna@contoso.com and jan@contoso.com",
         SetMailboxOwners("sales@contoso.com", ("anna@contoso.com", "jan@contoso.com"))),
        ("właściciele skrzynki biuro to anna@contoso.com", SetMailboxOwners("biuro", ("anna@contoso.com",))),
        ("Besitzer des Postfachs vertrieb sind anna@contoso.com", SetMailboxOwners("vertrieb", ("anna@contoso.com",))),
        ("show mailbox Sales Team Inbox", ShowMailbox("Sales Team Inbox")),
        ("open shared mailbox sales@contoso.com", ShowMailbox("sales@contoso.com")),
        ("pokaż skrzynkę współdzieloną Biuro", ShowMailbox("Biuro")),
        ("zeige Postfach Vertrieb", ShowMailbox("Vertrieb")),
        ("Postfach Vertrieb anzeigen", ShowMailbox("Vertrieb")),
    ],
)
def test_mailbox_commands(text: str, expected: object, registry: Registry) -> None:
    assert parse_mailbox_command(text) == expected
    assert command_of(text, registry) == expected, "the chat parser hands it to the mailbox handler"


def test_remove_mailbox_access_is_a_revoke_not_a_deletion() -> None:
    assert parse_mailbox_command("remove mailbox access on x@contoso.com from y@contoso.com") == RevokeAccess(
        None, "x@contoso.com", ("y@contoso.com",))


def test_a_pasted_list_after_the_command_is_one_person_per_line() -> None:
    raw = "grant full access on sales@contoso.com to<br>Anna Kowalska<br>- jan@contoso.com<br>3. Ola Nowak"
    command = parse_mailbox_command("ignored when raw has lines", raw)
    assert command == GrantAccess(FA, "sales@contoso.com", ("Anna Kowalska", "jan@contoso.com", "Ola Nowak"))


@pytest.mark.parametrize(
    ("text", "kind"),
    [("remove license E3 from anna@contoso.com", RemoveLicense), ("join sales", JoinList),
     ("request license E3", RequestLicense)],
)
def test_other_commands_are_left_alone(text: str, kind: type, registry: Registry) -> None:
    assert parse_mailbox_command(text) is None
    assert isinstance(command_of(text, registry), kind)


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_help_shows_commands_the_desk_understands(locale: str, registry: Registry) -> None:
    shown = re.findall(r"\*\*(.+?)\*\*", Translator(locale)("help.mailboxes"))
    commands = [command_of(command, registry) for command in shown]
    assert [type(command) for command in commands] == [
        ShowMailbox, GrantAccess, RevokeAccess, CreateMailbox, SetMailboxOwners]
    grant = commands[1]
    assert isinstance(grant, GrantAccess) and grant.complete and grant.until == "2026-12-31"

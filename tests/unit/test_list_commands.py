"""The list and browsing commands (F1–F5) in English, Polish and German, and what they must not take over."""

from __future__ import annotations

import re

import pytest

from cards.i18n import Translator
from handlers.commands import ShowMyRequests, ShowSla
from kinds.licenses.commands import RemoveLicense, ShowPlans
from kinds.licenses.report_commands import ShowLicenseReport
from kinds.lists.commands import (
    ChangeMembers,
    CreateList,
    DeleteList,
    FindDirectory,
    LeaveList,
    ModifyList,
    MyLists,
    MyMailboxes,
    MyMemberships,
    ShowAnything,
    ShowList,
)
from kinds.registry import Registry
from tests.unit.conftest import command_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("find hr", FindDirectory("hr")),
        ("szukaj sprzedaż", FindDirectory("sprzedaż")),
        ("suche vertrieb", FindDirectory("vertrieb")),
        ("lists", FindDirectory("", "lists")),
        ("shared mailboxes", FindDirectory("", "mailboxes")),
        ("my lists", MyLists()),
        ("moje listy", MyLists()),
        ("meine verteiler", MyLists()),
        ("my memberships", MyMemberships()),
        ("show list HR Announcements", ShowList("HR Announcements")),
        ("pokaż listę Sprzedaż", ShowList("Sprzedaż")),
        ("Liste Vertrieb anzeigen", ShowList("Vertrieb")),
        ("show Sales DACH", ShowAnything("Sales DACH")),
        ("otwórz Helpdesk", ShowAnything("Helpdesk")),
        ("Vertrieb anzeigen", ShowAnything("Vertrieb")),
        ("leave \"Book Club\"", LeaveList("Book Club")),
        ("opuść Sprzedaż", LeaveList("Sprzedaż")),
        ("Vertrieb verlassen", LeaveList("Vertrieb")),
        ("create list Project Apollo", CreateList("Project Apollo")),
        ("neue liste Apollo", CreateList("Apollo")),
        ("edit list Sales", ModifyList("Sales")),
        ("delete list Sales", DeleteList("Sales")),
        ("usuń listę Sprzedaż", DeleteList("Sprzedaż")),
        ("add a@x.com, b@x.com to Sales Poland", ChangeMembers("Sales Poland", True, ("a@x.com", "b@x.com"))),
        ("remove a@x.com from list Sales", ChangeMembers("Sales", False, ("a@x.com",))),
        ("dodaj a@x.com do Sprzedaż", ChangeMembers("Sprzedaż", True, ("a@x.com",))),
        ("füge a@x.com zu Vertrieb hinzu", ChangeMembers("Vertrieb", True, ("a@x.com",))),
        ("entferne a@x.com aus Vertrieb", ChangeMembers("Vertrieb", False, ("a@x.com",))),
    ],
)
def test_list_commands(text: str, expected: object, registry: Registry) -> None:
    assert command_of(text, registry) == expected


def test_a_pasted_list_keeps_every_line_including_the_bad_ones(registry: Registry) -> None:
    raw = "add to Sales:\nanna@contoso.com\njan@contoso.com; not-an-address\nanna@contoso.com"
    expected = ChangeMembers("Sales", True, ("anna@contoso.com", "jan@contoso.com", "not-an-address"))
    assert command_of(raw, registry) == expected


def test_license_removal_is_not_mistaken_for_a_member_change(registry: Registry) -> None:
    assert isinstance(command_of("remove license E3 from anna@contoso.com", registry), RemoveLicense)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("show plans", ShowPlans), ("show my requests", ShowMyRequests), ("zeige meine anträge", ShowMyRequests),
     ("show sla", ShowSla), ("show license report", ShowLicenseReport), ("pokaż raport licencji", ShowLicenseReport)],
)
def test_show_anything_is_the_last_resort(text: str, kind: type, registry: Registry) -> None:
    assert isinstance(command_of(text, registry), kind)


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_lists_help_shows_commands_the_desk_understands(locale: str, registry: Registry) -> None:
    shown = re.findall(r"\*\*(.+?)\*\*", Translator(locale)("help.lists"))
    assert [type(command_of(command, registry)) for command in shown] == [
        FindDirectory, FindDirectory, MyLists, MyMemberships, MyMailboxes, ShowAnything]

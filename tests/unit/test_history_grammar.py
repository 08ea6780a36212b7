"""The `history` grammar in English, Polish and German: each filter typed the way admins think becomes one field of
a HistoryQuery, filters combine, and a word the grammar cannot read is named back, never ignored."""

from __future__ import annotations

from datetime import date

import pytest

from kinds.history.grammar import HistoryQuery, ShowHistory, parse_history


def query(text: str) -> HistoryQuery:
    parsed = parse_history(text)
    assert parsed is not None and parsed.problem is None, parsed
    return parsed.query


def problem(text: str) -> str | None:
    parsed = parse_history(text)
    assert parsed is not None
    return parsed.problem


@pytest.mark.parametrize("text", ["history", "History", "show history", "historia", "pokaż historia",
                                  "Verlauf", "zeige Verlauf", "Historie"])
def test_the_command_word_in_every_language_alone_means_everything(text: str) -> None:
    assert parse_history(text) == ShowHistory(HistoryQuery())


@pytest.mark.parametrize("text", ["historyx", "my requests", "report licenses", "show Sales history list", "hist"])
def test_other_commands_are_not_history(text: str) -> None:
    assert parse_history(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("history anna", HistoryQuery(person="anna")),
        ("history user:anna", HistoryQuery(person="anna")),
        ("history Anna Kowalska", HistoryQuery(person="Anna Kowalska")),
        ('history user:"Anna Kowalska"', HistoryQuery(person="Anna Kowalska")),
        ("historia osoba:anna", HistoryQuery(person="anna")),
        ("Verlauf benutzer:anna@contoso.com", HistoryQuery(person="anna@contoso.com")),
    ],
)
def test_a_person_bare_or_prefixed(text: str, expected: HistoryQuery) -> None:
    assert query(text) == expected


@pytest.mark.parametrize(
    ("text", "families", "kinds"),
    [
        ("history licenses", ("licenses",), ()),
        ("history lists mailboxes", ("lists", "mailboxes"), ()),
        ("history seats", ("seats",), ()),
        ("history license.assign", (), ("license.assign",)),
        ("history kind:dl.join", (), ("dl.join",)),
        ("historia licencje skrzynki", ("licenses", "mailboxes"), ()),
        ("historia listy miejsca", ("lists", "seats"), ()),
        ("Verlauf Lizenzen Postfächer", ("licenses", "mailboxes"), ()),
        ("Verlauf Listen Plätze", ("lists", "seats"), ()),
    ],
)
def test_kinds_and_families(text: str, families: tuple[str, ...], kinds: tuple[str, ...]) -> None:
    assert (query(text).families, query(text).kinds) == (families, kinds)


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("history pending", ("pending",)),
        ("history done", ("completed",)),
        ("history completed rejected", ("completed", "rejected")),
        ("history failed", ("failed",)),
        ("history withdrawn", ("cancelled",)),
        ("history cancelled", ("cancelled",)),
        ("historia oczekujące", ("pending",)),
        ("historia wykonane odrzucone", ("completed", "rejected")),
        ("historia nieudane wycofane", ("failed", "cancelled")),
        ("Verlauf offen", ("pending",)),
        ("Verlauf erledigt abgelehnt", ("completed", "rejected")),
        ("Verlauf fehlgeschlagen zurückgezogen", ("failed", "cancelled")),
        ("history status:rejected", ("rejected",)),
    ],
)
def test_states(text: str, states: tuple[str, ...]) -> None:
    assert query(text).states == states


@pytest.mark.parametrize(
    ("text", "resource_type", "resource"),
    [
        ("history list:Sales", "list", "Sales"),
        ("history mailbox:helpdesk", "mailbox", "helpdesk"),
        ("history plan:E3", "plan", "E3"),
        ('history list:"Marketing Team"', "list", "Marketing Team"),
        ("historia lista:Sprzedaż", "list", "Sprzedaż"),
        ("historia skrzynka:pomoc", "mailbox", "pomoc"),
        ("Verlauf liste:Vertrieb", "list", "Vertrieb"),
        ("Verlauf postfach:helpdesk", "mailbox", "helpdesk"),
    ],
)
def test_resources(text: str, resource_type: str, resource: str) -> None:
    found = query(text)
    assert (found.resource_type, found.resource) == (resource_type, resource)


@pytest.mark.parametrize(
    ("text", "since", "until", "last_days"),
    [
        ("history from:2026-11-01 to:2026-11-30", date(2026, 11, 1), date(2026, 11, 30), None),
        ("history last 30 days", None, None, 30),
        ("history last 1 day", None, None, 1),
        ("historia od:2026-11-01 do:2026-11-30", date(2026, 11, 1), date(2026, 11, 30), None),
        ("historia ostatnie 30 dni", None, None, 30),
        ("Verlauf von:2026-11-01 bis:2026-11-30", date(2026, 11, 1), date(2026, 11, 30), None),
        ("Verlauf letzte 30 Tage", None, None, 30),
    ],
)
def test_date_ranges(text: str, since: date | None, until: date | None, last_days: int | None) -> None:
    found = query(text)
    assert (found.since, found.until, found.last_days) == (since, until, last_days)


def test_free_text_in_quotes_or_prefixed() -> None:
    assert query('history "budget 2027"').text == "budget 2027"
    assert query("historia „budżet”").text == "budżet"
    assert query("Verlauf text:Budget").text == "Budget"


def test_filters_combine_and_csv_is_a_word_anywhere() -> None:
    parsed = parse_history('history csv anna licenses rejected list:Sales from:2026-11-01 last 30 days "x"')
    assert parsed == ShowHistory(
        HistoryQuery(person="anna", families=("licenses",), states=("rejected",), resource_type="list",
                     resource="Sales", since=date(2026, 11, 1), last_days=30, text="x"),
        csv=True,
    )
    assert parse_history("Verlauf anna abgelehnt letzte 7 Tage csv") == ShowHistory(
        HistoryQuery(person="anna", states=("rejected",), last_days=7), csv=True
    )


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("history foo:bar", "foo:bar"),
        ("history from:2026-13-01", "from:2026-13-01"),
        ("history from:yesterday", "from:yesterday"),
        ("history user:", "user:"),
        ("history anna user:ben", "anna"),
        ("history user:anna user:ben", "user:ben"),
        ("history list:Sales mailbox:help", "mailbox:help"),
        ("history from:2026-12-01 to:2026-11-01", "2026-12-01 > 2026-11-01"),
        ("history last 0 days", "last 0 days"),
        ("historia od:wczoraj", "od:wczoraj"),
        ("Verlauf status:irgendwie", "status:irgendwie"),
    ],
)
def test_an_unreadable_filter_is_named_back(text: str, word: str) -> None:
    assert problem(text) == word

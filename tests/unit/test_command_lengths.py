"""Too-long input becomes TooLong in the parser, before any handler runs; real lengths still parse as commands."""

from __future__ import annotations

import time

import pytest

from handlers.commands import (
    MAX_ADDRESS,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_RAW_MESSAGE,
    JoinList,
    RequestLicense,
    TooLong,
    Unknown,
    parse,
)
from handlers.list_commands import ChangeMembers
from kinds.mailboxes.commands import GrantAccess


@pytest.mark.parametrize(
    ("text", "key", "limit"),
    [
        ("request license E3 for " + "x" * 5000, "names.too_long.name", MAX_NAME),
        ("join " + "n" * (MAX_NAME + 1), "names.too_long.name", MAX_NAME),
        ("leave " + "n" * (MAX_NAME + 1), "names.too_long.name", MAX_NAME),
        ("delete list " + "n" * (MAX_NAME + 1), "names.too_long.name", MAX_NAME),
        ("grant full access on helpdesk to " + "a" * MAX_ADDRESS + "@x.example", "names.too_long.address",
         MAX_ADDRESS),
        ("add " + "a" * MAX_ADDRESS + "@x.example to Sales", "names.too_long.address", MAX_ADDRESS),
        ("find " + "q" * MAX_MESSAGE, "names.too_long.message", MAX_MESSAGE),
        ("<p>" + "x" * MAX_RAW_MESSAGE + "</p>", "names.too_long.message", MAX_MESSAGE),
    ],
)
def test_too_long_is_refused_with_its_key(text: str, key: str, limit: int) -> None:
    command = parse(text)
    assert isinstance(command, TooLong)
    assert (command.key, command.limit) == (key, limit)
    assert len(command.start) <= 40


def test_real_lengths_are_commands() -> None:
    name = "N" * MAX_NAME
    address = "a" * 64 + "@" + "d" * (MAX_ADDRESS - 65)
    assert parse(f"join {name}") == JoinList(list_name=name)
    assert parse(f"request license E3 for {address}") == RequestLicense(plan="E3", for_user=address)
    pasted = "\n".join(f"person{i:03d}@contoso.com" for i in range(200))
    command = parse(f"add to Sales:\n{pasted}")
    assert isinstance(command, ChangeMembers) and len(command.members) == 200
    grant = parse("grant send as on * to me")
    assert isinstance(grant, GrantAccess) and grant.mailbox == "*"


def test_an_unknown_long_text_stays_unknown() -> None:
    assert isinstance(parse("z" * MAX_MESSAGE), Unknown)


@pytest.mark.parametrize("text", [
    "add " + "to " * 5300, "remove " + "from " * 3000, "lizenz " + "a " * 7900 + "anfordern",
    "add " + "a@b " * 3000 + "to x", "x " * 7900 + "verlassen",
])
def test_the_patterns_stay_fast_at_the_bound(text: str) -> None:
    started = time.perf_counter()
    parse(text[:MAX_MESSAGE])
    assert time.perf_counter() - started < 0.5

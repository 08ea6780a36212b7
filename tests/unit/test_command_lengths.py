"""Too-long input becomes TooLong in the parser, before any handler runs; real lengths still parse as commands."""

from __future__ import annotations

import time

import pytest

from handlers.commands import (
    MAX_ADDRESS,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_RAW_MESSAGE,
    TooLong,
    Unknown,
)
from kinds.licenses.commands import RequestLicense
from kinds.lists.commands import ChangeMembers, JoinList
from kinds.mailboxes.commands import GrantAccess
from kinds.registry import Registry
from tests.unit.conftest import command_of


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
def test_too_long_is_refused_with_its_key(text: str, key: str, limit: int, registry: Registry) -> None:
    command = command_of(text, registry)
    assert isinstance(command, TooLong)
    assert (command.key, command.limit) == (key, limit)
    assert len(command.start) <= 40


def test_real_lengths_are_commands(registry: Registry) -> None:
    name = "N" * MAX_NAME
    address = "a" * 64 + "@" + "d" * (MAX_ADDRESS - 65)
    assert command_of(f"join {name}", registry) == JoinList(list_name=name)
    assert command_of(f"request license E3 for {address}", registry) == RequestLicense(plan="E3", for_user=address)
    pasted = "\n".join(f"person{i:03d}@contoso.com" for i in range(200))
    command = command_of(f"add to Sales:\n{pasted}", registry)
    assert isinstance(command, ChangeMembers) and len(command.members) == 200
    grant = command_of("grant send as on * to me", registry)
    assert isinstance(grant, GrantAccess) and grant.mailbox == "*"


def test_an_unknown_long_text_stays_unknown(registry: Registry) -> None:
    assert isinstance(command_of("z" * MAX_MESSAGE, registry), Unknown)


@pytest.mark.parametrize("text", [
    "add " + "to " * 5300, "remove " + "from " * 3000, "lizenz " + "a " * 7900 + "anfordern",
    "add " + "a@b " * 3000 + "to x", "x " * 7900 + "verlassen",
])
def test_the_patterns_stay_fast_at_the_bound(text: str, registry: Registry) -> None:
    started = time.perf_counter()
    command_of(text[:MAX_MESSAGE], registry)
    assert time.perf_counter() - started < 0.5

"""Checking what people type about Exchange recipients, shared by the lists and mailboxes families: aliases and
addresses, the tenant's accepted domains, names that a search would read as patterns, lists of people (each one
accepted or refused with a reason) and the refusal lines that report them."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from cards.i18n import Translator
    from handlers.services import Services

# Exchange's limit: an alias (and an address's local part) is an RFC 5322 dot-atom of at most 64 characters.
MAX_ALIAS = 64
ALIAS = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$")
ADDRESS = re.compile(r"^(?P<local>[^@\s]+)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
# Characters a name search (Exchange's Anr) may read as a pattern: a name holding one gets no search suggestions.
PATTERN_CHARACTERS = re.compile(r"[*?%\[\]]")
# How much of a too-long value a refusal quotes back.
_SHORTENED = 40

Checked = TypeVar("Checked")


@dataclass(frozen=True, slots=True)
class Refused:
    """One value (a person, an address) that will not be part of the request, and why (a message key)."""

    value: str
    reason: str


class Addressed(Protocol):
    """A list or a shared mailbox, as far as a request's label needs it."""

    @property
    def display_name(self) -> str: ...

    @property
    def primary_smtp_address(self) -> str: ...


def valid_alias(alias: str) -> bool:
    """An alias Exchange accepts: a non-empty dot-atom of at most 64 characters."""
    return bool(alias) and len(alias) <= MAX_ALIAS and ALIAS.match(alias) is not None


def shortened(value: str) -> str:
    """A too-long value as quoted back in a refusal: its start, not all of it."""
    return value[:_SHORTENED] + "…"


def label(recipient: Addressed) -> str:
    """How a request names the list or mailbox it is about: "Sales <sales@contoso.com>"."""
    return f"{recipient.display_name} <{recipient.primary_smtp_address}>"


def refusal_lines(t: Translator, refused: Sequence[Refused]) -> list[str]:
    """One line per refused value, in the reader's language: "- anna@x: not a member"."""
    return [f"- {item.value}: {t(item.reason)}" for item in refused]


async def accepted_domains(services: Services) -> list[str]:
    """The tenant's accepted domains (lower case, sorted): the only domains a new address may have."""
    sync = services.tenant.directory_sync
    return sorted(domain.lower() for domain in await sync.accepted_domains()) if sync is not None else []


async def sort_people(
    entries: Iterable[str],
    check: Callable[[str], Awaitable[Checked | Refused]],
    key: Callable[[Checked], Hashable],
) -> tuple[list[Checked], list[Refused]]:
    """Each entry checked on its own: the accepted ones (the first of any with the same ``key``) and the refused
    ones, both in the order typed, so one wrong name never hides what is wrong with another."""
    accepted: dict[Hashable, Checked] = {}
    refused: list[Refused] = []
    for entry in entries:
        checked = await check(entry)
        if isinstance(checked, Refused):
            refused.append(checked)
        else:
            accepted.setdefault(key(checked), checked)
    return list(accepted.values()), refused

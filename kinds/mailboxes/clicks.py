"""The card data of the mailbox verbs, typed at the edge (kinds.card_data): each click shape the desk's cards, the
browse cards and the choice cards send. They are only wishes; the handlers re-validate each one like a typed
command."""

from __future__ import annotations

from dataclasses import dataclass

from kinds.card_data import DEFAULT_MAX_LENGTH, bounded

# Longer than any name, address or list of people anyone types; what is too long to name anything is refused by
# the handlers with the desk's "too long" messages, before any lookup.
_TEXT = DEFAULT_MAX_LENGTH
_FLAG = 10  # "true" / "false", as Input.Toggle sends them


@dataclass(frozen=True, slots=True)
class MailboxClick:
    """A button about one mailbox (show it, delete it): the desk's own cards send "mailbox", the browse and
    suggestion cards "mailbox_id", older cards "identity" (show only)."""

    mailbox: str | None = bounded(_TEXT, optional=True)
    mailbox_id: str | None = bounded(_TEXT, optional=True)
    identity: str | None = bounded(_TEXT, optional=True)


@dataclass(frozen=True, slots=True)
class CreateClick:
    """The create form, as filled in."""

    name: str | None = bounded(_TEXT, optional=True)
    alias: str | None = bounded(_TEXT, optional=True)
    address: str | None = bounded(_TEXT, optional=True)
    owners: str | None = bounded(_TEXT, optional=True)
    delegates: str | None = bounded(_TEXT, optional=True)


@dataclass(frozen=True, slots=True)
class GrantClick:
    """The grant form as filled in, a choice card's pick (the typed command again, for one mailbox), or the mailbox
    card's "ask for access" button (``form``: open the form for that mailbox)."""

    form: bool | None = None
    mailbox: str | None = bounded(_TEXT, optional=True)
    access: str | None = bounded(_TEXT, optional=True)
    people: str | None = bounded(_TEXT, optional=True)
    until: str | None = bounded(_TEXT, optional=True)
    auto_mapping: str | None = bounded(_FLAG, optional=True)


@dataclass(frozen=True, slots=True)
class RevokeClick:
    """One holder's button on the mailbox card ("person", "me" for the reader), or the people of a typed revoke
    ("people") when the mailbox was picked from a choice card."""

    access: str | None = bounded(_TEXT, optional=True)
    mailbox: str | None = bounded(_TEXT, optional=True)
    person: str | None = bounded(_TEXT, optional=True)
    people: str | None = bounded(_TEXT, optional=True)

"""Edit-and-approve (F13) as a kind declares it: the editable fields of a waiting request, how they read in a plan,
and ``revise``, which builds the edited request's draft through the family's own validation; plus the edit form's
typed click data (every field name a kind may edit is one of its inputs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kinds.card_data import bounded
from kinds.steps import Step

if TYPE_CHECKING:
    from cards.i18n import Translator
    from handlers.context import Actor, Reply
    from handlers.services import Services
    from handlers.submission import Draft
    from storage.models import Request

# Longer than any request id on purpose, as the decision click's: a forged id is refused like a missing one.
_REQUEST_ID = 64_000
# The edit form's boxes: people as pasted (one per line or comma-separated) fit in a chat message's length.
_BOX = 4_000
_PEOPLE = 28_000


class Style:
    """How the edit form asks for a field (cards/editing.py draws each)."""

    TEXT = "text"
    LINES = "lines"  # a multi-line box: people, one per line or separated by commas
    DATE = "date"  # Input.Date (YYYY-MM-DD), empty = none
    CHOICE = "choice"  # one of ``choices``
    TOGGLE = "toggle"  # "true" / "false"


@dataclass(frozen=True, slots=True)
class EditField:
    """One editable value of a waiting request, as the form shows it: ``name`` is the input's id (a field of
    ``EditClick``), ``label`` its message key, ``value`` the current value as ``revise`` reads it back."""

    name: str
    label: str
    value: str
    style: str = Style.TEXT
    choices: tuple[tuple[str, str], ...] = ()  # (value, title) of a CHOICE field
    required: bool = False


# The form's fields for this request, filled in with what it asks for now.
EditFields = Callable[["Services", "Request", "Translator"], Awaitable[tuple[EditField, ...]]]
# What a plan asks for, per field label (message key) → a value people read ("E3", "Anna Kowalska", "2027-01-15"):
# the edit's diff compares these for the stored plan and the revised one.
ShownValues = Callable[[tuple[Step, ...]], dict[str, str]]
# The edited request, validated as the requester's new request would be (the family's own draft code), or the
# refusal in the reader's words; ``requester`` is the requester as an Actor speaking the editing approver's language.
Revise = Callable[["Services", "Request", "Actor", Mapping[str, str]], Awaitable["Draft | Reply"]]


@dataclass(frozen=True, slots=True)
class Editor:
    """A kind's edit-and-approve: its form, how its plans read for the diff, and the revision."""

    fields: EditFields
    shown: ShownValues
    revise: Revise


@dataclass(frozen=True, slots=True)
class EditClick:
    """The Edit button (``request_id``, ``version``; ``cancel`` goes back to the approval card) and the edit form's
    Approve button, which carries every input of the form: only wishes, validated again by the kind's ``revise``."""

    request_id: str = bounded(_REQUEST_ID)
    version: int | None = None
    cancel: bool | None = None
    reason: str | None = bounded(_BOX, optional=True)
    # The field names editors use (EditField.name); an empty box is sent as "" and read as absent.
    plan: str | None = bounded(_BOX, optional=True)
    people: str | None = bounded(_PEOPLE, optional=True)
    until: str | None = bounded(_BOX, optional=True)
    name: str | None = bounded(_BOX, optional=True)
    alias: str | None = bounded(_BOX, optional=True)
    address: str | None = bounded(_BOX, optional=True)
    description: str | None = bounded(_BOX, optional=True)
    owners: str | None = bounded(_PEOPLE, optional=True)
    members: str | None = bounded(_PEOPLE, optional=True)
    delegates: str | None = bounded(_PEOPLE, optional=True)
    add_owners: str | None = bounded(_PEOPLE, optional=True)
    remove_owners: str | None = bounded(_PEOPLE, optional=True)
    join: str | None = bounded(_BOX, optional=True)
    depart: str | None = bounded(_BOX, optional=True)
    external: str | None = bounded(_BOX, optional=True)

    def inputs(self, fields: tuple[EditField, ...]) -> dict[str, str]:
        """The values of this form's fields as typed ("" for an empty box); inputs of other fields are ignored."""
        return {field.name: getattr(self, field.name, None) or "" for field in fields}

"""The edit-and-approve family (F13): the approver's Edit and the edit form's Approve, for every kind whose
``Kind.editor`` says how its waiting requests are edited (handlers/editing.py)."""

from __future__ import annotations

from cards.verbs import Verb
from handlers.editing import approve_edited, edit_clicked
from kinds.editor import EditClick
from kinds.family import Family, VerbRoute


def family() -> Family:
    return Family(
        name="editing",
        verbs=(
            VerbRoute(Verb.EDIT_REQUEST, EditClick, edit_clicked),
            VerbRoute(Verb.APPROVE_EDITED, EditClick, approve_edited),
        ),
    )

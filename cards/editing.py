"""The approver's edit form of a waiting request (F13, edit-and-approve): its editable fields filled in, a reason,
and Approve with changes / Back; and the one-line "field: before → after" the diff is shown and told in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb
from cards.views import RequestView
from kinds.editor import EditField, Style

# What an empty value reads as in a diff ("until: — → 2027-01-15").
NOTHING = "—"


def change_line(t: Translator, label: str, before: str, after: str) -> str:
    return t("editing.change", field=t(label), before=before or NOTHING, after=after or NOTHING)


def changes_text(t: Translator, diff: Sequence[Mapping[str, str]]) -> str:
    """A stored diff ({"field", "before", "after"} each) as one line per changed field, in the reader's words."""
    return "\n".join(
        "• " + change_line(t, item.get("field", ""), item.get("before", ""), item.get("after", "")) for item in diff
    )


def edit_form(
    view: RequestView,
    fields: Sequence[EditField],
    t: Translator,
    *,
    values: Mapping[str, str] | None = None,
    notice: str | None = None,
) -> Element:
    """``values``: the form as the approver last submitted it (shown again with ``notice`` when refused)."""
    body: list[Element] = [title(t("editing.title", request_id=view.request_id))]
    if notice:
        body.append(text(notice, color="Attention"))
    body.append(
        facts(
            [
                (t("request.field.kind"), t("request.kind." + view.kind)),
                (t("request.field.requester"), view.requester_name),
                (t("request.field.target"), view.target_label),
            ]
        )
    )
    body.append(text(t("editing.hint"), subtle=True))
    body.extend(_input(field, (values or {}).get(field.name, field.value), t) for field in fields)
    body.append(
        {"type": "Input.Text", "id": "reason", "label": t("editing.reason"), "isMultiline": True, "maxLength": 500}
    )
    click = {"request_id": view.request_id, "version": view.version}
    actions = [
        execute(t("editing.approve"), Verb.APPROVE_EDITED, click, style="positive"),
        execute(t("editing.back"), Verb.EDIT_REQUEST, {**click, "cancel": True}),
    ]
    return card(body, actions)


def _input(field: EditField, value: str, t: Translator) -> Element:
    label = t(field.label)
    element: Element
    if field.style == Style.CHOICE:
        element = {
            "type": "Input.ChoiceSet",
            "id": field.name,
            "label": label,
            "style": "compact",
            "value": value,
            "choices": [{"title": title_text, "value": key} for key, title_text in field.choices],
        }
    elif field.style == Style.TOGGLE:
        return {
            "type": "Input.Toggle",
            "id": field.name,
            "title": label,
            "value": "true" if value == "true" else "false",
            "valueOn": "true",
            "valueOff": "false",
        }
    elif field.style == Style.DATE:
        element = {"type": "Input.Date", "id": field.name, "label": label, "value": value}
    else:
        element = {"type": "Input.Text", "id": field.name, "label": label, "value": value}
        if field.style == Style.LINES:
            element["isMultiline"] = True
    if field.required:
        element["isRequired"] = True
        element["errorMessage"] = t("editing.required", field=label)
    return element

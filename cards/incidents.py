"""Incident cards (F18): the "report a problem" form, the reporter's card (comment, category; reopen or confirm once
resolved), the support channel's card (claim, priority, wait for the user, escalate, resolve) and the short card that
confirms a filed form. Pure functions of an IncidentView."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb

CATEGORIES = ("license", "mailbox", "list", "access", "other")
LEVELS = ("high", "medium", "low")
OPEN = ("new", "in_progress", "waiting_for_user")
MAX_TEXT = 2000  # what a reporter may write in one go (the description, a comment, a note)


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident_id: str
    version: int
    text: str
    reporter_name: str
    category: str
    impact: str
    urgency: str
    priority: str
    state: str
    support_level: int
    assignee_name: str | None
    created_at: datetime
    first_response_due_at: datetime
    first_responded_at: datetime | None
    resolution_due_at: datetime
    resolved_at: datetime | None
    question: str | None
    resolution: str | None
    escalation_reason: str | None
    last_comment: tuple[str, str] | None  # (who, what) of the reporter's latest comment
    now: datetime  # for "overdue"


def category_name(category: str, t: Translator) -> str:
    return {
        "license": t("incidents.category.license"),
        "mailbox": t("incidents.category.mailbox"),
        "list": t("incidents.category.list"),
        "access": t("incidents.category.access"),
    }.get(category, t("incidents.category.other"))


def level_name(level: str, t: Translator) -> str:
    return {"high": t("incidents.level.high"), "medium": t("incidents.level.medium")}.get(
        level, t("incidents.level.low"))


def state_name(state: str, t: Translator) -> str:
    return {
        "new": t("incidents.state.new"),
        "in_progress": t("incidents.state.in_progress"),
        "waiting_for_user": t("incidents.state.waiting_for_user"),
        "resolved": t("incidents.state.resolved"),
    }.get(state, t("incidents.state.closed"))


def _choices(values: Sequence[str], name: Any, t: Translator) -> list[dict[str, str]]:
    return [{"title": name(value, t), "value": value} for value in values]


def _choice_set(input_id: str, label: str, values: Sequence[str], name: Any, t: Translator, value: str) -> Element:
    return {"type": "Input.ChoiceSet", "id": input_id, "label": label, "style": "compact", "value": value,
            "choices": _choices(values, name, t)}


def _note(input_id: str, label: str, *, required: bool) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id, "label": label, "isMultiline": True,
                        "maxLength": MAX_TEXT}
    if required:
        element["isRequired"] = True
        element["errorMessage"] = label
    return element


def _show(label: str, body: list[Element], action: Element) -> Element:
    return {"type": "Action.ShowCard", "title": label, "card": {"type": "AdaptiveCard", "body": body,
                                                                  "actions": [action]}}


def report_form(t: Translator, *, text_value: str = "", category: str = "other") -> Element:
    """The form behind a bare "report a problem": what happened, category, impact and urgency."""
    body: list[Element] = [
        title(t("incidents.form.title")),
        text(t("incidents.form.intro"), subtle=True),
        {**_note("text", t("incidents.form.text"), required=True), "value": text_value},
        _choice_set("category", t("incidents.field.category"), CATEGORIES, category_name, t, category),
        _choice_set("impact", t("incidents.field.impact"), LEVELS, level_name, t, "medium"),
        _choice_set("urgency", t("incidents.field.urgency"), LEVELS, level_name, t, "medium"),
    ]
    return card(body, [execute(t("incidents.form.submit"), Verb.INCIDENT_SUBMIT, {}, style="positive")])


def _due(t: Translator, due: datetime, done: datetime | None, now: datetime) -> str:
    if done is not None:
        return t("incidents.sla.met" if done <= due else "incidents.sla.late", time=t.datetime(done))
    return t("incidents.sla.overdue" if now > due else "incidents.sla.due", time=t.datetime(due))


def _summary(view: IncidentView, t: Translator) -> list[Element]:
    pairs = [
        (t("incidents.field.id"), view.incident_id),
        (t("incidents.field.reporter"), view.reporter_name),
        (t("incidents.field.category"), category_name(view.category, t)),
        (t("incidents.field.priority"), t("incidents.priority", priority=view.priority,
                                          impact=level_name(view.impact, t), urgency=level_name(view.urgency, t))),
        (t("incidents.field.state"), state_name(view.state, t)),
        (t("incidents.field.group"), t("incidents.group.second" if view.support_level == 2
                                       else "incidents.group.first")),
        (t("incidents.field.assignee"), view.assignee_name or t("incidents.unassigned")),
        (t("incidents.field.created"), t.datetime(view.created_at)),
        (t("incidents.field.first_response"),
         _due(t, view.first_response_due_at, view.first_responded_at, view.now)),
    ]
    if view.state != "closed":
        pairs.append((t("incidents.field.resolution_due"),
                      _due(t, view.resolution_due_at, view.resolved_at, view.now)))
    elements: list[Element] = [facts(pairs), text(view.text)]
    if view.escalation_reason:
        elements.append(text(t("incidents.escalated_because", reason=view.escalation_reason), subtle=True))
    if view.state == "waiting_for_user" and view.question:
        elements.append(text(t("incidents.question", question=view.question), color="Attention"))
    if view.last_comment is not None:
        who, what = view.last_comment
        elements.append(text(t("incidents.last_comment", name=who, comment=what), subtle=True))
    if view.resolution and view.state in ("resolved", "closed"):
        elements.append(text(t("incidents.resolution", note=view.resolution), color="Good"))
    return elements


def _heading(view: IncidentView, t: Translator, notice: str | None) -> list[Element]:
    body = [title(t("incidents.title", id=view.incident_id, priority=view.priority))]
    if notice:
        body.append(text(notice, color="Attention"))
    return body


def reporter_card(view: IncidentView, t: Translator, *, notice: str | None = None) -> Element:
    """The reporter's card, updated in place: comment and change the category while open; reopen or confirm once
    resolved; nothing once closed."""
    click = {"incident_id": view.incident_id, "version": view.version}
    body = [*_heading(view, t, notice), *_summary(view, t)]
    actions: list[Element] = []
    if view.state in OPEN:
        label = t("incidents.answer") if view.state == "waiting_for_user" else t("incidents.comment")
        actions.append(_show(label, [_note("note", t("incidents.comment.label"), required=True)],
                             execute(t("incidents.send"), Verb.INCIDENT_COMMENT, click)))
        actions.append(_show(t("incidents.change_category"),
                             [_choice_set("category", t("incidents.field.category"), CATEGORIES, category_name, t,
                                          view.category)],
                             execute(t("incidents.save"), Verb.INCIDENT_CATEGORY, click)))
    elif view.state == "resolved":
        actions.append(execute(t("incidents.confirm"), Verb.INCIDENT_CONFIRM, click, style="positive"))
        actions.append(_show(t("incidents.reopen"), [_note("note", t("incidents.reopen.label"), required=False)],
                             execute(t("incidents.reopen.send"), Verb.INCIDENT_REOPEN, click)))
    return card(body, actions)


def support_card(view: IncidentView, t: Translator, *, notice: str | None = None) -> Element:
    """The support channel's card: claim, change the priority, ask the reporter, escalate (first level), resolve."""
    click = {"incident_id": view.incident_id, "version": view.version}
    body = [*_heading(view, t, notice), *_summary(view, t)]
    actions: list[Element] = []
    if view.state in OPEN:
        actions.append(execute(t("incidents.claim"), Verb.INCIDENT_CLAIM, click, style="positive"))
        actions.append(_show(t("incidents.resolve"), [_note("note", t("incidents.resolve.label"), required=True)],
                             execute(t("incidents.resolve.send"), Verb.INCIDENT_RESOLVE, click)))
        if view.state == "in_progress":
            actions.append(_show(t("incidents.wait"), [_note("note", t("incidents.wait.label"), required=True)],
                                 execute(t("incidents.wait.send"), Verb.INCIDENT_WAIT, click)))
        actions.append(_show(t("incidents.change_priority"), [
            _choice_set("impact", t("incidents.field.impact"), LEVELS, level_name, t, view.impact),
            _choice_set("urgency", t("incidents.field.urgency"), LEVELS, level_name, t, view.urgency),
        ], execute(t("incidents.save"), Verb.INCIDENT_PRIORITY, click)))
        if view.support_level == 1:
            actions.append(_show(t("incidents.escalate"),
                                 [_note("note", t("incidents.escalate.label"), required=True)],
                                 execute(t("incidents.escalate.send"), Verb.INCIDENT_ESCALATE, click)))
    return card(body, actions)


def filed_card(incident_id: str, t: Translator) -> Element:
    """What the submitted form turns into: the id, and that the incident's own card follows in the chat."""
    return card([title(t("incidents.filed.title", id=incident_id)), text(t("incidents.filed.text"))])

"""E-mail notifications as pure functions (F16): a template's subject, plain text and HTML in the reader's language,
with the request's card summary and the link to the chat with the bot; every value is escaped in the HTML.

A template is a subject and a body message (``mail.<name>.subject`` / ``.body``) filled with the caller's parameters
(strings). A new notification adds its row to TEMPLATES and its two messages, in English, Polish and German.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from cards.i18n import Markdown, Translator, unescaped
from cards.views import RequestView


@dataclass(frozen=True, slots=True)
class MailTemplate:
    subject: str  # message key
    body: str  # message key


TEMPLATES: Mapping[str, MailTemplate] = {
    # To the requester, on each transition of their request.
    "request.submitted": MailTemplate("mail.request.submitted.subject", "mail.request.submitted.body"),
    "request.approved": MailTemplate("mail.request.approved.subject", "mail.request.approved.body"),
    "request.rejected": MailTemplate("mail.request.rejected.subject", "mail.request.rejected.body"),
    "request.completed": MailTemplate("mail.request.completed.subject", "mail.request.completed.body"),
    "request.failed": MailTemplate("mail.request.failed.subject", "mail.request.failed.body"),
    "request.cancelled": MailTemplate("mail.request.cancelled.subject", "mail.request.cancelled.body"),
    "request.expired": MailTemplate("mail.request.expired.subject", "mail.request.expired.body"),
    # To approvers: a card reached them, a reminder, an escalation.
    "request.decide": MailTemplate("mail.request.decide.subject", "mail.request.decide.body"),
    "request.reminder": MailTemplate("mail.request.reminder.subject", "mail.request.reminder.body"),
    "request.escalated": MailTemplate("mail.request.escalated.subject", "mail.request.escalated.body"),
    # To an incident's reporter, on each change of its state (kinds/incidents/).
    "incident.filed": MailTemplate("mail.incident.filed.subject", "mail.incident.filed.body"),
    "incident.claimed": MailTemplate("mail.incident.claimed.subject", "mail.incident.claimed.body"),
    "incident.waiting": MailTemplate("mail.incident.waiting.subject", "mail.incident.waiting.body"),
    "incident.escalated": MailTemplate("mail.incident.escalated.subject", "mail.incident.escalated.body"),
    "incident.resolved": MailTemplate("mail.incident.resolved.subject", "mail.incident.resolved.body"),
    "incident.closed": MailTemplate("mail.incident.closed.subject", "mail.incident.closed.body"),
}


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render_mail(
    template: str,
    params: Mapping[str, str],
    t: Translator,
    *,
    recipient_name: str,
    request: RequestView | None = None,
    chat_link: str = "",
) -> RenderedMail:
    """The e-mail ``template`` for one reader. ``params`` fill the template's messages as they are (e-mail is not
    markdown); the request's summary follows the body when there is a request. KeyError: an unknown template."""
    chosen = TEMPLATES[template]
    values = {name: Markdown(value) for name, value in params.items()}  # Markdown = taken as it is, not escaped
    subject = " ".join(_text(t, chosen.subject, **values).split())  # one line, whatever a name held
    greeting = _text(t, "mail.greeting", recipient=Markdown(recipient_name))
    body = _text(t, chosen.body, **values)
    summary = _summary(request, t) if request is not None else []
    footer = _text(t, "mail.footer")
    link_label = _text(t, "mail.link")

    summary_title = _text(t, "mail.summary.title")
    text_parts = [greeting, body]
    if summary:
        text_parts.append("\n".join([summary_title, *(f"{label}: {value}" for label, value in summary)]))
    if chat_link:
        text_parts.append(f"{link_label}: {chat_link}")
    text_parts.append(f"-- \n{footer}")

    e = html.escape
    rows = "".join(
        f'<tr><td style="padding:2px 12px 2px 0;color:#605e5c">{e(label)}</td><td>{e(value)}</td></tr>'
        for label, value in summary
    )
    html_parts = [
        f"<p>{e(greeting)}</p>",
        f"<p>{e(body)}</p>",
    ]
    if summary:
        html_parts.append(f'<h3 style="margin:16px 0 4px">{e(summary_title)}</h3>')
        html_parts.append(f'<table style="border-collapse:collapse">{rows}</table>')
    if chat_link:
        html_parts.append(f'<p><a href="{e(chat_link)}">{e(link_label)}</a></p>')
    html_parts.append(f'<p style="color:#605e5c;font-size:smaller">{e(footer)}</p>')
    style = "font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px"
    document = (
        f'<!DOCTYPE html><html lang="{e(t.language)}"><head><meta charset="utf-8"><title>{e(subject)}</title></head>'
        f'<body style="{style}">{"".join(html_parts)}</body></html>'
    )
    return RenderedMail(subject=subject, text="\n\n".join(text_parts) + "\n", html=document)


def _summary(view: RequestView, t: Translator) -> list[tuple[str, str]]:
    """The request card's summary as (label, value) lines: what, for whom, by whom, its state and approvers, and
    each change it makes."""
    lines = [
        (_text(t, "request.field.id"), view.request_id),
        (_text(t, "request.field.kind"), _text(t, "request.kind." + view.kind)),
        (_text(t, "request.field.requester"), view.requester_name),
        (_text(t, "request.field.target"), view.target_label),
        (_text(t, "request.field.state"), _text(t, "request.state." + view.state)),
    ]
    if view.approver_names:
        lines.append((_text(t, "request.field.approvers"), ", ".join(view.approver_names)))
    if view.due_at is not None:
        lines.append((_text(t, "request.field.due"), t.datetime(view.due_at)))
    change = _text(t, "request.field.change")
    for step in view.steps:
        lines.append((change, _text(t, step.message_key, **{k: Markdown(v) for k, v in step.params.items()})))
    if view.decision and view.decision.reason:
        lines.append((_text(t, "request.field.reason"), view.decision.reason))
    return lines


def _text(t: Translator, key: str, **params: object) -> str:
    """A message as plain text: the markdown escapes the chat needs are taken out again."""
    return unescaped(str(t(key, **params)))

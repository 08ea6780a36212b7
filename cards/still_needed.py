"""The "Still needed?" card (F20): an owner of a quiet list or shared mailbox keeps it for the keep period or
deletes it; after the choice the card shows the request's state and who chose what."""

from __future__ import annotations

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Translator
from cards.verbs import Verb
from cards.views import RequestView


def still_needed_card(view: RequestView, t: Translator, *, can_decide: bool, keep_days: int,
                      notice: str | None = None) -> Element:
    """Keep / Delete while the request waits and the reader decides (the server checks every click again)."""
    body: list[Element] = [title(t("still_needed.title")), text(view.target_label)]
    if notice:
        body.append(text(notice, color="Attention"))
    body.append(facts([
        (t("request.field.id"), view.request_id),
        *((t(label), value) for label, value in view.facts),
        (t("still_needed.state"), t("request.state." + view.state)),
    ]))
    if view.decision is not None and view.decision.reason:
        body.append(text(t("still_needed.chosen", name=view.decision.approver_name, choice=view.decision.reason)))
    actions: list[Element] = []
    if can_decide and view.state == "pending":
        click = {"request_id": view.request_id, "version": view.version}
        body.append(text(t("still_needed.ask", days=keep_days)))
        actions.append(execute(t("still_needed.keep"), Verb.STILL_NEEDED_KEEP, click, style="positive"))
        actions.append({
            "type": "Action.ShowCard",
            "title": t("still_needed.delete"),
            "card": {
                "type": "AdaptiveCard",
                "body": [text(t("still_needed.delete_confirm"))],
                "actions": [execute(t("still_needed.confirm_delete"), Verb.STILL_NEEDED_DELETE, click,
                                    style="destructive")],
            },
        })
    return card(body, actions)

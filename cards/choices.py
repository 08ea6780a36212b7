"""What every decider's card of a desk-filed request shares (cards/orphans.py, cards/still_needed.py): the head —
title, resource, a notice, the request's facts and state, who chose what — the click data of its choices, and a
destructive choice behind a confirmation."""

from __future__ import annotations

from typing import Any

from cards.elements import Element, execute, facts, text, title
from cards.i18n import Translator
from cards.requests import decider_name
from cards.views import RequestView


def choice_head(view: RequestView, t: Translator, *, title_key: str, state_key: str, chosen_key: str,
                notice: str | None) -> list[Element]:
    """The card's body up to its choices, in the kind's words (``chosen_key`` takes ``name`` and ``choice``)."""
    body: list[Element] = [title(t(title_key)), text(view.target_label)]
    if notice:
        body.append(text(notice, color="Attention"))
    body.append(facts([
        (t("request.field.id"), view.request_id),
        *((t(label), value) for label, value in view.facts),
        (t(state_key), t("request.state." + view.state)),
    ]))
    if view.decision is not None and view.decision.reason:
        # A delegate's choice (F15) reads "X for Y", as on the Approve / Reject cards.
        body.append(text(t(chosen_key, name=decider_name(view.decision, t), choice=view.decision.reason)))
    return body


def choice_click(view: RequestView) -> dict[str, Any]:
    """What each choice sends back: the request and the version the card shows (a stale card is refused)."""
    return {"request_id": view.request_id, "version": view.version}


def confirmed(label: str, warning: str, confirm: str, verb: str, click: dict[str, Any]) -> Element:
    """A destructive choice: its button opens the warning, and only the confirmation sends the click."""
    return {
        "type": "Action.ShowCard",
        "title": label,
        "card": {"type": "AdaptiveCard", "body": [text(warning)],
                 "actions": [execute(confirm, verb, click, style="destructive")]},
    }

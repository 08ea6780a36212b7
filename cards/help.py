"""The help card: what the desk can do, with buttons for the common requests."""

from __future__ import annotations

from collections.abc import Sequence

from cards.elements import Element, card, execute, text, title
from cards.i18n import Translator
from cards.verbs import Verb


def help_card(t: Translator, topics: Sequence[str], *, greeting: str | None = None) -> Element:
    """``topics``: one line each (message keys), from the registry of request kinds."""
    body: list[Element] = [title(t("desk.name"))]
    if greeting:
        body.append(text(greeting))
    body.append(text(t("help.intro")))
    body.extend(text("• " + t(key)) for key in topics)
    # Shown to everyone (the card is pure and knows no roles); the commands themselves check who asks.
    body.append(text(t("help.admins"), subtle=True))
    actions = [
        execute(t("help.button.license"), Verb.LICENSE_SUBMIT, {"form": True}),
        execute(t("help.button.my_requests"), Verb.MY_REQUESTS, {}),
    ]
    return card(body, actions)

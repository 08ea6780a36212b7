"""The help card: what the desk can do, with buttons for the common requests."""

from __future__ import annotations

from cards.elements import Element, card, execute, text, title
from cards.i18n import Translator
from cards.verbs import Verb


def help_card(t: Translator, *, greeting: str | None = None) -> Element:
    body: list[Element] = [title(t("desk.name"))]
    if greeting:
        body.append(text(greeting))
    body.append(text(t("help.intro")))
    topics = (
        "help.license",
        "help.license_changes",
        "help.seat_orders",
        "help.licenses",
        "help.join",
        "help.lists",
        "help.list_changes",
        "help.mailboxes",
        "help.my_requests",
        "help.help",
    )
    body.extend(text("• " + t(key)) for key in topics)
    # Shown to everyone (the card is pure and knows no roles); the commands themselves check who asks.
    body.append(text(t("help.admins"), subtle=True))
    actions = [
        execute(t("help.button.license"), Verb.LICENSE_SUBMIT, {"form": True}),
        execute(t("help.button.my_requests"), Verb.MY_REQUESTS, {}),
    ]
    return card(body, actions)

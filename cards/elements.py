"""Small Adaptive Card building blocks shared by every card (schema 1.5, as Teams renders it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cards.i18n import unescaped

CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"

Element = dict[str, Any]


def card(body: list[Element], actions: list[Element] | None = None) -> Element:
    result: Element = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body}
    if actions:
        result["actions"] = actions
    return result


def title(text: str) -> Element:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "wrap": True}


def text(value: str, *, subtle: bool = False, color: str | None = None, weight: str | None = None) -> Element:
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if color:
        block["color"] = color
    if weight:
        block["weight"] = weight
    return block


def facts(pairs: Sequence[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in pairs]}


def execute(title_text: str, verb: str, data: dict[str, Any], *, style: str | None = None) -> Element:
    action: Element = {"type": "Action.Execute", "title": title_text, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


# Fields Adaptive Cards show as they are, without markdown: the Translator's escapes would show there as backslashes.
_PLAIN_FIELDS = {"title", "label", "placeholder", "value", "valueOn", "valueOff"}


def as_shown(element: Any) -> Any:
    """A copy of a card whose plain-text fields (button titles, input labels and values, choices) read as written;
    TextBlocks and facts, which Teams renders as markdown, keep their escapes."""
    if isinstance(element, list):
        return [as_shown(item) for item in element]
    if not isinstance(element, dict):
        return element
    plain_here = str(element.get("type", "")).startswith(("Action.", "Input."))
    copied: dict[str, Any] = {}
    for key, value in element.items():
        if plain_here and key in _PLAIN_FIELDS and isinstance(value, str):
            copied[key] = unescaped(value)
        elif plain_here and key == "choices" and isinstance(value, list):
            copied[key] = [_choice_as_shown(choice) for choice in value]
        else:
            copied[key] = as_shown(value)
    return copied


def _choice_as_shown(choice: Any) -> Any:
    if isinstance(choice, dict) and isinstance(choice.get("title"), str):
        return {**choice, "title": unescaped(choice["title"])}
    return choice

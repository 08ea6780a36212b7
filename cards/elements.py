"""Small Adaptive Card building blocks shared by every card (schema 1.5, as Teams renders it)."""

from __future__ import annotations

from typing import Any

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


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in pairs]}


def execute(title_text: str, verb: str, data: dict[str, Any], *, style: str | None = None) -> Element:
    action: Element = {"type": "Action.Execute", "title": title_text, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action

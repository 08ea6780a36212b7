"""The "did you mean …?" cards: near-miss commands (a button runs each) and near names of lists and mailboxes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cards.elements import Element, card, execute, text
from cards.i18n import Translator
from cards.verbs import Verb


@dataclass(frozen=True, slots=True)
class SuggestionsView:
    typed: str  # what the person wrote, as the parser saw it
    commands: tuple[str, ...]  # full commands, best first


@dataclass(frozen=True, slots=True)
class NearName:
    """A list or shared mailbox whose name is close to what was typed, and what its button does."""

    label: str  # its display name
    verb: Verb  # open it, or run the person's command again for exactly this one (by its id)
    data: Mapping[str, Any]


def suggestions_card(view: SuggestionsView, t: Translator) -> Element:
    """One button per candidate; clicking it runs the command as if typed (Verb.RUN_COMMAND)."""
    body = [text(t("suggest.did_you_mean", text=view.typed))]
    actions = [execute(command, Verb.RUN_COMMAND, {"text": command}) for command in view.commands]
    actions.append(execute(t("suggest.button.help"), Verb.SHOW_HELP, {}))
    return card(body, actions)


def near_names_card(typed: str, kind: str, names: tuple[NearName, ...], t: Translator) -> Element:
    """A list (``kind`` "list") or shared mailbox that was not found, and a button per near name."""
    key = "suggest.list_not_found" if kind == "list" else "suggest.mailbox_not_found"
    actions = [execute(name.label, name.verb, dict(name.data)) for name in names]
    actions.append(execute(t("suggest.button.help"), Verb.SHOW_HELP, {}))
    return card([text(t(key, name=typed))], actions)

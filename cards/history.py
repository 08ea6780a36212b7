"""The admins' history card: one page of requests and incidents matching the filters, newest first, with page
buttons that carry the filters (typed click data, checked again on the server) and the CSV link once one was asked
for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards.elements import Element, card, execute, text, title
from cards.i18n import Translator, plain
from cards.incidents import state_name as incident_state_name
from cards.verbs import Verb

# The page buttons' verb; the history family (kinds/history/) routes it.
PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class HistoryLine:
    public_id: str
    kind: str
    requester: str
    target: str
    state: str
    created_at: datetime
    priority: str | None = None  # set for an incident (P1–P4); None for a request

    @property
    def is_incident(self) -> bool:
        return self.priority is not None


@dataclass(frozen=True, slots=True)
class HistoryView:
    """One page: ``filters`` as the admin could type them again, ``page_data`` the click data every page button
    carries (the filters) without its offset, ``has_more`` whether a next page exists."""

    filters: str
    lines: tuple[HistoryLine, ...]
    offset: int
    has_more: bool
    page_data: dict[str, Any]
    csv_example: str
    csv_url: str | None = None


def history_card(view: HistoryView, t: Translator) -> Element:
    body: list[Element] = [title(t("history.title"))]
    body.append(text(t("history.filters", filters=view.filters) if view.filters else t("history.filters.none"),
                     subtle=True))
    if not view.lines:
        body.append(text(t("history.empty")))
    else:
        first, last = view.offset + 1, view.offset + len(view.lines)
        body.append(text(t("history.range", first=t.number(first), last=t.number(last)), subtle=True))
        body.extend(_line(line, t) for line in view.lines)
    actions: list[Element] = []
    if view.offset > 0:
        previous = max(view.offset - PAGE_SIZE, 0)
        actions.append(execute(t("history.previous"), Verb.HISTORY_PAGE, {**view.page_data, "offset": previous}))
    if view.has_more:
        following = view.offset + len(view.lines)
        actions.append(execute(t("history.next"), Verb.HISTORY_PAGE, {**view.page_data, "offset": following}))
    if view.csv_url:
        actions.append({"type": "Action.OpenUrl", "title": t("history.csv_button"), "url": view.csv_url})
    elif view.lines:
        body.append(text(t("history.csv_hint", example=view.csv_example), subtle=True))
    return card(body, actions)


def _line(line: HistoryLine, t: Translator) -> Element:
    if line.is_incident:
        heading = f"**{line.public_id}** · {t('history.incident', priority=line.priority or '')}"
        state = incident_state_name(line.state, t)
    else:
        heading = f"**{line.public_id}** · {plain(kind_name(line.kind, t))}"
        state = state_name(line.state, t)
    return {
        "type": "ColumnSet",
        "separator": True,
        "columns": [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    text(heading),
                    text(f"{plain(line.requester)} → {plain(line.target)} · {t.datetime(line.created_at)}",
                         subtle=True),
                ],
            },
            {"type": "Column", "width": "auto", "items": [text(state, weight="Bolder")]},
        ],
    }


def kind_name(kind: str, t: Translator) -> str:
    """The kind's name in the reader's language; its id for a kind this desk no longer has a message for."""
    try:
        return t("request.kind." + kind)
    except KeyError:
        return kind


def state_name(state: str, t: Translator) -> str:
    try:
        return t("request.state." + state)
    except KeyError:
        return state

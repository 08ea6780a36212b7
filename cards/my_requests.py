"""The "my requests" card: a person's recent requests, and those others filed about them, with their states."""

from __future__ import annotations

from cards.elements import Element, card, text, title
from cards.i18n import Translator
from cards.views import MyRequestsView, RequestSummaryView


def my_requests_card(view: MyRequestsView, t: Translator) -> Element:
    body: list[Element] = [title(t("my_requests.title"))]
    if not view.items and not view.about_me:
        body.append(text(t("my_requests.empty")))
        return card(body)
    body += [_row(item, t) for item in view.items]
    if view.about_me:
        body.append(text(t("my_requests.about_me"), weight="Bolder"))
        body += [_row(item, t, by=True) for item in view.about_me]
    return card(body)


def _row(item: RequestSummaryView, t: Translator, *, by: bool = False) -> Element:
    detail = f"{item.target_label} · {t.datetime(item.created_at)}"
    if by:
        detail += " · " + t("my_requests.by", name=item.requested_by)
    return {
        "type": "ColumnSet",
        "separator": True,
        "columns": [
            {
                "type": "Column",
                "width": "stretch",
                "items": [
                    text(f"**{item.request_id}** · {t('request.kind.' + item.kind)}"),
                    text(detail, subtle=True),
                ],
            },
            {
                "type": "Column",
                "width": "auto",
                "items": [text(t("request.state." + item.state), weight="Bolder")],
            },
        ],
    }

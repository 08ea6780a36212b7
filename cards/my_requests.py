"""The "my requests" card: a person's recent requests and their states."""

from __future__ import annotations

from cards.elements import Element, card, text, title
from cards.i18n import Translator
from cards.views import MyRequestsView


def my_requests_card(view: MyRequestsView, t: Translator) -> Element:
    body: list[Element] = [title(t("my_requests.title"))]
    if not view.items:
        body.append(text(t("my_requests.empty")))
        return card(body)
    for item in view.items:
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            text(f"**{item.request_id}** · {t('request.kind.' + item.kind)}"),
                            text(f"{item.target_label} · {t.datetime(item.created_at)}", subtle=True),
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [text(t("request.state." + item.state), weight="Bolder")],
                    },
                ],
            }
        )
    return card(body)

"""The admins' unused lists / unused shared mailboxes card (F20): one page of quiet resources with owners, last
activity (or "never seen in N days of history") and members or delegates, page buttons and the CSV link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from cards.elements import Element, card, execute, facts, text, title
from cards.i18n import Markdown, Translator
from cards.verbs import Verb

PAGE_SIZE = 10
LISTS, MAILBOXES = "lists", "mailboxes"


@dataclass(frozen=True, slots=True)
class UnusedLine:
    """A quiet resource; ``last_activity`` None = never seen (lists: in ``history_days`` of the desk's record)."""

    name: str
    address: str
    owners: tuple[str, ...]
    last_activity: datetime | date | None
    history_days: int
    people: int  # a list's direct members, a mailbox's delegates


@dataclass(frozen=True, slots=True)
class UnusedView:
    what: str  # LISTS | MAILBOXES
    days: int
    as_of: datetime
    items: tuple[UnusedLine, ...]
    total: int
    offset: int = 0
    # Lists only: how many days of mail the desk has watched, when fewer than ``days`` (never-seen lists wait).
    short_history_days: int | None = None
    page_size: int = PAGE_SIZE
    csv_url: str | None = None
    csv_example: str = "unused lists csv"


def last_activity_words(item: UnusedLine, what: str, t: Translator) -> str:
    if item.last_activity is None:
        if what == LISTS:
            return t("usage.never_seen", days=item.history_days)
        return t("usage.never_active")
    if isinstance(item.last_activity, datetime):
        return t.datetime(item.last_activity)
    return item.last_activity.isoformat()  # the report gives a day, not a moment


def _line(item: UnusedLine, what: str, t: Translator) -> list[Element]:
    people_label = t("usage.field.members") if what == LISTS else t("usage.field.delegates")
    return [
        text(f"**{item.name}** <{item.address}>"),
        facts([
            (t("usage.field.owners"), ", ".join(item.owners) or t("usage.no_owners")),
            (t("usage.field.last_activity"), last_activity_words(item, what, t)),
            (people_label, t.number(item.people)),
        ]),
    ]


def unused_card(view: UnusedView, t: Translator) -> Element:
    """The page of quiet resources; page buttons carry only what, the period and where (read again on click)."""
    lists = view.what == LISTS
    body: list[Element] = [
        title(t("usage.title.lists") if lists else t("usage.title.mailboxes")),
        text(t("usage.basis.lists", days=view.days, time=t.datetime(view.as_of)) if lists
             else t("usage.basis.mailboxes", days=view.days, time=t.datetime(view.as_of)), subtle=True),
        text(t("usage.count.lists", count=view.total) if lists else t("usage.count.mailboxes", count=view.total),
             weight="Bolder"),
    ]
    if view.short_history_days is not None:
        body.append(text(t("usage.short_history", history=view.short_history_days, days=view.days),
                         color="Warning"))
    if not view.items:
        body.append(text(t("usage.none"), subtle=True))
    for item in view.items:
        body.extend(_line(item, view.what, t))
    actions: list[Element] = []
    if view.offset > 0:
        back = max(view.offset - view.page_size, 0)
        actions.append(execute(t("usage.previous"), Verb.USAGE_PAGE,
                               {"what": view.what, "days": view.days, "offset": back}))
    if view.offset + len(view.items) < view.total:
        further = view.offset + len(view.items)
        actions.append(execute(t("usage.next"), Verb.USAGE_PAGE,
                               {"what": view.what, "days": view.days, "offset": further}))
    if view.csv_url:
        body.append(text(t("usage.csv_link", url=Markdown(view.csv_url))))
    else:
        body.append(text(t("usage.csv_hint", example=view.csv_example), subtle=True))
    return card(body, actions)

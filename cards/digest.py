"""The channel digest card (F21): what waits and what breached its SLA, orphaned lists and mailboxes, and the last
period's numbers, with the commands (and a link to the desk's chat) that show more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cards.elements import Element, card, facts, text, title
from cards.i18n import Translator

NO_VALUE = "—"
_HOUR, _DAY = 3600.0, 86400.0


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One waiting request as the digest names it."""

    public_id: str
    target_label: str
    requester_name: str
    created_at: datetime
    due_at: datetime | None
    breached: bool


@dataclass(frozen=True, slots=True)
class DigestContent:
    """Everything the card shows, read for one period [period_start, period_end)."""

    period_start: datetime
    period_end: datetime
    waiting: int
    breached: int
    oldest: tuple[DigestItem, ...]
    orphaned_lists: int
    orphaned_mailboxes: int
    orphans_filed: int  # the desk's clean-up requests for newly orphaned resources in the period
    filed: int
    decided: int
    completed: int
    median_decision_seconds: float | None
    chat_url: str | None = None  # a deep link to the bot's personal chat, where the commands answer


def _duration(t: Translator, seconds: float | None) -> str:
    if seconds is None:
        return NO_VALUE
    if seconds < _DAY:
        return t("digest.hours", hours=t.number(round(seconds / _HOUR, 1)))
    return t("digest.days", days=t.number(round(seconds / _DAY, 1)))


def digest_card(content: DigestContent, t: Translator) -> Element:
    body: list[Element] = [
        title(t("digest.title")),
        text(t("digest.period", start=t.datetime(content.period_start), end=t.datetime(content.period_end)),
             subtle=True),
        text(t("digest.queue.heading"), weight="Bolder"),
        facts([
            (t("digest.queue.waiting"), t.number(content.waiting)),
            (t("digest.queue.breached"), t.number(content.breached)),
        ]),
    ]
    for item in content.oldest:
        marker = t("digest.queue.breach_marker") if item.breached else ""
        body.append(text(
            t("digest.queue.item", id=item.public_id, target=item.target_label, requester=item.requester_name,
              since=t.datetime(item.created_at), marker=marker),
            color="Attention" if item.breached else None,
        ))
    if content.waiting > len(content.oldest):
        body.append(text(t("digest.queue.more", command=t("digest.command.pending")), subtle=True))
    body += [
        text(t("digest.orphans.heading"), weight="Bolder"),
        facts([
            (t("digest.orphans.lists"), t.number(content.orphaned_lists)),
            (t("digest.orphans.mailboxes"), t.number(content.orphaned_mailboxes)),
            (t("digest.orphans.filed"), t.number(content.orphans_filed)),
        ]),
        text(t("digest.numbers.heading"), weight="Bolder"),
        facts([
            (t("digest.numbers.filed"), t.number(content.filed)),
            (t("digest.numbers.decided"), t.number(content.decided)),
            (t("digest.numbers.completed"), t.number(content.completed)),
            (t("digest.numbers.median_decision"), _duration(t, content.median_decision_seconds)),
        ]),
        text(t("digest.more", pending=t("digest.command.pending"), orphaned=t("digest.command.orphaned"),
               statistics=t("digest.command.statistics")), subtle=True),
    ]
    actions = (
        [{"type": "Action.OpenUrl", "title": t("digest.open_chat"), "url": content.chat_url}]
        if content.chat_url else None
    )
    return card(body, actions)

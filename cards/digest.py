"""The channel digest card (F21, F22): what waits and what breached its SLA, orphaned and unused lists and mailboxes,
license waste and the period's license alerts, the last period's numbers and a request-volume chart, with the
commands (and a link to the desk's chat) that show more; and the approvers' morning digest card of what waits
for their decision."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

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
class DigestUnused:
    """Lists or mailboxes quiet for ``days``: how many, and the first few names (never-seen and oldest first)."""

    days: int
    count: int
    top: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestWaste:
    """Wasted seats as the license report counts them, and what they cost a month (per currency)."""

    seats: int
    monthly: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True, slots=True)
class DigestAlert:
    """A license alert the admins were sent in the period: its condition (low_seats | ending) and raw values."""

    condition: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DigestChart:
    """The chart image behind its signed link, and what it shows in words."""

    url: str
    alt_text: str


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
    # None: the desk cannot tell (not collected yet, names concealed, tenant unreadable) — said so, never a false 0.
    unused_lists: DigestUnused | None = None
    unused_mailboxes: DigestUnused | None = None
    waste: DigestWaste | None = None
    alerts: tuple[DigestAlert, ...] = ()
    chart: DigestChart | None = None


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
        *_unused_section(content, t),
        *_license_section(content, t),
        text(t("digest.numbers.heading"), weight="Bolder"),
        facts([
            (t("digest.numbers.filed"), t.number(content.filed)),
            (t("digest.numbers.decided"), t.number(content.decided)),
            (t("digest.numbers.completed"), t.number(content.completed)),
            (t("digest.numbers.median_decision"), _duration(t, content.median_decision_seconds)),
        ]),
        *([{"type": "Image", "id": "digest-chart", "url": content.chart.url, "altText": content.chart.alt_text,
             "size": "Stretch"}] if content.chart else []),
        text(t("digest.more", pending=t("digest.command.pending"), orphaned=t("digest.command.orphaned"),
               statistics=t("digest.command.statistics")), subtle=True),
    ]
    actions = (
        [{"type": "Action.OpenUrl", "title": t("digest.open_chat"), "url": content.chat_url}]
        if content.chat_url else None
    )
    return card(body, actions)


def _unused_lines(unknown: str, counted: str, section: DigestUnused | None, t: Translator) -> list[Element]:
    if section is None:
        return [text(t(unknown), subtle=True)]
    lines = [text(t(counted, count=section.count, days=t.number(section.days)))]
    if section.top:
        more = section.count - len(section.top)
        names = ", ".join(section.top) + (" " + t("digest.unused.more", count=more) if more > 0 else "")
        lines.append(text(names, subtle=True))
    return lines


def _unused_section(content: DigestContent, t: Translator) -> list[Element]:
    return [
        text(t("digest.unused.heading"), weight="Bolder"),
        *_unused_lines("digest.unused.lists_unknown", "digest.unused.lists", content.unused_lists, t),
        *_unused_lines("digest.unused.mailboxes_unknown", "digest.unused.mailboxes", content.unused_mailboxes, t),
    ]


def _alert_line(alert: DigestAlert, t: Translator) -> str:
    plan = str(alert.params.get("plan", ""))
    if alert.condition == "low_seats":
        return t("digest.alert.low_seats", plan=plan, free=t.number(int(alert.params.get("free", 0))))
    return t("digest.alert.ending", plan=plan, days=t.number(int(alert.params.get("days", 0))))


def _license_section(content: DigestContent, t: Translator) -> list[Element]:
    body: list[Element] = [text(t("digest.licenses.heading"), weight="Bolder")]
    if content.waste is None:
        body.append(text(t("digest.licenses.unknown"), subtle=True))
    else:
        money = " + ".join(t.money(amount, currency) for currency, amount in content.waste.monthly) or NO_VALUE
        body.append(facts([
            (t("digest.licenses.wasted"), t.number(content.waste.seats)),
            (t("digest.licenses.cost"), money),
        ]))
    if content.alerts:
        body += [text(_alert_line(alert, t), color="Warning") for alert in content.alerts]
    else:
        body.append(text(t("digest.alert.none"), subtle=True))
    return body


@dataclass(frozen=True, slots=True)
class MorningItem:
    """One pending request an approver may decide, as their morning digest names it."""

    public_id: str
    target_label: str
    requester_name: str
    created_at: datetime
    due_at: datetime | None
    breached: bool


def morning_card(items: tuple[MorningItem, ...], total: int, t: Translator) -> Element:
    """An approver's morning digest: what waits for their decision, oldest first, and how to open the rest."""
    body: list[Element] = [title(t("digest.morning.title")), text(t("digest.morning.waiting", count=total))]
    for item in items:
        marker = t("digest.queue.breach_marker") if item.breached else ""
        body.append(text(
            t("digest.queue.item", id=item.public_id, target=item.target_label, requester=item.requester_name,
              since=t.datetime(item.created_at), marker=marker),
            color="Attention" if item.breached else None,
        ))
    body.append(text(t("digest.morning.how", command=t("digest.command.pending"),
                       off=t("digest.morning.off_command")), subtle=True))
    return card(body, None)

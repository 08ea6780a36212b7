"""The SLA compliance card (F17): per request kind, how many requests of a month met their due time; and apart from
them, per priority, how many incidents (F18) got their first response and their resolution in time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from cards.elements import Element, card, facts, text, title
from cards.i18n import Translator

NO_VALUE = "—"


@dataclass(frozen=True, slots=True)
class SlaKindLine:
    """One request kind's figures for the month; `breached` counts finished late and open past due alike."""

    kind: str
    target_days: float  # business days
    submitted: int
    finished: int
    on_time: int
    breached: int
    unmeasured: int = 0  # filed before due times were stored

    @property
    def compliance(self) -> float | None:
        """On time out of all requests whose SLA outcome is known; None while none is."""
        judged = self.on_time + self.breached
        return self.on_time / judged if judged else None


@dataclass(frozen=True, slots=True)
class SlaIncidentLine:
    """One incident priority's figures for the month: first response and resolution against their due times
    (``breached`` counts resolved late and open past due alike)."""

    priority: str
    opened: int
    resolved: int
    responded_on_time: int
    response_breached: int
    on_time: int
    breached: int

    @property
    def compliance(self) -> float | None:
        judged = self.on_time + self.breached
        return self.on_time / judged if judged else None


@dataclass(frozen=True, slots=True)
class SlaReportView:
    month: date  # the first day of the month reported on
    as_of: datetime  # open requests are judged at this time
    lines: tuple[SlaKindLine, ...] = field(default=())
    previous_month: str = ""  # "YYYY-MM", for the hint on asking about another month
    incidents: tuple[SlaIncidentLine, ...] = field(default=())


def sla_card(view: SlaReportView, t: Translator) -> Element:
    body: list[Element] = [title(t("sla.title", month=t.month(view.month)))]
    if not view.lines:
        body.append(text(t("sla.empty", month=t.month(view.month))))
    body.extend(_kind_section(line, t) for line in view.lines)
    if view.incidents:
        body.append({**text(t("sla.incidents.title"), weight="Bolder"), "separator": True, "spacing": "Large"})
        body.extend(_incident_section(line, t) for line in view.incidents)
    body.append(text(t("sla.note", time=t.datetime(view.as_of)), subtle=True))
    if view.previous_month:
        body.append(text(t("sla.hint", example=f"sla {view.previous_month}"), subtle=True))
    return card(body)


def _kind_section(line: SlaKindLine, t: Translator) -> Element:
    compliance = line.compliance
    pairs = [
        (t("sla.submitted"), t.number(line.submitted)),
        (t("sla.finished"), t.number(line.finished)),
        (t("sla.on_time"), t.number(line.on_time)),
        (t("sla.breached"), t.number(line.breached)),
        (t("sla.compliance"), NO_VALUE if compliance is None else t.percent(compliance)),
    ]
    if line.unmeasured:
        pairs.append((t("sla.unmeasured"), t.number(line.unmeasured)))
    return {
        "type": "Container",
        "id": f"kind-{line.kind}",
        "separator": True,
        "items": [
            text(f"**{t('request.kind.' + line.kind)}**"),
            text(t("sla.target", days=t.number(line.target_days)), subtle=True),
            facts(pairs),
        ],
    }


def _incident_section(line: SlaIncidentLine, t: Translator) -> Element:
    compliance = line.compliance
    pairs = [
        (t("sla.incidents.opened"), t.number(line.opened)),
        (t("sla.incidents.resolved"), t.number(line.resolved)),
        (t("sla.incidents.response"), t("sla.incidents.on_time_late", on_time=t.number(line.responded_on_time),
                                        late=t.number(line.response_breached))),
        (t("sla.incidents.resolution"), t("sla.incidents.on_time_late", on_time=t.number(line.on_time),
                                          late=t.number(line.breached))),
        (t("sla.compliance"), NO_VALUE if compliance is None else t.percent(compliance)),
    ]
    return {
        "type": "Container",
        "id": f"incidents-{line.priority}",
        "separator": True,
        "items": [text(f"**{t('sla.incidents.priority', priority=line.priority)}**"), facts(pairs)],
    }

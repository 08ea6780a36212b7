"""The admins' "sla" report (F17): per request kind, a month's requests against their due times; and per priority,
its incidents (F18) against theirs, counted apart from requests."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cards.sla import SlaIncidentLine, SlaKindLine, SlaReportView, sla_card
from handlers.commands import ShowSla
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestState
from handlers.services import Services, is_admin
from storage.queries import sla_counts
from storage.statistics_queries import incident_figures

_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$")
_FINAL_STATES = frozenset(state.value for state in RequestState if state.is_final)


async def show_sla(services: Services, actor: Actor, command: ShowSla) -> Reply:
    """Checks the admins group on the server first, then the month; reads only, so nothing can change."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("sla.not_admin"))
    now = services.clock()
    zone = services.calendar.zone
    # "This month" is the calendar's month, where the SLA is kept, not the reader's or UTC's.
    month = parse_month(command.month, default=now.astimezone(zone).date())
    if month is None:
        return Reply(text=t("sla.bad_month", month=command.month[:40]))
    start, end = month_bounds(month, zone)
    async with services.uow() as uow:
        counts = await sla_counts(uow.session, start=start, end=end, now=now, final_states=_FINAL_STATES)
        incidents = await incident_figures(uow.session, start=start, end=end, now=now)
    lines = tuple(
        SlaKindLine(
            kind=row.kind,
            target_days=services.sla.days_for(row.kind),
            submitted=row.submitted,
            finished=row.finished,
            on_time=row.on_time,
            breached=row.breached,
            unmeasured=row.unmeasured,
        )
        for row in counts
    )
    previous = (month - timedelta(days=1)).replace(day=1)
    incident_lines = tuple(
        SlaIncidentLine(
            priority=row.priority,
            opened=row.opened,
            resolved=row.resolved,
            responded_on_time=row.responded_on_time,
            response_breached=row.response_breached,
            on_time=row.on_time,
            breached=row.breached,
        )
        for row in incidents
    )
    view = SlaReportView(month=month, as_of=now, lines=lines, previous_month=f"{previous:%Y-%m}",
                         incidents=incident_lines)
    return Reply(card=sla_card(view, t))


def parse_month(text: str, *, default: date) -> date | None:
    """ "2026-11" → 1 November 2026; "" → the month of `default`; anything else (or a month 13) → None."""
    text = text.strip()
    if not text:
        return default.replace(day=1)
    found = _MONTH.match(text)
    if found is None:
        return None
    year, month = int(found["year"]), int(found["month"])
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        return None
    return date(year, month, 1)


def month_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The month as [start, end) instants: local midnights of its first day and of the next month's."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    # Local midnight is never skipped or repeated in the zones the desk serves (DST changes at 02:00-03:00).
    return datetime(month.year, month.month, 1, tzinfo=zone), datetime(following.year, following.month, 1, tzinfo=zone)

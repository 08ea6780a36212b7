"""Answering `history …` and its page buttons: the admin check, the query resolved against the registry and the
desk's calendar, one page of the card, and the CSV behind a signed short-lived link (as the license report's)."""

from __future__ import annotations

import csv
import io
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cards.history import PAGE_SIZE, HistoryLine, HistoryView, history_card
from cards.i18n import Markdown
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestState
from handlers.services import Services, is_admin
from kinds.card_data import bounded
from kinds.history.grammar import (
    FAMILY_WORDS,
    MAX_DAYS,
    MAX_VALUE,
    RESOURCE_PREFIXES,
    STATE_WORDS,
    HistoryQuery,
    ShowHistory,
)
from kinds.licenses.reports import CSV_TYPE, token_hash
from kinds.registry import Registry
from storage.repositories.history import HistoryFilter, HistoryRepository, HistoryRow

logger = logging.getLogger(__name__)

CSV_NAME = "request-history.csv"
# A CSV is one stored row (report_files.content): beyond this many requests the admin narrows the filters.
CSV_MAX_ROWS = 10_000
MAX_OFFSET = 1_000_000
_EXAMPLES = {"en": "history … csv", "pl": "historia … csv", "de": "Verlauf … csv"}
# The family each resource filter looks in: a plan is a license's or a seat order's.
_RESOURCE_FAMILIES = {"list": ("lists",), "mailbox": ("mailboxes",), "plan": ("licenses", "seats")}
_STATES = frozenset(state for states in STATE_WORDS.values() for state in states)
_REQUEST_STATES = frozenset(state.value for state in RequestState)
# A stored state word → the incident states it means: an incident's own, or "waiting" and "done" as incidents are.
_INCIDENT_STATES: dict[str, tuple[str, ...]] = {
    RequestState.PENDING.value: ("new", "in_progress", "waiting_for_user"),
    RequestState.COMPLETED.value: ("resolved", "closed"),
    "new": ("new",),
    "resolved": ("resolved",),
    "closed": ("closed",),
}
_FAMILIES = frozenset(FAMILY_WORDS.values())
# Spreadsheets run cells that start with these as formulas; a name or target must never become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """A page button: the filters of the card it was on (as values, re-checked here) and which page to show."""

    offset: int | None = None
    person: str | None = bounded(MAX_VALUE, optional=True)
    families: str | None = bounded(200, optional=True)  # comma-separated family names
    kinds: str | None = bounded(400, optional=True)  # comma-separated kind ids
    states: str | None = bounded(200, optional=True)  # comma-separated stored states
    resource_type: str | None = bounded(20, optional=True)
    resource: str | None = bounded(MAX_VALUE, optional=True)
    since: str | None = bounded(10, optional=True)  # ISO dates
    until: str | None = bounded(10, optional=True)
    last_days: int | None = None
    text: str | None = bounded(MAX_VALUE, optional=True)


async def show_history(services: Services, actor: Actor, command: ShowHistory) -> Reply:
    """Checks the admins group first: a non-admin learns nothing, not even whether the filters were readable."""
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("history.not_admin"))
    if command.problem is not None:
        return Reply(text=t("history.bad_filter", word=command.problem))
    return await _answer(services, actor, command.query, offset=0, wants_csv=command.csv)


async def page_clicked(services: Services, actor: Actor, data: HistoryPage) -> Reply:
    t = actor_translator(actor)
    if not await is_admin(services, actor):
        return Reply(text=t("history.not_admin"))
    query = query_of_click(data)
    if query is None:
        return Reply(text=t("error.bad_card"))
    offset = data.offset if data.offset is not None and 0 <= data.offset <= MAX_OFFSET else 0
    return await _answer(services, actor, query, offset=offset, wants_csv=False)


async def _answer(services: Services, actor: Actor, query: HistoryQuery, *, offset: int, wants_csv: bool) -> Reply:
    t = actor_translator(actor)
    unknown = [kind for kind in query.kinds if kind not in {k.id for k in services.kinds.kinds}]
    if unknown:
        return Reply(text=t("history.bad_filter", word=unknown[0][:40]))
    wanted = resolve(query, services.kinds, now=services.clock(), zone=services.calendar.zone)
    async with services.uow() as uow:
        rows = await HistoryRepository(uow.session).search(wanted, offset=offset, limit=PAGE_SIZE + 1)
    view = HistoryView(
        filters=describe(query),
        lines=tuple(_line(row) for row in rows[:PAGE_SIZE]),
        offset=offset,
        has_more=len(rows) > PAGE_SIZE,
        page_data=click_data(query),
        csv_example=_EXAMPLES[t.language],
    )
    if not wants_csv:
        return Reply(card=history_card(view, t))
    policy = services.reports
    now = services.clock()
    token = secrets.token_urlsafe(32)
    async with services.uow() as uow:
        everything = await HistoryRepository(uow.session).search(wanted, offset=0, limit=CSV_MAX_ROWS + 1)
        await uow.report_files.add(
            token_hash=token_hash(token),
            name=CSV_NAME,
            content_type=CSV_TYPE,
            content=history_csv(everything[:CSV_MAX_ROWS]),
            created_by=actor.user_id,
            now=now,
            expires_at=now + timedelta(minutes=policy.link_minutes),
        )
        await uow.commit()
    url = f"{policy.public_url}/reports/{token}.csv"
    logger.info("history CSV for %s, %d rows, link valid %d min", actor.user_id, len(everything), policy.link_minutes)
    message = t("history.csv_ready", url=Markdown(url), minutes=t.number(policy.link_minutes),
                count=min(len(everything), CSV_MAX_ROWS))
    if len(everything) > CSV_MAX_ROWS:
        message = Markdown(message + " " + t("history.csv_capped", count=CSV_MAX_ROWS))
    return Reply(text=message, card=history_card(replace(view, csv_url=url), t))


def resolve(query: HistoryQuery, registry: Registry, *, now: datetime, zone: ZoneInfo) -> HistoryFilter:
    """The query for the database: families and resource types become kind ids, days become instants (local
    midnights of the desk's calendar; ``until`` takes its whole day). Incidents are searched unless a filter
    names only requests (a request family or kind, a resource, a request's own state); "incidents" with no other
    family or kind, or an incident's own state, searches incidents only."""
    kinds: set[str] | None = None
    if query.families or query.kinds:
        kinds = set(query.kinds) | _kinds_of(registry, query.families)
    request_states = frozenset(state for state in query.states if state in _REQUEST_STATES)
    incident_states = frozenset(state for word in query.states for state in _INCIDENT_STATES.get(word, ()))
    if query.states and not request_states:
        kinds = set()  # only incidents' states were named
    incidents = (
        (not (query.families or query.kinds) or "incidents" in query.families)
        and query.resource_type is None
        and (not query.states or bool(incident_states))
    )
    if query.resource_type is not None:
        of_resource = _kinds_of(registry, _RESOURCE_FAMILIES[query.resource_type])
        kinds = of_resource if kinds is None else kinds & of_resource
    start = _midnight(query.since, zone) if query.since else None
    if query.last_days is not None:
        window = now - timedelta(days=query.last_days)
        start = window if start is None else max(start, window)
    end = _midnight(query.until + timedelta(days=1), zone) if query.until else None
    return HistoryFilter(
        kinds=frozenset(kinds) if kinds is not None else None,
        states=request_states,
        person=query.person,
        resource=query.resource,
        start=start,
        end=end,
        text=query.text,
        incidents=incidents,
        incident_states=incident_states,
    )


def describe(query: HistoryQuery) -> str:
    """The filters as they can be typed again (in the grammar's English words), for the card's heading."""
    words: list[str] = []
    if query.person:
        words.append(f"user:{_quoted(query.person)}")
    words.extend(query.families)
    words.extend(query.kinds)
    words.extend(query.states)
    if query.resource_type and query.resource:
        words.append(f"{query.resource_type}:{_quoted(query.resource)}")
    if query.since:
        words.append(f"from:{query.since.isoformat()}")
    if query.until:
        words.append(f"to:{query.until.isoformat()}")
    if query.last_days:
        words.append(f"last {query.last_days} days")
    if query.text:
        words.append(f'"{query.text}"')
    return " ".join(words)


def click_data(query: HistoryQuery) -> dict[str, object]:
    """What a page button carries: the filters as values (absent ones left out), read back by query_of_click."""
    data: dict[str, object] = {
        "person": query.person,
        "families": ",".join(query.families) or None,
        "kinds": ",".join(query.kinds) or None,
        "states": ",".join(query.states) or None,
        "resource_type": query.resource_type,
        "resource": query.resource,
        "since": query.since.isoformat() if query.since else None,
        "until": query.until.isoformat() if query.until else None,
        "last_days": query.last_days,
        "text": query.text,
    }
    return {key: value for key, value in data.items() if value is not None}


def query_of_click(data: HistoryPage) -> HistoryQuery | None:
    """The query a page button carries, or None when any value is not one the grammar could have produced."""
    families = _split(data.families)
    states = _split(data.states)
    kinds = _split(data.kinds)
    if not set(families) <= _FAMILIES or not set(states) <= _STATES:
        return None
    if any(len(kind) > 40 or "." not in kind for kind in kinds):
        return None
    if (data.resource_type is None) != (data.resource is None):
        return None
    if data.resource_type is not None and data.resource_type not in set(RESOURCE_PREFIXES.values()):
        return None
    if data.last_days is not None and not 1 <= data.last_days <= MAX_DAYS:
        return None
    try:
        since = date.fromisoformat(data.since) if data.since else None
        until = date.fromisoformat(data.until) if data.until else None
    except ValueError:
        return None
    return HistoryQuery(
        person=data.person,
        families=families,
        kinds=kinds,
        states=states,
        resource_type=data.resource_type,
        resource=data.resource,
        since=since,
        until=until,
        last_days=data.last_days,
        text=data.text,
    )


def history_csv(rows: list[HistoryRow]) -> str:
    """One row per request or incident, newest first; times in UTC (ISO 8601), kinds and states as stored. An
    incident's row: kind "incident", its reporter as requester, the start of its description as target, its first
    response as decided_at, its resolution as completed_at, and its priority (empty for a request)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["request", "kind", "requester", "requester_id", "target", "state", "created_at", "decided_at", "completed_at",
         "priority"]
    )
    for row in rows:
        writer.writerow([
            row.public_id, row.kind, _cell(row.requester_name), row.requester_id, _cell(row.target_label), row.state,
            _iso(row.created_at), _iso(row.decided_at), _iso(row.completed_at), row.priority or "",
        ])
    return out.getvalue()


def _kinds_of(registry: Registry, families: tuple[str, ...]) -> set[str]:
    return {kind.id for family in registry.families if family.name in families for kind in family.kinds}


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def _line(row: HistoryRow) -> HistoryLine:
    return HistoryLine(
        public_id=row.public_id, kind=row.kind, requester=row.requester_name, target=row.target_label,
        state=row.state, created_at=row.created_at, priority=row.priority if row.is_incident else None,
    )


def _split(joined: str | None) -> tuple[str, ...]:
    return tuple(part for part in (joined or "").split(",") if part)


def _quoted(value: str) -> str:
    return f'"{value}"' if " " in value else value


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value

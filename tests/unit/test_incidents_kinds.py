"""Incidents (F18) over the memory tenant: the priority matrix, the category suggested in three languages, every
allowed and refused step of the state machine, SLA due times across a weekend and a Polish holiday (and the clock
standing still while support waits for the reporter), who may act (reporter, support of the incident's level,
outsiders), INC ids unique under concurrent filing, the support channel and every card copy kept current,
auto-close once across concurrent passes, and every card valid against the Adaptive Card 1.5 schema."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk, small_tenant
from jsonschema import Draft6Validator
from sqlalchemy import select

from cards.elements import as_shown
from cards.i18n import Translator
from cards.incidents import IncidentView, report_form, reporter_card, support_card
from handlers.context import ChannelAddress, Reply
from handlers.dispatch import dispatch_click
from handlers.mail_policy import MailPolicy
from kinds.incidents import family
from kinds.incidents.auto_close import close_resolved, run_incident_pass
from kinds.incidents.categories import suggest_category
from kinds.incidents.commands import ReportProblem, SupportChannelHere, SupportChannelOff
from kinds.incidents.filing import Filing, handle_support_channel
from kinds.incidents.policy import MATRIX, IncidentPolicy, Target, priority_of
from kinds.incidents.states import TRANSITIONS, Refused, State, Step, next_state
from kinds.registry import Registry, build_registry
from m365.memory import GroupSeed, UserSeed
from storage.models import AuditEvent
from storage.models_incidents import Incident, IncidentEvent
from storage.models_mail import OutboxMail
from tests.unit.conftest import command_of

pytest_plugins = ["desk_fixture"]

SCHEMA = Path(__file__).parents[1] / "data" / "adaptive-card-1.5.schema.json"
VALIDATOR = Draft6Validator(json.loads(SCHEMA.read_text()))
WARSAW = ZoneInfo("Europe/Warsaw")
CHANNEL = ChannelAddress("19:support@thread.tacv2", "https://smba.trafficmanager.net/emea/", "tenant", "28:bot")
SECOND_LEVEL_ID = "7d2e4f10-3c5b-4a6d-8e9f-0a1b2c3d4e05"
PAWEL = UserSeed("pawel.wojcik@contoso.com", "Paweł Wójcik", department="IT", usage_location="PL")


def _warsaw(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=WARSAW).astimezone(UTC)


# -- the matrix and the policy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("impact", "urgency", "priority"), [
    ("high", "high", "P1"), ("high", "medium", "P2"), ("high", "low", "P3"),
    ("medium", "high", "P2"), ("medium", "medium", "P3"), ("medium", "low", "P4"),
    ("low", "high", "P3"), ("low", "medium", "P4"), ("low", "low", "P4"),
])
def test_impact_and_urgency_give_the_priority_of_the_3_by_3_matrix(impact: str, urgency: str, priority: str) -> None:
    assert priority_of(impact, urgency) == priority
    assert len(MATRIX) == 9


def test_sla_targets_come_from_settings_and_keep_the_defaults_left_out() -> None:
    class Configured:
        incident_first_level_group_id = "g1"
        incident_second_level_group_id = ""
        incident_sla_targets = {"P1": ["30m", "2h"]}
        incident_auto_close_days = 5.0

    policy = IncidentPolicy.from_settings(Configured())  # type: ignore[arg-type]
    assert policy.targets["P1"] == (Target(30, "m"), Target(2, "h"))
    assert policy.targets["P4"] == (Target(2, "d"), Target(10, "d"))
    assert policy.group_of(2, "admins") == "g1"  # no second level configured: the first level escalates to itself
    assert IncidentPolicy().group_of(1, "admins") == "admins"
    for bad in ({"P5": ["1h", "2h"]}, {"P1": ["1h"]}, {"P1": ["soon", "2h"]}, {"P1": ["0h", "2h"]}):
        Configured.incident_sla_targets = bad
        with pytest.raises(ValueError):
            IncidentPolicy.from_settings(Configured())  # type: ignore[arg-type]


# -- categories -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "category"), [
    ("Outlook does not sync", "mailbox"),
    ("My E3 license disappeared", "license"),
    ("I cannot send to the distribution list Sales Team", "list"),
    ("Access denied when I open the SharePoint site", "access"),
    ("The printer on floor 2 is jammed", "other"),
    ("my licnese is gone", "license"),  # a typo, found by rapidfuzz
    ("Skrzynka współdzielona nie otwiera się", "mailbox"),
    ("Nie mam licencji na Teams", "license"),
    ("Nie mogę wysłać na listę dystrybucyjną", "list"),
    ("Brak dostępu do folderu", "access"),
    ("Ekspres do kawy nie działa", "other"),
    ("Outlook synchronisiert nicht", "mailbox"),
    ("Meine Lizenz ist abgelaufen", "license"),
    ("Mail an die Verteilerliste kommt nicht an", "list"),
    ("Kein Zugriff auf den Ordner", "access"),
    ("Kein Zugriff auf das Postfach", "mailbox"),  # a mailbox problem first, access second
])
def test_the_category_is_suggested_from_the_text_in_three_languages(text: str, category: str) -> None:
    assert suggest_category(text) == category


@pytest.mark.parametrize(("text", "expected"), [
    ("report a problem: Outlook does not sync", ReportProblem("Outlook does not sync")),
    ("Report a problem", ReportProblem("")),
    ("zgłoś problem: Outlook nie synchronizuje", ReportProblem("Outlook nie synchronizuje")),
    ("Problem melden: Outlook synchronisiert nicht", ReportProblem("Outlook synchronisiert nicht")),
    ("support channel here", SupportChannelHere()),
    ("kanał wsparcia tutaj", SupportChannelHere()),
    ("Support-Kanal aus", SupportChannelOff()),
])
def test_the_commands_reach_the_incidents_family(text: str, expected: object, registry: Registry) -> None:
    assert command_of(text, registry) == expected


# -- the state machine ----------------------------------------------------------------------------------------------

ALLOWED = {
    (Step.CLAIM, State.NEW): State.IN_PROGRESS,
    (Step.CLAIM, State.IN_PROGRESS): State.IN_PROGRESS,
    (Step.CLAIM, State.WAITING_FOR_USER): State.IN_PROGRESS,
    (Step.WAIT, State.IN_PROGRESS): State.WAITING_FOR_USER,
    (Step.RESOLVE, State.IN_PROGRESS): State.RESOLVED,
    (Step.RESOLVE, State.WAITING_FOR_USER): State.RESOLVED,
    (Step.ESCALATE, State.NEW): State.NEW,
    (Step.ESCALATE, State.IN_PROGRESS): State.NEW,
    (Step.ESCALATE, State.WAITING_FOR_USER): State.NEW,
    (Step.PRIORITY, State.NEW): State.NEW,
    (Step.PRIORITY, State.IN_PROGRESS): State.IN_PROGRESS,
    (Step.PRIORITY, State.WAITING_FOR_USER): State.WAITING_FOR_USER,
    (Step.CATEGORY, State.NEW): State.NEW,
    (Step.CATEGORY, State.IN_PROGRESS): State.IN_PROGRESS,
    (Step.CATEGORY, State.WAITING_FOR_USER): State.WAITING_FOR_USER,
    (Step.COMMENT, State.NEW): State.NEW,
    (Step.COMMENT, State.IN_PROGRESS): State.IN_PROGRESS,
    (Step.COMMENT, State.WAITING_FOR_USER): State.IN_PROGRESS,
    (Step.REOPEN, State.RESOLVED): State.IN_PROGRESS,
    (Step.CONFIRM, State.RESOLVED): State.CLOSED,
    (Step.AUTO_CLOSE, State.RESOLVED): State.CLOSED,
}


@pytest.mark.parametrize(("step", "state"), [(step, state) for step in Step for state in State])
def test_every_step_is_allowed_exactly_where_the_lifecycle_says(step: Step, state: State) -> None:
    if (step, state) in ALLOWED:
        assert next_state(step, state) == ALLOWED[(step, state)]
    else:
        with pytest.raises(Refused):
            next_state(step, state)
    assert set(TRANSITIONS) == set(Step)


def test_nothing_leaves_closed() -> None:
    assert all(State.CLOSED not in allowed for allowed in TRANSITIONS.values())


# -- SLA due times ----------------------------------------------------------------------------------------------------


def test_due_times_run_on_business_hours_across_a_weekend(desk: Desk) -> None:
    policy, calendar = IncidentPolicy(), desk.services.calendar
    friday = _warsaw(date(2026, 11, 6), 18)  # 30 minutes before the evening maintenance window closes the day
    due = policy.due("P1", friday, calendar)
    assert due.first_response == _warsaw(date(2026, 11, 9), 8, 30)  # Monday
    assert due.resolution == _warsaw(date(2026, 11, 9), 11, 30)


def test_due_times_skip_a_polish_public_holiday(desk: Desk) -> None:
    policy, calendar = IncidentPolicy(), desk.services.calendar
    tuesday = _warsaw(date(2026, 11, 10), 18)  # Wednesday 11 November is Independence Day
    due = policy.due("P2", tuesday, calendar)
    assert due.first_response == _warsaw(date(2026, 11, 12), 11, 30)  # Thursday: 0.5 h Tuesday + 3.5 h
    assert due.resolution == _warsaw(date(2026, 11, 13), 18)  # 2 business days of 10.5 h: Friday 18:00


# -- filing, acting and who may -------------------------------------------------------------------------------------


def _incidents_registry(desk: Desk, policy: IncidentPolicy) -> Desk:
    """The desk with the incidents family configured by ``policy`` (the others as app.py builds them)."""
    others = [f for f in desk.services.kinds.families if f.name != "incidents"]
    return replace(desk, services=replace(desk.services, kinds=build_registry([*others, family(policy)])))


async def _set_channel(desk: Desk, admin: UserSeed = JONAS) -> None:
    actor = replace(desk.actor(admin), channel=CHANNEL)
    reply = await handle_support_channel(desk.services, actor, SupportChannelHere())
    assert reply.text == Translator("en")("incidents.channel.set")


async def _file(desk: Desk, reporter: UserSeed = ANNA, text: str = "Outlook does not sync",
                locale: str = "en-US") -> Incident:
    await Filing(IncidentPolicy()).report(desk.services, desk.actor(reporter, locale=locale), ReportProblem(text))
    async with desk.services.uow() as uow:
        rows = (await uow.session.execute(select(Incident).order_by(Incident.id.desc()).limit(1))).scalars().all()
    return rows[0]


async def _click(desk: Desk, who: UserSeed, verb: str, incident: Incident | str, **data: Any) -> Reply:
    public_id = incident if isinstance(incident, str) else incident.public_id
    version = data.pop("version", None)
    if version is None:
        async with desk.services.uow() as uow:
            current = await uow.incidents.get_by_public_id(public_id)
        version = current.version if current else 1
    return await dispatch_click(desk.services, desk.actor(who), verb,
                                {"incident_id": public_id, "version": version, **data})


async def _stored(desk: Desk, incident: Incident) -> Incident:
    async with desk.services.uow() as uow:
        found = await uow.incidents.get_by_public_id(incident.public_id)
    assert found is not None
    return found


async def _audit(desk: Desk, action: str) -> list[AuditEvent]:
    async with desk.services.uow() as uow:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await uow.session.execute(stmt)).scalars())


def _notice(reply: Reply) -> str:
    assert reply.card is not None, reply
    return str(reply.card["body"][1]["text"])


async def test_filing_stores_the_incident_posts_it_to_support_and_sends_the_reporter_a_card(desk: Desk) -> None:
    await _set_channel(desk)
    incident = await _file(desk, text="Nie mam dostępu do skrzynki Sales", locale="pl-PL")
    assert re.fullmatch(r"INC-2025-\d{6}", incident.public_id)
    assert (incident.category, incident.impact, incident.urgency, incident.priority) == (
        "mailbox", "medium", "medium", "P3")
    assert (incident.state, incident.support_level, incident.version) == ("new", 1, 1)
    assert incident.first_response_due_at == desk.services.calendar.add_business_time(
        incident.created_at, desk.services.calendar.business_days(1))
    (post,) = desk.messenger.channel_posts
    assert post[0] == CHANNEL and incident.public_id in json.dumps(post[1])
    (card,) = [sent for sent in desk.messenger.to(ANNA.user_id) if sent.card]
    assert Translator("pl")("incidents.title", id=incident.public_id, priority="P3") in json.dumps(
        card.card, ensure_ascii=False)
    async with desk.services.uow() as uow:
        copies = await uow.incidents.cards(incident.id)
    assert sorted(copy.role for copy in copies) == ["reporter", "support"]
    (filed,) = await _audit(desk, "incident.filed")
    assert filed.detail["incident"] == incident.public_id and filed.actor_id == ANNA.user_id


async def test_the_form_files_with_the_reporters_choices_and_bad_choices_change_nothing(desk: Desk) -> None:
    t = Translator("en")
    reply = await Filing(IncidentPolicy()).report(desk.services, desk.actor(ANNA), ReportProblem(""))
    assert reply.card is not None and VALIDATOR.is_valid(as_shown(reply.card))
    bad = await dispatch_click(desk.services, desk.actor(ANNA), "incident.submit",
                               {"text": "Teams crashes", "impact": "enormous", "urgency": "high"})
    assert bad.text == t("error.bad_card")
    empty = await dispatch_click(desk.services, desk.actor(ANNA), "incident.submit", {"text": "  "})
    assert empty.text == t("incidents.text_missing")
    async with desk.services.uow() as uow:
        assert (await uow.session.execute(select(Incident))).first() is None
    done = await dispatch_click(desk.services, desk.actor(ANNA), "incident.submit",
                                {"text": "Teams crashes", "category": "other", "impact": "high", "urgency": "high"})
    assert done.card is not None
    async with desk.services.uow() as uow:
        (stored,) = (await uow.session.execute(select(Incident))).scalars().all()
    assert (stored.priority, stored.category) == ("P1", "other")


async def test_support_claims_asks_resolves_and_the_reporter_reopens_and_confirms(desk: Desk) -> None:
    t = Translator("en")
    await _set_channel(desk)
    incident = await _file(desk)
    reply = await _click(desk, JONAS, "incident.claim", incident)
    assert _notice(reply) == t("incidents.done.claim")
    claimed = await _stored(desk, incident)
    assert (claimed.state, claimed.assignee_id, claimed.first_responded_at) == (
        "in_progress", JONAS.user_id, desk.clock.now)
    assert desk.messenger.to(ANNA.user_id)[-1].text == t("incidents.told.claim", id=incident.public_id,
                                                          name=JONAS.display_name)
    # Every copy (the reporter's and the channel's) now shows it claimed.
    updated = {sent.conversation_id for sent, _ in desk.messenger.updates}
    assert updated == {f"a:personal-{ANNA.user_id.lower()}", CHANNEL.conversation_id}

    await _click(desk, JONAS, "incident.wait", incident, note="Which device?")
    waiting = await _stored(desk, incident)
    assert (waiting.state, waiting.question) == ("waiting_for_user", "Which device?")
    desk.clock.advance(hours=2)  # two business hours on Monday morning pass while the reporter thinks
    await _click(desk, ANNA, "incident.comment", incident, note="My laptop")
    answered = await _stored(desk, incident)
    assert answered.state == "in_progress" and answered.waiting_since is None
    # The resolution clock stood still while support waited for the answer: its due time moved by those two hours.
    assert answered.resolution_due_at == desk.services.calendar.add_business_time(incident.resolution_due_at,
                                                                                   timedelta(hours=2))
    assert desk.messenger.to(JONAS.user_id)[-1].text == t("incidents.told.comment", id=incident.public_id,
                                                           name=ANNA.display_name, note="My laptop")

    await _click(desk, JONAS, "incident.resolve", incident, note="Re-created the Outlook profile")
    await _click(desk, ANNA, "incident.reopen", incident, note="Still not syncing")
    assert (await _stored(desk, incident)).state == "in_progress"
    await _click(desk, JONAS, "incident.resolve", incident, note="Cleared the OST cache")
    reply = await _click(desk, ANNA, "incident.confirm", incident)
    assert _notice(reply) == t("incidents.done.confirm")
    closed = await _stored(desk, incident)
    assert closed.state == "closed" and closed.closed_at == desk.clock.now
    async with desk.services.uow() as uow:
        events = await uow.incidents.events(incident.id)
    assert [e.action for e in events] == ["filed", "claim", "wait", "comment", "resolve", "reopen", "resolve",
                                          "confirm"]
    assert [e.note for e in events][-2] == "Cleared the OST cache"
    audited = [e.action for e in await _audit_all(desk) if e.action.startswith("incident.")]
    assert audited == ["incident.channel_set", "incident.filed", "incident.claim", "incident.wait",
                       "incident.comment", "incident.resolve", "incident.reopen", "incident.resolve",
                       "incident.confirm"]


async def _audit_all(desk: Desk) -> list[AuditEvent]:
    async with desk.services.uow() as uow:
        return list((await uow.session.execute(select(AuditEvent).order_by(AuditEvent.id))).scalars())


async def test_a_refused_step_and_a_stale_card_change_nothing(desk: Desk) -> None:
    t = Translator("en")
    incident = await _file(desk)
    reply = await _click(desk, JONAS, "incident.resolve", incident, note="done")  # not claimed: new
    assert _notice(reply) == t("incidents.not_now", state=t("incidents.state.new"))
    reply = await _click(desk, ANNA, "incident.confirm", incident)
    assert _notice(reply) == t("incidents.not_now", state=t("incidents.state.new"))
    await _click(desk, JONAS, "incident.claim", incident)
    stale = await _click(desk, JONAS, "incident.wait", incident, note="?", version=1)
    assert _notice(stale) == t("incidents.stale")
    missing = await _click(desk, JONAS, "incident.wait", incident, note="")
    assert missing.text == t("incidents.note_missing")
    forged = await _click(desk, JONAS, "incident.priority", incident, impact="huge", urgency="high")
    assert forged.text == t("error.bad_card")
    stored = await _stored(desk, incident)
    assert (stored.state, stored.version) == ("in_progress", 2)


async def test_priority_changes_move_the_due_times(desk: Desk) -> None:
    incident = await _file(desk)
    await _click(desk, JONAS, "incident.priority", incident, impact="high", urgency="high")
    raised = await _stored(desk, incident)
    due = IncidentPolicy().due("P1", incident.created_at, desk.services.calendar)
    assert (raised.priority, raised.first_response_due_at, raised.resolution_due_at) == (
        "P1", due.first_response, due.resolution)
    async with desk.services.uow() as uow:
        (event,) = [e for e in await uow.incidents.events(incident.id) if e.action == "priority"]
    assert event.detail["priority"] == "P1"


async def test_outsiders_and_the_wrong_role_are_refused_alike_and_audited(desk: Desk) -> None:
    t = Translator("en")
    incident = await _file(desk)
    for who, verb in ((LENA, "incident.claim"), (ANNA, "incident.claim"), (LENA, "incident.comment"),
                      (JONAS, "incident.confirm")):
        reply = await _click(desk, who, verb, incident, note="x")
        assert reply.text == t("incidents.refused") and reply.card is None, (who, verb)
    missing = await _click(desk, LENA, "incident.claim", "INC-2025-999999", version=1)
    assert missing.text == t("incidents.refused")
    refused = await _audit(desk, "click.refused")
    assert [(e.actor_id, e.detail["verb"], e.detail["reason"]) for e in refused] == [
        (LENA.user_id, "incident.claim", "not_involved"),
        (ANNA.user_id, "incident.claim", "not_involved"),
        (LENA.user_id, "incident.comment", "not_requester"),
        (JONAS.user_id, "incident.confirm", "not_requester"),
        (LENA.user_id, "incident.claim", "not_found"),
    ]
    stored = await _stored(desk, incident)
    assert (stored.state, stored.version) == ("new", 1)


async def test_after_escalation_only_the_second_level_acts(migrated_sqlite: Path, tmp_path: Path) -> None:
    seed = small_tenant()
    seed = replace(seed, users=(*seed.users, PAWEL),
                   groups=(*seed.groups, GroupSeed(SECOND_LEVEL_ID, "Support_L2", member_ids=(PAWEL.user_id,))))
    async with open_desk(migrated_sqlite, tmp_path, seed) as opened:
        desk = _incidents_registry(opened, IncidentPolicy(second_level_group_id=SECOND_LEVEL_ID))
        t = Translator("en")
        incident = await _file(desk)
        await _click(desk, PAWEL, "incident.claim", incident)  # the second level may act at the first level
        await _click(desk, JONAS, "incident.escalate", incident, note="Needs an Exchange specialist")
        escalated = await _stored(desk, incident)
        assert (escalated.state, escalated.support_level, escalated.assignee_id) == ("new", 2, None)
        assert escalated.escalation_reason == "Needs an Exchange specialist"
        assert (await _click(desk, JONAS, "incident.claim", incident)).text == t("incidents.refused")
        again = await _click(desk, PAWEL, "incident.escalate", incident, note="again")
        assert _notice(again) == t("incidents.already_escalated")
        await _click(desk, PAWEL, "incident.claim", incident)
        assert (await _stored(desk, incident)).assignee_id == PAWEL.user_id


async def test_inc_ids_are_unique_and_well_formed_when_filed_at_once(desk: Desk) -> None:
    filing = Filing(IncidentPolicy())
    await asyncio.gather(*(filing.report(desk.services, desk.actor(person), ReportProblem(f"problem {n}"))
                           for n, person in enumerate([ANNA, LENA, JONAS] * 4)))
    async with desk.services.uow() as uow:
        ids = [row.public_id for row in (await uow.session.execute(select(Incident))).scalars()]
    assert len(ids) == len(set(ids)) == 12
    assert all(re.fullmatch(r"INC-2025-\d{6}", public_id) for public_id in ids)


async def test_an_incident_filed_before_the_channel_was_set_is_posted_by_the_pass(desk: Desk) -> None:
    incident = await _file(desk)
    assert desk.messenger.channel_posts == []
    await _set_channel(desk)
    results = await asyncio.gather(run_incident_pass(desk.services, IncidentPolicy()),
                                   run_incident_pass(desk.services, IncidentPolicy()))
    assert sum(result.posted for result in results) == 1
    assert incident.public_id in json.dumps(desk.messenger.channel_posts[0][1])
    assert (await run_incident_pass(desk.services, IncidentPolicy())).posted == 0


async def test_resolved_incidents_close_after_three_business_days_once(desk: Desk) -> None:
    t = Translator("en")
    desk.clock.now = _warsaw(date(2026, 11, 6), 10)  # a Friday
    incident = await _file(desk)
    reopened = await _file(desk, text="Another one")
    for each in (incident, reopened):
        await _click(desk, JONAS, "incident.claim", each)
        await _click(desk, JONAS, "incident.resolve", each, note="fixed")
    await _click(desk, ANNA, "incident.reopen", reopened)
    policy = IncidentPolicy()
    # Friday 10:00 + 3 business days (Monday, Tuesday, Wednesday 11 November a holiday, Thursday): Thursday 10:00.
    desk.clock.now = _warsaw(date(2026, 11, 12), 9, 59)
    assert await close_resolved(desk.services, policy) == 0
    desk.clock.now = _warsaw(date(2026, 11, 12), 10)
    closed = await asyncio.gather(close_resolved(desk.services, policy), close_resolved(desk.services, policy))
    assert sum(closed) == 1
    assert (await _stored(desk, incident)).state == "closed"
    assert (await _stored(desk, reopened)).state == "in_progress"
    assert desk.messenger.to(ANNA.user_id)[-1].text == t("incidents.told.auto_close", id=incident.public_id)
    assert len(await _audit(desk, "incident.auto_close")) == 1
    async with desk.services.uow() as uow:
        stmt = select(IncidentEvent).where(IncidentEvent.action == "auto_close")
        assert len((await uow.session.execute(stmt)).scalars().all()) == 1


async def test_support_channel_is_for_admins_in_a_channel(desk: Desk) -> None:
    t = Translator("en")
    employee = replace(desk.actor(ANNA), channel=CHANNEL)
    assert (await handle_support_channel(desk.services, employee, SupportChannelHere())).text == t(
        "incidents.channel.admins_only")
    personal = desk.actor(JONAS)
    assert (await handle_support_channel(desk.services, personal, SupportChannelHere())).text == t(
        "incidents.channel.channel_only")
    await _set_channel(desk)
    admin = replace(desk.actor(JONAS), channel=CHANNEL)
    assert (await handle_support_channel(desk.services, admin, SupportChannelOff())).text == t(
        "incidents.channel.off")
    async with desk.services.uow() as uow:
        assert await uow.incidents.channel() is None


# -- cards ----------------------------------------------------------------------------------------------------------


def _view(state: str, level: int = 1) -> IncidentView:
    now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    return IncidentView(
        incident_id="INC-2026-000042", version=3, text="Outlook *does not* sync", reporter_name="Anna Kowalska",
        category="mailbox", impact="high", urgency="medium", priority="P2", state=state, support_level=level,
        assignee_name="Jonas Becker" if state != "new" else None, created_at=now, first_response_due_at=now,
        first_responded_at=None if state == "new" else now, resolution_due_at=now,
        resolved_at=now if state in ("resolved", "closed") else None,
        question="Which device?" if state == "waiting_for_user" else None,
        resolution="Profile re-created" if state in ("resolved", "closed") else None,
        escalation_reason="Exchange" if level == 2 else None, last_comment=("Anna Kowalska", "laptop"), now=now)


@pytest.mark.parametrize("language", ["en", "pl", "de"])
@pytest.mark.parametrize("state", [state.value for state in State])
def test_every_incident_card_is_valid_in_every_language(language: str, state: str) -> None:
    t = Translator(language)
    for built in (reporter_card(_view(state), t), support_card(_view(state), t), support_card(_view(state, 2), t),
                  report_form(t)):
        errors = [error.message for error in VALIDATOR.iter_errors(as_shown(built))]
        assert errors == [], errors


def test_the_cards_offer_each_role_its_own_steps() -> None:
    t = Translator("en")

    def verbs(card: dict[str, Any]) -> set[str]:
        found = set()
        for action in card.get("actions", []):
            found.add(action.get("verb") or action["card"]["actions"][0]["verb"])
        return found

    assert verbs(support_card(_view("in_progress"), t)) == {
        "incident.claim", "incident.resolve", "incident.wait", "incident.priority", "incident.escalate"}
    assert "incident.escalate" not in verbs(support_card(_view("new", 2), t))
    assert verbs(reporter_card(_view("waiting_for_user"), t)) == {"incident.comment", "incident.category"}
    assert verbs(reporter_card(_view("resolved"), t)) == {"incident.confirm", "incident.reopen"}
    assert verbs(reporter_card(_view("closed"), t)) == verbs(support_card(_view("closed"), t)) == set()


async def test_the_reporter_is_mailed_once_for_each_state_support_changes(desk: Desk) -> None:
    mailing = replace(desk, services=replace(desk.services, mail=MailPolicy(sender="desk@contoso.com")))
    incident = await _file(mailing)
    await _click(mailing, JONAS, "incident.claim", incident)
    await _click(mailing, JONAS, "incident.wait", incident, note="Which computer?")
    await _click(mailing, ANNA, "incident.comment", incident, note="Laptop")  # her own step: not mailed back
    await _click(mailing, JONAS, "incident.resolve", incident, note="New profile")
    async with mailing.services.uow() as uow:
        mails = list((await uow.session.execute(select(OutboxMail).order_by(OutboxMail.id))).scalars())
    assert [(m.recipient_id, m.reference, m.language) for m in mails] == [(ANNA.user_id, incident.public_id, "en")] * 4
    assert [m.key for m in mails] == [f"incident-{incident.public_id}-v{v}" for v in (1, 2, 3, 5)]
    assert [m.subject for m in mails] == [
        str(Translator("en")("mail.incident.filed.subject", summary="Outlook does not sync",
                             incident_id=incident.public_id)),
        str(Translator("en")("mail.incident.claimed.subject", incident_id=incident.public_id,
                             name=JONAS.display_name)),
        str(Translator("en")("mail.incident.waiting.subject", incident_id=incident.public_id)),
        str(Translator("en")("mail.incident.resolved.subject", incident_id=incident.public_id)),
    ]

"""Fuzzing /api/messages: generated activities and Action.Execute clicks against the real desk, counted by answer.

    python -m bench.fuzz_activities [--examples 10000] [--database-url postgresql+asyncpg://…] [--seed N]

devtenant and the desk run in this process (as in the end-to-end tests), the desk in demo mode without its job
runner, so every row that appears was written by the turn that was just sent. Hypothesis builds each activity from
the one Teams sends (tests/data/personal-chat-text-message.json, re-addressed like tests/e2e/desk_harness.py) and
damages it: fields removed, wrong types, odd Unicode, huge and deeply nested values, other media types. The desk's
own contract (bot/activity_check.py) says which of them are invalid. Printed: activities sent, 2xx, 4xx by status,
5xx, tracebacks logged, and state changes caused by invalid activities. Expected: no 5xx, no traceback, no change.
tests/e2e/test_fuzz_activities.py runs the same generator for a few hundred examples in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.activity_check import ACTION_INVOKE, Refusal, inspect, media_type_refusal, size_refusal
from cards.verbs import Verb

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
TEXT_MESSAGE = json.loads((DATA / "personal-chat-text-message.json").read_text())
INVOKE = json.loads((DATA / "adaptiveCard-action-invoke-request.generic-format.json").read_text())

# Everything a turn may write, and what it sends: an invalid activity must leave all of it as it was.
_STATE_TABLES = ("requests", "decisions", "audit_events", "jobs", "conversation_refs", "card_copies")
_STATE_SQL = text("SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in _STATE_TABLES))

COMMANDS = (
    "help", "my requests", "request license E3", "request license E3 for me", "plans", "join Sales Poland",
    "leave Sales Poland", "withdraw REQ-2026-000001", "sla", "my mailboxes", "pomoc", "hilfe", "license report",
)
LOCALES = ("en-US", "pl-PL", "de-DE", "fr-FR", "ca-ES-valencia", "en")
OTHER_TYPES = ("messageReaction", "messageUpdate", "messageDelete", "typing", "event", "endOfConversation")
OTHER_INVOKES = ("task/fetch", "composeExtension/query", "signin/verifyState", "config/fetch", "handoff/action")
GOOD_MEDIA_TYPE = "application/json"
OTHER_MEDIA_TYPES = (
    "application/json; charset=utf-8", "application/json;charset=UTF-8", "APPLICATION/JSON", "text/plain",
    "application/x-www-form-urlencoded", "application/json; charset=latin-1", "application/jsonx", "text/json", None,
)
_ODD_STRINGS = (
    "", " ", "\u200b", "\u202eevil", "😀" * 20, "\ufdfa", "\u01c5", "\u0301" * 50, "İı", "ß", "a\u0000b", "\ud800",
    "\udfff x", "\r\n", "%s%n{0}{name}", "<at>M365 Desk</at>", "../../etc/passwd", "REQ-2026-000001",
    "ca-ES-valencia", "Europe/Warsaw", "http://127.0.0.1:1/", "x" * 300,
)


@dataclass(frozen=True)
class Person:
    aad_object_id: str
    teams_id: str
    name: str
    conversation_id: str


@dataclass(frozen=True)
class Target:
    """Where generated activities come from: the emulated tenant, its bot and some of its people."""

    connector_url: str
    tenant_id: str
    client_id: str
    people: tuple[Person, ...]

    @classmethod
    def of(cls, tenant: Any) -> Target:
        state, seed_ = tenant.state, tenant.seed
        chosen = [seed_.demo_employee, seed_.demo_admin, seed_.list_owner, seed_.disabled_user, *seed_.users[:4]]
        people = tuple(
            Person(user.id, state.teams_user_id(user.id), user.display_name, state.personal_conversation_id(user.id))
            for user in dict.fromkeys(chosen)
        )
        return cls(tenant.connector_url, tenant.tenant_id, tenant.client_id, people)


@dataclass(frozen=True)
class Deep:
    """A value nested `levels` deep, spliced into the serialized body (json.dumps itself would recurse too far)."""

    levels: int


@dataclass(frozen=True)
class Case:
    raw: bytes
    content_type: str | None
    what: str  # how it was built, for a failure message

    def __repr__(self) -> str:  # the body can be 300 kB: name it, do not print it
        return f"Case({self.what!r}, {self.content_type!r}, {len(self.raw)} bytes)"

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.content_type is None else {"Content-Type": self.content_type}


# --- the generator -----------------------------------------------------------------------------------------------

odd_text = st.one_of(st.sampled_from(_ODD_STRINGS), st.text(max_size=40))
huge = st.sampled_from([10_000, 100_000, 300_000]).map(lambda n: "x" * n)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | odd_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(odd_text, children, max_size=3),
    max_leaves=8,
)
weird_values = st.one_of(json_values, huge, st.sampled_from([70, 1_000, 100_000]).map(Deep))


def envelope(target: Target, person: Person, locale: str) -> dict[str, Any]:
    """The reference Teams message, re-addressed to this tenant, person and their 1:1 chat (as desk_harness does)."""
    activity = copy.deepcopy(TEXT_MESSAGE)
    activity.pop("attachments", None)
    activity.update(
        id=uuid.uuid4().hex,
        serviceUrl=target.connector_url,
        locale=locale,
        conversation={"conversationType": "personal", "id": person.conversation_id},
        recipient={"id": f"28:{target.client_id}", "name": "M365 Desk"},
        channelData={"tenant": {"id": target.tenant_id}},
    )
    activity["from"] = {"id": person.teams_id, "name": person.name, "aadObjectId": person.aad_object_id}
    activity["entities"] = [{"type": "clientInfo", "locale": locale, "timezone": "Europe/Warsaw"}]
    return activity


def action_data() -> st.SearchStrategy[dict[str, Any]]:
    request_ids = st.integers(1, 6).map(lambda n: f"REQ-2026-{n:06d}")
    return st.fixed_dictionaries(
        {},
        optional={
            "request_id": request_ids | odd_text | json_values,
            "version": st.integers(0, 3) | json_values,
            "reason": odd_text,
            "plan": st.sampled_from(["ENTERPRISEPACK", "E3", "SPE_E5"]) | odd_text,
            "list": st.sampled_from(["Sales Poland", "HR announcements"]) | odd_text,
            "order_reference": odd_text,
            "page": st.integers(-1, 5) | json_values,
        },
    )


@st.composite
def base_activity(draw: st.DrawFn, target: Target) -> tuple[str, dict[str, Any]]:
    person = draw(st.sampled_from(target.people))
    activity = envelope(target, person, draw(st.sampled_from(LOCALES)))
    kind = draw(st.sampled_from(["message", "action", "action", "invoke", "install", "members_added", "other"]))
    if kind == "message":
        activity["text"] = draw(st.sampled_from(COMMANDS) | odd_text)
        return kind, activity
    for key in ("text", "textFormat"):
        activity.pop(key)
    if kind == "action":
        verb = draw(st.sampled_from([verb.value for verb in Verb]) | odd_text)
        value = copy.deepcopy(INVOKE["value"])
        value["action"].update(verb=verb, data=draw(action_data()), id=uuid.uuid4().hex)
        value["trigger"] = "manual"
        activity.update(type="invoke", name=ACTION_INVOKE, value=value)
    elif kind == "invoke":
        activity.update(type="invoke", name=draw(st.sampled_from(OTHER_INVOKES) | odd_text), value=draw(json_values))
    elif kind == "install":
        activity.update(type="installationUpdate", action=draw(st.sampled_from(["add", "remove", "add-upgrade"])))
    elif kind == "members_added":
        activity.update(type="conversationUpdate", membersAdded=[dict(activity["recipient"]), dict(activity["from"])])
    else:
        activity["type"] = draw(st.sampled_from(OTHER_TYPES))
    return kind, activity


# Where the reply is delivered. A well-formed address the connector then refuses (an unknown conversation, a host
# that does not answer) fails the reply itself, which is the turn-error handler's case, not the contract's: these
# are only damaged into invalid values here.
_ADDRESSES = frozenset({"serviceUrl", "conversation.id", "id", "replyToId"})


def _slots(value: Any, path: str = "") -> list[tuple[Any, Any, str]]:
    """Every (container, key, path) in the activity: the places a mutation can hit."""
    found: list[tuple[Any, Any, str]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        where = f"{path}.{key}" if path else str(key)
        found.append((value, key, where))
        found.extend(_slots(child, where))
    return found


@st.composite
def damaged(draw: st.DrawFn, target: Target) -> tuple[str, dict[str, Any]]:
    kind, activity = draw(base_activity(target))
    steps = [kind]
    for _ in range(draw(st.integers(0, 3))):
        container, key, where = draw(st.sampled_from(_slots(activity)))
        operation = draw(st.sampled_from(["delete", "replace", "replace", "reword", "add"]))
        if operation == "reword" and where in _ADDRESSES:
            operation = "replace"  # see _ADDRESSES
        if operation == "delete":
            del container[key]
        elif operation == "replace":
            container[key] = draw(weird_values)
        elif operation == "reword":  # still a string, so often still valid: a well-formed but odd activity
            container[key] = draw(odd_text)
        elif isinstance(container, dict):
            container[draw(odd_text)] = draw(weird_values)
        else:
            container.append(draw(weird_values))
        steps.append(f"{operation} {where}"[:80])
    return "; ".join(steps), activity


def serialize(activity: Any) -> bytes:
    """JSON (lone surrogates escaped, as a client may send them), with Deep markers spliced in as raw brackets."""
    deep: dict[str, int] = {}

    def marker(value: object) -> str:
        if not isinstance(value, Deep):
            raise TypeError(type(value).__name__)
        token = f"@@deep-{len(deep)}@@"
        deep[token] = value.levels
        return token

    raw = json.dumps(activity, default=marker)
    for token, levels in deep.items():
        raw = raw.replace(json.dumps(token), "[" * levels + "]" * levels, 1)
    return raw.encode("utf-8")


@st.composite
def cases(draw: st.DrawFn, target: Target) -> Case:
    """Mostly damaged activities as application/json; sometimes another media type, or a body that is no activity."""
    media_type = GOOD_MEDIA_TYPE if draw(st.integers(0, 9)) < 8 else draw(st.sampled_from(OTHER_MEDIA_TYPES))
    shape = draw(st.integers(0, 19))
    if shape == 0:
        return Case(draw(st.binary(max_size=64)), media_type, "bytes")
    if shape == 1:
        return Case(serialize(draw(json_values)), media_type, "json value")
    what, activity = draw(damaged(target))
    return Case(serialize(activity), media_type, what)


# --- the oracle and the measurements ------------------------------------------------------------------------------


def expected_refusal(case: Case, tenant_id: str) -> int | None:
    """The status the desk's contract gives this case, or None when it is a valid activity."""
    media_type, _, parameters = (case.content_type or "application/octet-stream").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
    refusal = media_type_refusal(media_type.strip().lower(), charset) or size_refusal(len(case.raw))
    if refusal is not None:
        return refusal.status
    outcome = inspect(case.raw)
    if isinstance(outcome, Refusal):
        return outcome.status
    return 403 if outcome.tenant_id != tenant_id else None


def is_unsupported_invoke(case: Case) -> bool:
    """A valid invoke with a name the desk does not handle is answered 400 (an invoke response, not the SDK's 501)."""
    body = json.loads(case.raw)
    return body.get("type") == "invoke" and body.get("name") != ACTION_INVOKE


async def snapshot(engine: AsyncEngine, tenant: Any) -> tuple[int, ...]:
    """Row counts of everything a turn writes, and the number of activities the connector has received."""
    async with engine.connect() as connection:
        counts = (await connection.execute(_STATE_SQL)).one()
    return (*counts, len(tenant.state.activities))


class TracebackCounter(logging.Handler):
    """Counts records that carry a traceback or are errors: none may appear, whatever the input."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


@dataclass
class Tally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    invalid: int = 0
    invalid_state_changes: int = 0
    wrong_status: int = 0
    tracebacks: int = 0
    examples: list[str] = field(default_factory=list)  # the first few problems, to reproduce them

    def note(self, problem: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(problem[:300])

    def report(self) -> dict[str, Any]:
        by_class = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        return {
            "activities_sent": self.sent,
            "2xx": by_class["2xx"],
            "4xx": by_class["4xx"],
            "4xx_by_status": {str(s): n for s, n in sorted(self.statuses.items()) if 400 <= s < 500},
            "5xx": by_class["5xx"],
            "invalid_sent": self.invalid,
            "state_changes_on_invalid": self.invalid_state_changes,
            "status_not_as_the_contract_says": self.wrong_status,
            "tracebacks_logged": self.tracebacks,
            "problems": self.examples,
        }


async def send_and_check(client: Any, engine: AsyncEngine, tenant: Any, case: Case, tally: Tally) -> int:
    """Posts one case and tallies what came back; returns the status."""
    expected = expected_refusal(case, tenant.tenant_id)
    before = await snapshot(engine, tenant)
    response = await client.post("/api/messages", data=case.raw, headers=case.headers)
    await response.read()
    after = await snapshot(engine, tenant)
    tally.sent += 1
    tally.statuses[response.status] += 1
    if response.status >= 500:
        tally.note(f"{response.status} for {case.what}")
    if expected is not None:
        tally.invalid += 1
        if after != before:
            tally.invalid_state_changes += 1
            tally.note(f"state changed {before} -> {after} for invalid {case.what}")
    allowed = {expected} if expected is not None else {200, 202} | ({400} if is_unsupported_invoke(case) else set())
    if response.status not in allowed:
        tally.wrong_status += 1
        tally.note(f"{response.status}, expected {sorted(allowed)}, for {case.what}")
    return response.status


# --- the benchmark ------------------------------------------------------------------------------------------------


def run(examples: int, database_url: str | None, random_seed: int) -> dict[str, Any]:
    # Imported here: the test suite imports the generator above without starting anything.
    from aiohttp.test_utils import TestClient, TestServer

    from app import ENGINE, create_app
    from bench.processes import scratch_database
    from demo.run import settings_for_devtenant
    from devtenant import run_devtenant

    loop = asyncio.new_event_loop()
    tally = Tally()
    counter = TracebackCounter()
    logging.getLogger().addHandler(counter)
    # The desk's one-line warnings for each refused activity would drown the report; errors still reach stderr.
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'fuzz.db'}"
        url, drop = loop.run_until_complete(scratch_database(url))
        running = run_devtenant()
        tenant = loop.run_until_complete(running.__aenter__())
        settings_ = settings_for_devtenant(tenant, database_url=url, job_poll_seconds=0.05)
        client = TestClient(TestServer(create_app(settings_, run_jobs=False)), loop=loop)
        loop.run_until_complete(client.start_server())
        target = Target.of(tenant)
        started = time.monotonic()

        @seed(random_seed)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # counts, not a minimal failing example: no shrinking
            suppress_health_check=list(HealthCheck),
        )
        @given(case=cases(target))
        def one(case: Case) -> None:
            loop.run_until_complete(send_and_check(client, client.app[ENGINE], tenant, case, tally))

        try:
            one()
        finally:
            loop.run_until_complete(client.close())
            loop.run_until_complete(running.__aexit__(None, None, None))
            loop.run_until_complete(drop())
            loop.close()
            logging.getLogger().removeHandler(counter)
    tally.tracebacks = len(counter.records)
    for record in counter.records[:3]:
        tally.note(f"logged: {record.levelname} {record.name}: {record.getMessage()}")
    return {
        "database": url.split(":", 1)[0],
        "seconds": round(time.monotonic() - started, 1),
        **tally.report(),
    }


def main(argv: list[str] | None = None, *, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--seed", type=int, default=20260)
    args = parser.parse_args(argv)
    result = run(args.examples, args.database_url, args.seed)
    out(json.dumps(result, indent=2, ensure_ascii=False))
    clean = not (result["5xx"] or result["tracebacks_logged"] or result["state_changes_on_invalid"])
    return 0 if clean and not result["status_not_as_the_contract_says"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

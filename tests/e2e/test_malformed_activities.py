"""A malformed activity gets a short 4xx and changes nothing; odd but well-formed ones get a clear answer, no 5xx."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from desk_harness import Desk

from app import ENGINE
from bench.fuzz_activities import snapshot
from bot.activity_check import MAX_BODY_BYTES
from cards.i18n import Translator

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    *parents, last = path.split(".")

    def mutate(activity: dict[str, Any]) -> None:
        for key in parents:
            activity = activity[key]
        activity[last] = value

    return mutate


def _drop(path: str) -> Mutation:
    *parents, last = path.split(".")

    def mutate(activity: dict[str, Any]) -> None:
        for key in parents:
            activity = activity[key]
        del activity[last]

    return mutate


# Each was a 500 (or a stored request followed by a 500) in the probe of issue 8.
MALFORMED: list[tuple[str, Mutation]] = [
    ("empty type", _set("type", "")),
    ("no type", _drop("type")),
    ("empty locale", _set("locale", "")),
    ("recipient a string", _set("recipient", "x")),
    ("entities [[]]", _set("entities", [[]])),
    ("timestamp yesterday", _set("timestamp", "yesterday")),
    ("no conversation.id", _drop("conversation.id")),
    ("conversation a string", _set("conversation", "x")),
    # Found by `make fuzz` once devtenant's connector was as strict as the Playground: the turn ran, then its reply
    # (which copies the conversation) was refused.
    ("conversationType unknown", _set("conversation.conversationType", "xyz")),
    ("message without id", _drop("id")),
    ("channelData.tenant a string", _set("channelData.tenant", "x")),
    ("channelData.tenant a number", _set("channelData.tenant", 5)),
    ("no serviceUrl", _drop("serviceUrl")),
    ("serviceUrl not a url", _set("serviceUrl", "not a url")),
    ("serviceUrl not http", _set("serviceUrl", "ftp://smba.trafficmanager.net/amer/")),
    ("no recipient", _drop("recipient")),
    ("recipient without id", _drop("recipient.id")),
    ("no channelId", _drop("channelId")),
    ("aadObjectId not an object id", _set("from.aadObjectId", "admin")),
    ("locale not a language tag", _set("locale", "x" * 80)),
    ("lone surrogate in text", _set("text", "request license E3 \ud800")),
    ("NUL in text", _set("text", "request license E3\u0000")),
    ("agentic recipient", _set("recipient.role", "agenticUser")),
    ("buffered delivery", _set("deliveryMode", "expectReplies")),
    # Found by the fuzzer: the reply goes to …/activities/{id}, and a URL over 8 KB failed the turn after its work.
    ("activity id of 10,000 characters", _set("id", "x" * 10_000)),
]


async def _counts(desk: Desk) -> tuple[int, ...]:
    return await snapshot(desk.app[ENGINE], desk.tenant)


def _base(desk: Desk) -> dict[str, Any]:
    """A message that, were it accepted, would file a request, write its audit event and reply."""
    activity = desk._base(desk.tenant.seed.demo_employee, "en-US")
    activity["text"] = "request license E3 for me"
    return activity


def _desk_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Warnings the desk wrote (the SDK warns on every anonymous demo turn that it has no App ID)."""
    return [r for r in caplog.records if r.levelno >= logging.WARNING and not r.name.startswith("microsoft_agents")]


def _troubles(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize(("case", "mutate"), MALFORMED, ids=[case for case, _ in MALFORMED])
async def test_malformed_activity_is_refused_with_400_and_nothing_is_stored(
    desk: Desk, caplog: pytest.LogCaptureFixture, case: str, mutate: Mutation
) -> None:
    activity = _base(desk)
    mutate(activity)
    before = await _counts(desk)
    with caplog.at_level(logging.WARNING):
        response = await desk.client.post(
            "/api/messages", data=json.dumps(activity), headers={"Content-Type": "application/json"}
        )
    assert response.status == 400, (case, await response.text())
    error = (await response.json())["error"]
    assert isinstance(error, str) and 0 < len(error) <= 120
    assert await _counts(desk) == before  # requests, decisions, audit, jobs, references, card copies, messages sent
    warnings = _desk_warnings(caplog)
    assert len(warnings) == 1 and warnings[0].exc_info is None, [r.getMessage() for r in warnings]
    # The refusal names the field, never echoes the value sent.
    assert "\ud800" not in warnings[0].getMessage() and "x" * 80 not in error


async def test_the_reference_activity_itself_is_accepted(desk: Desk) -> None:
    """The cases above are refused for what was changed, not for the base they start from."""
    before = await _counts(desk)
    response = await desk.post(_base(desk))
    assert response.status == 202
    assert (await _counts(desk))[0] == before[0] + 1  # the request was filed


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 415),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("application/json; charset=latin-1", 415),
        ("application/json; charset=utf-8", 202),
        ("application/json;charset=UTF-8", 202),
    ],
)
async def test_only_json_is_accepted(
    desk: Desk, caplog: pytest.LogCaptureFixture, content_type: str | None, status: int
) -> None:
    activity = _base(desk)
    activity["text"] = "help"
    before = await _counts(desk)
    headers = {"Content-Type": content_type} if content_type else {}
    with caplog.at_level(logging.WARNING):
        response = await desk.client.post("/api/messages", data=json.dumps(activity).encode(), headers=headers)
    assert response.status == status, await response.text()
    if status == 415:
        assert await _counts(desk) == before
        assert "application/json" in (await response.json())["error"]
    assert _troubles(caplog) == []


async def test_oversized_and_deeply_nested_bodies_are_refused_cheaply(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    activity = _base(desk)
    activity["text"] = "x" * MAX_BODY_BYTES
    before = await _counts(desk)
    json_header = {"Content-Type": "application/json"}
    with caplog.at_level(logging.WARNING):
        too_big = await desk.client.post("/api/messages", data=json.dumps(activity), headers=json_header)

        async def chunks():  # no Content-Length: the bound applies while reading
            yield json.dumps(activity).encode()

        too_big_chunked = await desk.client.post("/api/messages", data=chunks(), headers=json_header)
        nested = await desk.client.post("/api/messages", data=b"[" * 100_000, headers=json_header)
        deep_field = _base(desk)
        deep_field["value"] = json.loads("[" * 100 + "]" * 100)
        too_deep = await desk.client.post("/api/messages", data=json.dumps(deep_field), headers=json_header)
    assert (too_big.status, too_big_chunked.status, nested.status, too_deep.status) == (413, 413, 400, 400)
    assert await _counts(desk) == before
    assert _troubles(caplog) == []


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
async def test_unknown_verb_gets_a_localized_invoke_answer_and_stores_nothing(
    desk: Desk, caplog: pytest.LogCaptureFixture, locale: str
) -> None:
    person = desk.tenant.seed.demo_employee
    before = await _counts(desk)
    with caplog.at_level(logging.WARNING):
        reply = await desk.click(person, "request.teleport", {"request_id": "REQ-2026-000001"}, locale=locale)
    assert reply == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": Translator(locale)("input.unknown_action"),
    }
    assert await _counts(desk) == before  # not even the conversation reference
    assert len(_desk_warnings(caplog)) == 1
    assert _troubles(caplog) == []


async def test_unknown_invoke_name_gets_a_4xx_invoke_response(desk: Desk, caplog: pytest.LogCaptureFixture) -> None:
    activity = _base(desk)
    activity.pop("text")
    activity.update(type="invoke", name="composeExtension/query", value={"commandId": "search"})
    before = await _counts(desk)
    with caplog.at_level(logging.WARNING):
        response = await desk.post(activity)
    assert response.status == 400 and (await response.json()) == {"error": "Unsupported invoke"}
    assert await _counts(desk) == before
    assert _troubles(caplog) == []


@pytest.mark.parametrize(
    "mutate",
    [
        _set("value.action.type", "Action.Submit"),
        _drop("value.action"),
        _set("value.action.verb", 7),
        _set("value.action.data", "approve"),
        _set("value.action.data", {"": 1}),
        _drop("name"),
    ],
    ids=["not Action.Execute", "no action", "verb a number", "data a string", "data with an empty key", "no name"],
)
async def test_malformed_action_execute_is_refused_with_400(
    desk: Desk, caplog: pytest.LogCaptureFixture, mutate: Mutation
) -> None:
    activity = _base(desk)
    activity.pop("text")
    activity.update(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": "request.approve", "data": {}}, "trigger": "manual"},
    )
    mutate(activity)
    before = await _counts(desk)
    with caplog.at_level(logging.WARNING):
        response = await desk.post(activity)
    assert response.status == 400, await response.text()
    assert await _counts(desk) == before
    assert _troubles(caplog) == []


@pytest.mark.parametrize("timezone", [5, {}, [], "Mars/Olympus", "../../etc/passwd", "x" * 10_000])
async def test_a_bad_client_timezone_reads_as_utc(
    desk: Desk, caplog: pytest.LogCaptureFixture, timezone: object
) -> None:
    """clientInfo is a hint: a bad one is ignored, and the person still gets their answer with times in UTC."""
    person = desk.tenant.seed.demo_employee
    await desk.say(person, "request license E3 for me")  # something with a date to show
    activity = desk._base(person, "en-US")
    activity["entities"][0]["timezone"] = timezone
    activity["text"] = "my requests"
    received = len(desk.inbox(person))
    with caplog.at_level(logging.WARNING):
        response = await desk.post(activity)
    assert response.status == 202
    assert len(desk.inbox(person)) == received + 1
    assert " UTC" in json.dumps(desk.inbox(person)[-1], ensure_ascii=False)
    assert _troubles(caplog) == []


@pytest.mark.parametrize("kind", ["messageReaction", "typing", "event", "endOfConversation", "messageUpdate"])
async def test_other_activity_types_are_acknowledged_and_ignored(
    desk: Desk, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    activity = _base(desk)
    activity["type"] = kind
    before = await _counts(desk)
    with caplog.at_level(logging.WARNING):
        response = await desk.post(activity)
    assert response.status in (200, 202)
    assert await _counts(desk) == before
    assert [r.getMessage() for r in _desk_warnings(caplog)] == []

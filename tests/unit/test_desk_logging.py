"""Log lines: JSON objects with the turn's ids in production, text in the demo, and no secret either way."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from desk_logging import bind, configure, current_context, log_scope, request_scope

SECRET = "dT8Q~client-secret-value-1234567890"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlLXZhbHVl"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure(json_lines=True, level="DEBUG", secrets=[SECRET, "short"], stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in before[0]:
        root.addHandler(handler)
    root.setLevel(before[1])


def records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_one_json_object_with_the_context_ids(lines: io.StringIO) -> None:
    with log_scope(http_request_id="r-1"):
        bind(activity_id="a-1", user_id="u-1", req_id=None)
        logging.getLogger("desk.test").info("filed %s", "REQ-2026-000001", extra={"audit_head_id": 7})
    logging.getLogger("desk.test").warning("outside")
    first, second = records(lines)
    assert {k: first[k] for k in ("level", "logger", "message", "http_request_id", "activity_id", "user_id")} == {
        "level": "INFO", "logger": "desk.test", "message": "filed REQ-2026-000001", "http_request_id": "r-1",
        "activity_id": "a-1", "user_id": "u-1",
    }
    assert first["audit_head_id"] == 7 and "req_id" not in first and first["time"].endswith("+00:00")
    assert "http_request_id" not in second and current_context() == {}


def test_tokens_and_secrets_are_redacted_in_messages_extras_and_tracebacks(lines: io.StringIO) -> None:
    log = logging.getLogger("desk.test")
    log.info("token %s", f"Authorization: Bearer {JWT}")
    log.info("form client_secret=%s&scope=x", SECRET)
    logging.getLogger("aiohttp.access").info('127.0.0.1 "GET /reports/%s.csv HTTP/1.1" 200', "Zm9vYmFyYmF6cXV4cXV1eA")
    log.info("plain secret %s and a bare jwt %s", SECRET, JWT, extra={"header": f"Bearer {JWT}"})
    try:
        raise RuntimeError(f"upstream said {JWT}")
    except RuntimeError:
        log.exception("failed")
    text = lines.getvalue()
    assert SECRET not in text and JWT not in text and "eyJhbGci" not in text and "Zm9vYmFy" not in text
    assert "Bearer [redacted]" in text and "/reports/[redacted].csv" in text
    assert records(lines)[-1]["exception"].startswith("Traceback")


def test_text_lines_for_the_demo_carry_the_ids_at_the_end() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers)
    configure(json_lines=False, stream=stream)
    try:
        with log_scope(http_request_id="r-2"):
            logging.getLogger("desk.test").info("hello")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before:
            root.addHandler(handler)
    assert stream.getvalue().rstrip().endswith("INFO desk.test: hello [http_request_id=r-2]")


async def test_each_request_on_a_keep_alive_connection_starts_a_fresh_scope() -> None:
    seen: list[dict] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(dict(current_context()))
        bind(user_id=request.query.get("u"))
        await asyncio.sleep(0)
        return web.Response(text="ok")

    app = web.Application(middlewares=[request_scope])
    app.router.add_get("/", handler)
    async with TestClient(TestServer(app)) as client:
        await client.get("/", params={"u": "first"}, headers={"X-Request-Id": "given-id"})
        await client.get("/", headers={"X-Request-Id": "bad id with spaces"})
    assert seen[0] == {"http_request_id": "given-id"}
    assert set(seen[1]) == {"http_request_id"} and seen[1]["http_request_id"] != "bad id with spaces"

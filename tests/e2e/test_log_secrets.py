"""No secret in the logs of a full production flow (request → approve → applied), with DEBUG on for everything.

Production mode, so every kind of credential is in play: the inbound channel tokens, the bot's own Bot Connector
token, the Graph and Exchange tokens and the client secret behind them (devtenant issues all of them). The raw log
records are checked, not only the desk's redacted output: the redaction is the second line of defence, the first
is not logging such things at all.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from conftest import start_desk
from desk_harness import Desk, action_data
from test_production_auth import bearer, mint, production_settings

from cards.verbs import Verb
from desk_logging import configure
from devtenant import DevTenant
from storage.migrate import upgrade

LOGGERS = ("desk", "bot", "handlers", "m365", "storage", "aiohttp", "msal", "msgraph", "kiota_http", "httpx",
           "microsoft_agents", "sqlalchemy.engine", "urllib3")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}")
BEARER = re.compile(r"(?i)bearer\s+(?!\[redacted\])[A-Za-z0-9\-._~+/]{8,}")


class Raw(logging.Handler):
    """Every record as emitted, before any redaction: message, traceback, stack and extra fields."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.getMessage(), repr(record.args)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts += [str(value) for name, value in vars(record).items() if name not in logging.LogRecord.__dict__]
        self.lines.append(" ".join(parts))


@pytest.fixture
def logs() -> Iterator[tuple[Raw, io.StringIO]]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in LOGGERS})
    yield_raw, stream = Raw(), io.StringIO()
    try:
        yield yield_raw, stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)


async def test_a_full_flow_logs_no_secret_and_no_token(
    tenant: DevTenant, database_url: str, logs: tuple[Raw, io.StringIO]
) -> None:
    raw, stream = logs
    settings = production_settings(tenant, database_url)
    secrets = [settings.client_secret.get_secret_value(), *settings.audit_secrets]
    # As app.py's CLI sets it up for production, then everything at DEBUG and the raw records captured first.
    configure(json_lines=True, level="DEBUG", secrets=secrets, stream=stream)
    logging.getLogger().handlers.insert(0, raw)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)

    await upgrade(database_url)
    desk: Desk = await start_desk(tenant, settings)
    token = await mint(tenant, serviceUrl=tenant.connector_url)
    plain_post = desk.post

    async def post_with_token(activity, headers=None):
        return await plain_post(activity, headers=(headers or {}) | bearer(token))

    desk.post = post_with_token  # as Teams calls: every activity carries a channel token
    try:
        employee, admin = tenant.seed.demo_employee, tenant.seed.demo_admin
        await desk.say(employee, "request license E3 for me")
        await desk.run_jobs()
        card_id, approval = desk.last_card(admin)
        reply = await desk.click(admin, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
        assert reply["statusCode"] == 200
        await desk.run_jobs()
        e3 = tenant.state.sku("ENTERPRISEPACK")["skuId"]
        assert e3 in [lic["skuId"] for lic in tenant.state.user(employee.id)["assignedLicenses"]]
    finally:
        await desk.client.close()

    assert len(raw.lines) > 100, "DEBUG logging did not reach the capture"
    written = stream.getvalue()
    for where, text in (("raw records", "\n".join(raw.lines)), ("the desk's log", written)):
        assert token not in text, where
        for secret in secrets:
            assert secret not in text, where
        assert JWT.findall(text) == [], (where, JWT.findall(text)[:3])
        assert BEARER.findall(text) == [], (where, BEARER.findall(text)[:3])
    assert all(isinstance(json.loads(line), dict) for line in written.splitlines())

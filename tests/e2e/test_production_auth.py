"""Production mode's edge (issue 8 §4): only tokens from the channel service, bound to the activity's serviceUrl, get
a turn; the desk's own Bot Connector token goes only to allow-listed service URLs. devtenant stands in for Bot
Framework's token service (OpenID metadata, endorsed keys, minted tokens) and for Entra."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from conftest import desk_settings, start_desk
from desk_harness import Desk
from sqlalchemy import text

from app import ENGINE
from devtenant import DevTenant
from devtenant.botframework import CONNECTOR_AUTH_PATH, METADATA_PATH, TOKEN_PATH
from storage.migrate import upgrade

TEAMS_PUBLIC = "https://smba.trafficmanager.net/emea/"
STORED_TABLES = ("conversation_refs", "requests", "audit_events", "jobs", "card_copies")


class Rogue:
    """A server that is not Teams' connector: anything arriving here would be the desk leaking its token."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.server: TestServer | None = None
        self.url = ""

    async def start(self) -> None:
        async def anything(request: web.Request) -> web.Response:
            self.received.append({"path": request.path, "authorization": request.headers.get("Authorization")})
            return web.json_response({"id": "stolen"}, status=201)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", anything)
        self.server = TestServer(app)
        await self.server.start_server()
        self.url = str(self.server.make_url("/"))


@pytest.fixture
async def rogue() -> AsyncIterator[Rogue]:
    server = Rogue()
    await server.start()
    try:
        yield server
    finally:
        assert server.server is not None
        await server.server.close()


def production_settings(tenant: DevTenant, database_url: str, **overrides: object):
    """Production defaults, except where Microsoft's services are: devtenant's Bot Framework metadata and Entra."""
    return desk_settings(
        tenant,
        database_url,
        mode="production",
        botframework_openid_metadata_url=f"{tenant.authority_host}{METADATA_PATH}",
        service_url_allowlist=[tenant.connector_url],
        validate_authority=False,  # devtenant's Entra is not one of Microsoft's clouds
        audit_key="production-auth-test-key-" + "k" * 32,
        **overrides,
    )


@pytest.fixture
async def production(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    await upgrade(database_url)  # production never migrates on startup
    desk = await start_desk(tenant, production_settings(tenant, database_url))
    try:
        yield desk
    finally:
        await desk.client.close()


async def mint(tenant: DevTenant, **payload: Any) -> str:
    """A token from devtenant's channel token service: serviceUrl, claims overrides, key, alg, expiresIn."""
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tenant.ssl_context())) as session,
        session.post(f"{tenant.authority_host}{TOKEN_PATH}", json=payload) as response,
    ):
        assert response.status == 200, await response.text()
        return (await response.json())["token"]


async def entra_token_for(tenant: DevTenant, resource: str) -> str:
    """A real client-credentials token from devtenant's Entra (signed by the tenant's key, for ``resource``)."""
    form = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret,
            "scope": f"{resource}/.default"}
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tenant.ssl_context())) as session,
        session.post(tenant.token_endpoint, data=form) as response,
    ):
        assert response.status == 200, await response.text()
        return (await response.json())["access_token"]


async def connector_calls(tenant: DevTenant) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{tenant.connector_url.rstrip('/')}{CONNECTOR_AUTH_PATH}") as response,
    ):
        return (await response.json())["value"]


async def stored_rows(desk: Desk) -> dict[str, int]:
    async with desk.app[ENGINE].connect() as connection:
        return {table: (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                for table in STORED_TABLES}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_channel_token_gets_a_turn_and_the_reply_carries_the_bots_own_token(
    production: Desk, tenant: DevTenant
) -> None:
    anna = tenant.seed.demo_employee
    activity = production._base(anna, "en-US") | {"text": "help"}
    token = await mint(tenant, serviceUrl=tenant.connector_url)

    response = await production.post(activity, headers=bearer(token))

    assert response.status in (200, 201, 202), await response.text()
    assert production.inbox(anna), "the person got no reply"
    calls = await connector_calls(tenant)
    assert calls and all(call["token"] == "valid" and call["appid"] == tenant.client_id for call in calls), calls
    async with production.uow() as uow:
        reference = await uow.conversations.get(anna.id)
    assert reference is not None and reference.service_url == tenant.connector_url

    # Five minutes of clock skew are tolerated (Bot Framework's documented allowance), and the activity may spell
    # the serviceUrl without the claim's trailing slash.
    skewed = await mint(tenant, serviceUrl=tenant.connector_url, expiresIn=-60)
    respelt = activity | {"id": uuid.uuid4().hex, "serviceUrl": tenant.connector_url.rstrip("/")}
    assert (await production.post(respelt, headers=bearer(skewed))).status in (200, 201, 202)
    assert len(await connector_calls(tenant)) > len(calls)


async def test_an_entra_token_issued_for_the_bot_in_its_own_tenant_is_accepted(
    production: Desk, tenant: DevTenant
) -> None:
    anna = tenant.seed.demo_employee
    token = await mint(tenant, key="entra", claims={
        "iss": f"https://sts.windows.net/{tenant.tenant_id}/", "tid": tenant.tenant_id, "serviceurl": None})
    response = await production.post(production._base(anna, "en-US") | {"text": "help"}, headers=bearer(token))
    assert response.status in (200, 201, 202), await response.text()
    assert production.inbox(anna)


async def _refused_cases(tenant: DevTenant, rogue_url: str) -> list[tuple[str, int, dict[str, str], dict[str, Any]]]:
    """(logged reason, expected status, headers, activity changes) for everything production must refuse."""
    ours = tenant.connector_url
    other_tenant = str(uuid.uuid4())
    entra_issuer = f"https://sts.windows.net/{tenant.tenant_id}/"
    return [
        ("no-token", 401, {}, {}),
        ("not-bearer", 401, {"Authorization": f"Basic {tenant.client_secret}"}, {}),
        ("issuer", 401, bearer(await mint(tenant, claims={"iss": "https://evil.example"})), {}),
        ("audience", 401, bearer(await mint(tenant, claims={"aud": str(uuid.uuid4())})), {}),
        ("expired", 401, bearer(await mint(tenant, expiresIn=-600)), {}),  # beyond the five minutes' skew
        ("algorithm", 401, bearer(await mint(tenant, alg="none")), {}),
        ("algorithm", 401, bearer(await mint(tenant, alg="HS256")), {}),  # key confusion: an HMAC "signature"
        ("unknown-key", 401, bearer(await mint(tenant, key="unpublished")), {}),
        # Signed by the tenant's real Entra key, but for Graph, not for the bot.
        ("audience", 401, bearer(await entra_token_for(tenant, "https://graph.microsoft.com")), {}),
        # The issue's probe: a token for Teams' service, an activity pointing the reply elsewhere.
        ("service-url-mismatch", 403, bearer(await mint(tenant, serviceUrl=TEAMS_PUBLIC)), {"serviceUrl": rogue_url}),
        ("service-url-not-allowed", 403, bearer(await mint(tenant, serviceUrl=rogue_url)), {"serviceUrl": rogue_url}),
        ("endorsement", 403, bearer(await mint(tenant, key="webchat")), {}),  # a key endorsed for Web Chat only
        ("tenant", 403, bearer(await mint(tenant, serviceUrl=ours)), {"channelData": {"tenant": {"id": other_tenant}}}),
        ("foreign-tenant", 403, bearer(await mint(tenant, key="entra", claims={
            "iss": entra_issuer, "tid": other_tenant, "serviceurl": None})), {}),
    ]


async def test_refused_tokens_and_service_urls_store_nothing_and_send_nothing(
    production: Desk, tenant: DevTenant, rogue: Rogue, caplog: pytest.LogCaptureFixture
) -> None:
    anna = tenant.seed.demo_employee
    cases = await _refused_cases(tenant, rogue.url)
    before = await stored_rows(production)
    for reason, status, headers, changes in cases:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            activity = production._base(anna, "en-US") | {"text": "request license E3"} | changes
            response = await production.post(activity, headers=headers)
            assert response.status == status, f"{reason}: {response.status} {await response.text()}"
            body = await response.json()
            assert set(body) == {"error"} and rogue.url not in body["error"], reason
        ours = [r for r in caplog.records if r.name.startswith("bot.") and r.levelno >= logging.WARNING]
        assert len(ours) == 1 and ours[0].exc_info is None, f"{reason}: {[r.getMessage() for r in ours]}"
        assert reason in ours[0].getMessage(), f"{reason}: {ours[0].getMessage()}"
        assert all("Bearer" not in r.getMessage() and "eyJ" not in r.getMessage() for r in caplog.records), reason
    await production.run_jobs()
    assert await stored_rows(production) == before
    assert production.inbox(anna) == []
    assert await connector_calls(tenant) == []
    assert rogue.received == []


async def test_a_stored_reference_outside_the_allow_list_is_never_sent_to(
    tenant: DevTenant, database_url: str, rogue: Rogue
) -> None:
    """Defence in depth: a conversation reference written before the allow-list existed (or by a bug) is not used."""
    await upgrade(database_url)
    desk = await start_desk(tenant, production_settings(tenant, database_url))
    try:
        anna = tenant.seed.demo_employee
        async with desk.uow() as uow:
            await uow.conversations.upsert(
                user_id=anna.id, teams_user_id=tenant.state.teams_user_id(anna.id),
                conversation_id=tenant.state.personal_conversation_id(anna.id), service_url=rogue.url,
                tenant_id=tenant.tenant_id, bot_id=f"28:{tenant.client_id}", bot_name="M365 Desk", channel_id="msteams",
            )
            await uow.commit()
        assert await desk.services.messenger.send(anna.id, text="hello") is None
        assert rogue.received == []
    finally:
        await desk.client.close()


async def test_the_demo_stays_anonymous_but_keeps_replies_on_allowed_service_urls(
    tenant: DevTenant, database_url: str, rogue: Rogue
) -> None:
    desk = await start_desk(tenant, desk_settings(tenant, database_url, service_url_allowlist=[tenant.connector_url]))
    try:
        anna = tenant.seed.demo_employee
        await desk.say(anna, "help")  # no token at all, as the Playground sends
        assert desk.inbox(anna)
        elsewhere = desk._base(anna, "en-US") | {"text": "help", "serviceUrl": "https://evil.example/teams/"}
        assert (await desk.post(elsewhere)).status == 403
        async with desk.uow() as uow:
            reference = await uow.conversations.get(anna.id)
        assert reference is not None and reference.service_url == tenant.connector_url
    finally:
        await desk.client.close()

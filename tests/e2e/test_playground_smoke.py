"""The real Agents Playground against a tiny echo bot: what it sends, what it accepts back, how it starts."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from demo.playground import (
    PlaygroundError,
    PlaygroundProcess,
    announce_installation,
    demo_dir,
    playground_config,
    start_playground,
    write_config,
)

BINARY = demo_dir() / "node_modules" / ".bin" / "agentsplayground"
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(not BINARY.exists(),
                       reason="Agents Playground not installed: run `npm ci` in demo/ (needs Node.js 20+)"),
]

TENANT = "8f3e6c1a-5b7d-4c2e-9a10-3d4f5e6a7b8c"
BOT_APP_ID = "0d5c8a5e-8a3b-4b1f-9c1e-2a7f6b3d4e5f"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
WAIT = 5.0
PEOPLE = [("Anna", "Kowalska"), ("Jonas", "Becker"), ("Lena", "Schmidt"), ("Jürgen", "Weiß"), ("Kasia", "Zielińska"),
          ("Oliver", "Smith")]


def ask_card() -> dict[str, Any]:
    return {
        "type": "AdaptiveCard", "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Approve?"}, {"type": "Input.Text", "id": "note"}],
        "actions": [{"type": "Action.Execute", "title": "Approve", "verb": "approve", "data": {"rid": 7}}],
    }


CLIENT = web.AppKey("client", aiohttp.ClientSession)
DONE_CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Approved"}]}


@dataclass
class EchoBot:
    """Echoes text through the connector, answers `card` with an Action.Execute card, invokes with DONE_CARD."""

    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    endpoint: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        activity = await request.json()
        self.received.append((dict(request.headers), activity))
        self.arrived.set()
        if activity["type"] == "invoke":
            return web.json_response({"statusCode": 200, "type": CARD_TYPE, "value": DONE_CARD})
        if activity["type"] == "message":
            text = activity.get("text") or ""
            reply: dict[str, Any] = {"type": "message", "replyToId": activity["id"]}
            if text == "card":
                reply["attachments"] = [{"contentType": CARD_TYPE, "content": ask_card()}]
            else:
                reply["text"] = f"echo: {text}"
            url = f"{activity['serviceUrl']}/v3/conversations/{activity['conversation']['id']}/activities"
            async with request.app[CLIENT].post(url, json=reply) as response:
                assert response.status == 201, await response.text()
        return web.Response(status=200)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [activity for _, activity in self.received if activity["type"] == kind]

    async def wait_for(self, kind: str) -> dict[str, Any]:
        async with asyncio.timeout(WAIT):
            while not self.of_type(kind):
                self.arrived.clear()
                await self.arrived.wait()
        return self.of_type(kind)[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_people() -> list[dict[str, str]]:
    people = []
    for n, (given, surname) in enumerate(PEOPLE, start=1):
        upn = f"user{n}@contoso.test"
        people.append({"id": f"00000000-0000-4000-8000-{n:012d}", "display_name": f"{given} {surname}",
                       "given_name": given, "surname": surname, "user_principal_name": upn, "mail": upn})
    return people


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot() -> AsyncIterator[EchoBot]:
    echo = EchoBot()
    async with aiohttp.ClientSession() as client:
        app = web.Application()
        app[CLIENT] = client
        app.router.add_post("/api/messages", echo.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        echo.endpoint = f"http://127.0.0.1:{port}/api/messages"
        yield echo
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def playground(bot: EchoBot, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PlaygroundProcess]:
    base = tmp_path_factory.mktemp("playground")
    people = make_people()
    config = playground_config(seed={"admins_group": {"id": "g-1", "display_name": "DSM_Admins"}},
                               current_user=people[0], others=people[1:], bot_app_id=BOT_APP_ID, tenant_id=TENANT)
    config_path = write_config(config, base / "employee.m365agentsplayground.yml")
    instance = await start_playground(binary=BINARY, bot_endpoint=bot.endpoint, port=free_port(),
                                      config_path=config_path, log_path=base / "employee.log", work_dir=base)
    async with instance:
        yield instance


@pytest_asyncio.fixture(loop_scope="module")
async def api() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as session:
        yield session


async def next_event(ws: aiohttp.ClientWebSocketResponse, match: Callable[[dict[str, Any]], bool]) -> dict:
    """The first stream event that matches (the stream may replay what it buffered earlier)."""
    async with asyncio.timeout(WAIT):
        async for frame in ws:
            event = json.loads(frame.data)
            if match(event):
                return event
    raise AssertionError("the conversation stream closed")


async def test_text_round_trip_and_what_the_bot_receives(playground: PlaygroundProcess, bot: EchoBot,
                                                         api: aiohttp.ClientSession) -> None:
    me = playground.current_user
    chat = playground.personal_chat_id
    assert me is not None and chat is not None
    config = await (await api.get(f"{playground.url}/_internal/v1/config")).json()
    assert config["config"]["users"][2]["name"] == "Jürgen Weiß"

    async with api.ws_connect(f"{playground.url}/_ws_conversation/v1/conversations/stream") as ws:
        async with api.post(f"{playground.url}/_conversation/v1/conversations/{chat}/messages",
                            json={"type": "text", "text": "hello desk", "textFormat": "plain",
                                  "from": {"id": me["id"]}}) as response:
            assert response.status == 200
        event = await next_event(ws, lambda e: e["message"].get("text") == "echo: hello desk")

    assert event["action"] == "createMessage"
    assert event["actionConversationId"] == chat
    assert event["message"]["from"]["id"] == f"28:{BOT_APP_ID}"
    headers, activity = next((h, a) for h, a in bot.received if a.get("text") == "hello desk")
    assert "Authorization" not in headers
    assert activity["channelId"] == "msteams"
    assert activity["serviceUrl"] == playground.service_url
    assert activity["channelData"]["tenant"]["id"] == TENANT
    assert activity["conversation"] == {"conversationType": "personal", "tenantId": TENANT, "id": chat}
    assert activity["from"] == {"id": me["id"], "name": "Anna Kowalska", "aadObjectId": me["aadObjectId"]}
    assert activity["recipient"]["id"] == f"28:{BOT_APP_ID}"
    assert activity["locale"] == "en-US"  # fixed in 0.2.28, whatever the user's language


async def test_action_execute_returns_the_bots_invoke_response(playground: PlaygroundProcess, bot: EchoBot,
                                                              api: aiohttp.ClientSession) -> None:
    me, chat = playground.current_user, playground.personal_chat_id
    assert me is not None
    async with api.ws_connect(f"{playground.url}/_ws_conversation/v1/conversations/stream") as ws:
        await api.post(f"{playground.url}/_conversation/v1/conversations/{chat}/messages",
                       json={"type": "text", "text": "card", "textFormat": "plain", "from": {"id": me["id"]}})
        event = await next_event(ws, lambda e: bool(e["message"].get("attachments")))
    card_id = event["message"]["messageId"]
    assert event["message"]["attachments"][0] == {"contentType": CARD_TYPE, "content": ask_card()}

    action = {"type": "Action.Execute", "title": "Approve", "verb": "approve", "data": {"rid": 7, "note": "ok"}}
    async with api.post(f"{playground.url}/_conversation/v1/invoke",
                        json={"name": "adaptiveCard/action", "value": {"action": action},
                              "from": {"id": me["id"]}, "conversation": {"id": chat},
                              "replyToId": card_id}) as response:
        assert response.status == 200
        assert await response.json() == {"type": CARD_TYPE, "value": DONE_CARD}
    invoke = bot.of_type("invoke")[-1]
    assert invoke["name"] == "adaptiveCard/action"
    assert invoke["value"]["action"] == action
    assert invoke["replyToId"] == card_id
    assert invoke["from"]["aadObjectId"] == me["aadObjectId"]


async def test_proactive_conversation_post_and_update(playground: PlaygroundProcess,
                                                      api: aiohttp.ClientSession) -> None:
    me, chat = playground.current_user, playground.personal_chat_id
    assert me is not None
    connector = f"{playground.url}/_connector/v3/conversations"
    async with api.post(connector, json={"isGroup": False, "bot": {"id": f"28:{BOT_APP_ID}"},
                                         "members": [{"id": me["id"]}], "tenantId": TENANT}) as response:
        assert response.status == 201
        assert (await response.json())["id"] == chat  # the current user's own personal chat

    async with api.ws_connect(f"{playground.url}/_ws_conversation/v1/conversations/stream") as ws:
        card = {"contentType": CARD_TYPE, "content": ask_card()}
        async with api.post(f"{connector}/{chat}/activities",
                            json={"type": "message", "attachments": [card]}) as response:
            assert response.status == 201
            message_id = (await response.json())["id"]
        created = await next_event(ws, lambda e: e["message"]["messageId"] == message_id)
        assert created["action"] == "createMessage"

        done = {"contentType": CARD_TYPE, "content": DONE_CARD}
        async with api.put(f"{connector}/{chat}/activities/{message_id}",
                           json={"type": "message", "id": message_id, "attachments": [done]}) as response:
            assert response.status == 200
            assert await response.json() == {"id": message_id}
        updated = await next_event(ws, lambda e: e["action"] == "updateMessage")
    assert updated["message"]["messageId"] == message_id
    assert updated["message"]["attachments"] == [done]


async def test_installation_sends_install_and_members_added(playground: PlaygroundProcess, bot: EchoBot,
                                                            api: aiohttp.ClientSession) -> None:
    me, chat = playground.current_user, playground.personal_chat_id
    assert me is not None
    await announce_installation(playground)  # POST /_debug/conversation/{chat}/installation
    await bot.wait_for("conversationUpdate")

    install = bot.of_type("installationUpdate")[-1]
    assert install["action"] == "add"
    assert install["conversation"]["id"] == chat
    assert install["serviceUrl"] == playground.service_url
    members = bot.of_type("conversationUpdate")[-1]["membersAdded"]
    assert {"id": me["id"], "aadObjectId": me["aadObjectId"]} in members
    assert {"id": f"28:{BOT_APP_ID}"} in members


async def test_a_taken_port_is_detected_from_the_log(playground: PlaygroundProcess, bot: EchoBot,
                                                     tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        instance = await start_playground(binary=BINARY, bot_endpoint=bot.endpoint, port=taken,
                                          config_path=playground.config_path, log_path=tmp_path / "moved.log",
                                          work_dir=tmp_path)
        async with instance:
            assert instance.port != taken
            async with aiohttp.ClientSession() as session, session.get(f"{instance.url}/_debug/ping") as pong:
                assert await pong.text() == "pong"


async def test_an_invalid_config_fails_with_the_playgrounds_reason(bot: EchoBot, tmp_path: Path) -> None:
    config_path = tmp_path / "bad.yml"
    config_path.write_text(json.dumps({"version": "0.1.1", "tenantId": TENANT}))

    with pytest.raises(PlaygroundError, match="must have required property 'bot'"):
        await start_playground(binary=BINARY, bot_endpoint=bot.endpoint, port=free_port(),
                               config_path=config_path, log_path=tmp_path / "bad.log", work_dir=tmp_path)

"""devtenant's Bot Connector, driven by the Agents SDK connector client the desk uses for proactive messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core.connector.client import ConnectorClient

from devtenant import DevTenant

pytestmark = pytest.mark.asyncio(loop_scope="module")

CARD = {"contentType": "application/vnd.microsoft.card.adaptive",
        "content": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Pending"}]}}


@pytest_asyncio.fixture(loop_scope="module")
async def connector(devtenant: DevTenant) -> AsyncIterator[ConnectorClient]:
    client = ConnectorClient(devtenant.connector_url, "")  # demo/test mode: no bot token
    yield client
    await client.close()


def _params(tenant: DevTenant, member: ChannelAccount) -> ConversationParameters:
    return ConversationParameters(is_group=False, bot=ChannelAccount(id=f"28:{tenant.bot_app_id}"),
                                  members=[member], tenant_id=tenant.tenant_id,
                                  channel_data={"tenant": {"id": tenant.tenant_id}})


async def test_create_send_update_delete_and_inbox(devtenant: DevTenant, connector: ConnectorClient) -> None:
    anna = devtenant.seed.demo_employee
    state = devtenant.state
    created = await connector.conversations.create_conversation(
        _params(devtenant, ChannelAccount(id=state.teams_user_id(anna.id), aad_object_id=anna.id)))
    assert created.id == state.personal_conversation_id(anna.id)
    again = await connector.conversations.create_conversation(_params(devtenant, ChannelAccount(id=anna.id)))
    assert again.id == created.id  # the bot has one personal chat per user

    await connector.conversations.send_to_conversation(
        created.id, Activity(type="typing", channel_id="msteams"))
    sent = await connector.conversations.send_to_conversation(
        created.id, Activity(type="message", channel_id="msteams", attachments=[CARD]))
    assert sent.id
    [item] = state.inbox(anna.id)
    assert item["id"] == sent.id and item["conversation"]["id"] == created.id and item["updates"] == 0
    assert item["attachments"][0]["content"]["body"][0]["text"] == "Pending"

    approved = {**CARD, "content": {**CARD["content"], "body": [{"type": "TextBlock", "text": "Approved"}]}}
    updated = await connector.conversations.update_activity(
        created.id, sent.id, Activity(type="message", channel_id="msteams", attachments=[approved]))
    assert updated.id == sent.id
    reply = await connector.conversations.reply_to_activity(
        created.id, sent.id, Activity(type="message", channel_id="msteams", text="Done."))
    inbox = state.inbox(anna.id)
    assert [i["id"] for i in inbox] == [sent.id, reply.id]
    assert inbox[0]["updates"] == 1 and inbox[0]["attachments"][0]["content"]["body"][0]["text"] == "Approved"
    assert inbox[1]["replyToId"] == sent.id and inbox[1]["from"]["id"] == f"28:{devtenant.bot_app_id}"
    assert len(state.inbox(anna.id, include_typing=True)) == 3

    await connector.conversations.delete_activity(created.id, reply.id)
    assert [i["id"] for i in state.inbox(anna.id)] == [sent.id]
    members = await connector.conversations.get_conversation_members(created.id)
    assert [m.aad_object_id for m in members] == [anna.id]


async def test_errors(devtenant: DevTenant, connector: ConnectorClient) -> None:
    anna = devtenant.seed.demo_employee
    with pytest.raises(aiohttp.ClientResponseError) as unknown_conversation:
        await connector.conversations.send_to_conversation("a:nope", Activity(type="message", text="x"))
    assert unknown_conversation.value.status == 404
    with pytest.raises(aiohttp.ClientResponseError) as unknown_activity:
        await connector.conversations.update_activity(devtenant.state.personal_conversation_id(anna.id), "123",
                                                      Activity(type="message", text="x"))
    assert unknown_activity.value.status == 404
    with pytest.raises(aiohttp.ClientResponseError) as unknown_user:
        await connector.conversations.create_conversation(_params(devtenant, ChannelAccount(id="29:nobody")))
    assert unknown_user.value.status == 400


async def test_url_encoded_conversation_ids_and_control_endpoints(devtenant: DevTenant) -> None:
    admin = devtenant.seed.demo_admin
    conversation = devtenant.state.personal_conversation_id(admin.id).replace(":", "%3A")
    async with aiohttp.ClientSession(trust_env=False) as http:
        async with http.post(f"{devtenant.connector_url}v3/conversations/{conversation}/activities",
                             json={"type": "message", "text": "Hallo Jonas"}) as response:
            assert response.status == 201
            activity_id = (await response.json())["id"]
        async with http.get(f"{devtenant.control_url}/inbox/{admin.id}") as response:
            inbox = (await response.json())["value"]
        assert [(i["id"], i["text"]) for i in inbox] == [(activity_id, "Hallo Jonas")]
        async with http.get(f"{devtenant.control_url}/users/{admin.user_principal_name}") as response:
            user = await response.json()
        assert user["id"] == admin.id and devtenant.seed.admins_group.id in user["memberOf"]
        assert user["licenseSkuPartNumbers"] == ["ENTERPRISEPREMIUM"]
        async with http.get(f"{devtenant.control_url}/health") as response:
            assert (await response.json())["status"] == "ok"


async def test_inbound_activities_look_like_teams(devtenant: DevTenant) -> None:
    anna = devtenant.seed.demo_employee
    message: dict[str, Any] = devtenant.activities.message(anna.id, "request license E3")
    assert message["from"] == {"id": f"29:{anna.id}", "name": anna.display_name, "aadObjectId": anna.id}
    assert message["conversation"]["id"] == devtenant.state.personal_conversation_id(anna.id)
    assert message["recipient"]["id"] == f"28:{devtenant.bot_app_id}"
    assert message["serviceUrl"] == devtenant.connector_url
    assert message["channelData"] == {"tenant": {"id": devtenant.tenant_id}}
    invoke = devtenant.activities.card_action(anna.id, "approve", {"request_id": 7}, reply_to_id="1")
    assert invoke["name"] == "adaptiveCard/action" and invoke["value"]["action"]["verb"] == "approve"

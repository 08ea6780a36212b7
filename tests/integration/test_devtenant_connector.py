"""devtenant's Bot Connector, driven by the Agents SDK connector client the desk uses for proactive messages."""

from __future__ import annotations

import json
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


# The Agents Playground's answers, word for word (seen from @microsoft/m365agentsplayground 0.2.28's connector).
TEXT_NULL = {"error": {"code": "BadArgument", "message": "Expected string, received null"}}
INVALID_INPUT = {"error": {"code": "BadArgument", "message": "Invalid input"}}


async def _call(method: str, url: str, body: Any) -> tuple[int, Any]:
    async with aiohttp.ClientSession(trust_env=False) as http, http.request(method, url, json=body) as response:
        text = await response.text()
        return response.status, (json.loads(text) if text else None)


async def _card_in_chat(devtenant: DevTenant) -> tuple[str, str]:
    """The base URL of Anna's chat's activities and the id of a card the bot sent there."""
    conversation = devtenant.state.personal_conversation_id(devtenant.seed.demo_employee.id)
    chat = f"{devtenant.connector_url}v3/conversations/{conversation}/activities"
    status, sent = await _call("POST", chat, {"type": "message", "attachments": [CARD]})
    assert status == 201
    return chat, sent["id"]


async def test_an_update_with_text_null_is_refused_as_the_playground_refuses_it(devtenant: DevTenant) -> None:
    chat, card_id = await _card_in_chat(devtenant)
    approved = {**CARD, "content": {**CARD["content"], "body": [{"type": "TextBlock", "text": "Approved"}]}}
    assert await _call("PUT", f"{chat}/{card_id}", {"type": "message", "text": None, "attachments": [approved]}) \
        == (400, TEXT_NULL)
    [item] = devtenant.state.inbox(devtenant.seed.demo_employee.id)
    assert item["updates"] == 0 and item["attachments"][0]["content"]["body"][0]["text"] == "Pending"

    # Fields the Playground does not read on an edit (locale, recipient) may be null; the card itself must be right.
    status, body = await _call("PUT", f"{chat}/{card_id}", {"type": "message", "attachments": [approved],
                                                             "locale": None, "recipient": None})
    assert (status, body) == (200, {"id": card_id})
    [item] = devtenant.state.inbox(devtenant.seed.demo_employee.id)
    assert item["updates"] == 1 and item["attachments"][0]["content"]["body"][0]["text"] == "Approved"


@pytest.mark.parametrize(("body", "answer"), [
    ({"type": "typing"}, "Bot Activities of type Typing cannot be edited"),
    ({"attachments": [CARD]}, "Unknown activity type"),
    ({"type": "message", "attachments": [CARD], "attachmentLayout": None},
     "Expected 'list' | 'carousel', received null"),
    ({"type": "message", "text": "x", "textFormat": "html"},
     "Invalid enum value. Expected 'markdown' | 'plain' | 'xml', received 'html'"),
    ({"type": "message", "attachments": [{"contentType": CARD["contentType"], "content": None}]}, "Invalid"),
])
async def test_updates_are_checked_field_by_field(devtenant: DevTenant, body: dict[str, Any], answer: str) -> None:
    chat, card_id = await _card_in_chat(devtenant)
    assert await _call("PUT", f"{chat}/{card_id}", body) == (400, {"error": {"code": "BadArgument", "message": answer}})


async def test_an_update_must_stay_one_message(devtenant: DevTenant) -> None:
    chat, card_id = await _card_in_chat(devtenant)
    both = {"type": "message", "text": "Approved", "attachments": [CARD]}
    status, body = await _call("PUT", f"{chat}/{card_id}", both)
    assert (status, body["error"]["code"]) == (400, "BadSyntax")
    status, body = await _call("PUT", f"{chat}/{card_id}", {"type": "message"})
    assert (status, body["error"]["code"]) == (400, "BadSyntax")
    assert devtenant.state.inbox(devtenant.seed.demo_employee.id)[0]["updates"] == 0


@pytest.mark.parametrize("body", [
    {"type": "message", "text": None, "attachments": [CARD]},
    {"type": "message", "text": "hi", "replyToId": None},
    {"type": "message", "text": "hi", "conversation": {"id": None}},
    {"type": "message", "text": "hi", "entities": [{"type": None}]},
    {"type": "event", "text": "hi"},
    {"text": "hi"},
])
async def test_sends_and_replies_with_a_null_or_wrong_field_are_refused(
    devtenant: DevTenant, body: dict[str, Any]
) -> None:
    chat, card_id = await _card_in_chat(devtenant)
    assert await _call("POST", chat, body) == (400, INVALID_INPUT)
    assert await _call("POST", f"{chat}/{card_id}", body) == (400, INVALID_INPUT)
    assert len(devtenant.state.inbox(devtenant.seed.demo_employee.id)) == 1


async def test_what_the_playground_takes_is_taken(devtenant: DevTenant) -> None:
    chat, card_id = await _card_in_chat(devtenant)
    # Fields outside the contract pass as they are, null or not (the Playground reads only its own).
    assert (await _call("POST", chat, {"type": "message", "text": "hi", "locale": None, "recipient": None}))[0] == 201
    assert (await _call("POST", f"{chat}/{card_id}", {"type": "typing"}))[0] == 201
    status, body = await _call("POST", chat, {"type": "message"})
    assert (status, body["error"]["code"]) == (400, "BadSyntax")  # neither text nor a card


async def test_the_sdk_client_sends_text_null_when_told_to_and_is_refused(devtenant: DevTenant,
                                                                         connector: ConnectorClient) -> None:
    """What the desk did before: Activity(text=None) is a field set to None, which the SDK sends as null."""
    chat, card_id = await _card_in_chat(devtenant)
    conversation = devtenant.state.personal_conversation_id(devtenant.seed.demo_employee.id)
    with pytest.raises(aiohttp.ClientResponseError) as refused:
        await connector.conversations.update_activity(conversation, card_id,
                                                      Activity(type="message", text=None, attachments=[CARD]))
    assert refused.value.status == 400
    updated = await connector.conversations.update_activity(conversation, card_id,
                                                            Activity(type="message", attachments=[CARD]))
    assert updated.id == card_id


async def test_new_conversations_name_their_members_by_id(devtenant: DevTenant) -> None:
    anna = devtenant.seed.demo_employee
    url = f"{devtenant.connector_url}v3/conversations"
    base = {"isGroup": False, "bot": {"id": f"28:{devtenant.bot_app_id}"}, "tenantId": devtenant.tenant_id}
    assert await _call("POST", url, {**base, "members": [{"id": None}]}) == (400, TEXT_NULL)
    assert await _call("POST", url, {**base, "members": [{"id": anna.id}],
                                     "activity": {"type": "message", "text": None}}) == (400, INVALID_INPUT)
    status, created = await _call("POST", url, {**base, "members": [{"id": anna.id}]})
    assert status == 201 and created["id"] == devtenant.state.personal_conversation_id(anna.id)


async def test_text_and_card_become_two_messages_and_the_send_gets_no_id(devtenant: DevTenant) -> None:
    """As Teams and the Playground show them: so a sender that wants to update its card must send it alone."""
    anna = devtenant.seed.demo_employee
    conversation = devtenant.state.personal_conversation_id(anna.id)
    chat = f"{devtenant.connector_url}v3/conversations/{conversation}/activities"
    assert await _call("POST", chat, {"type": "message", "text": "Filed.", "attachments": [CARD]}) == (202, None)
    assert await _call("POST", f"{chat}/123", {"type": "message", "text": "Again.", "attachments": [CARD]}) \
        == (202, None)
    shown = [(item.get("text"), len(item.get("attachments") or [])) for item in devtenant.state.inbox(anna.id)]
    assert shown == [("Filed.", 0), (None, 1), ("Again.", 0), (None, 1)]
    status, carousel = await _call("POST", chat, {"type": "message", "text": "Both", "attachments": [CARD, CARD],
                                                  "attachmentLayout": "carousel"})
    assert status == 201 and carousel["id"]  # a carousel stays one message

"""Drives the real desk over HTTP like Teams does, against devtenant; used by the end-to-end tests."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient

from app import RUNNER, SERVICES, UOW
from devtenant import DevTenant, SeedUser
from devtenant.states.connector import Conversation

DATA = Path(__file__).parents[1] / "data"
TEXT_MESSAGE = json.loads((DATA / "personal-chat-text-message.json").read_text())
INVOKE = json.loads((DATA / "adaptiveCard-action-invoke-request.generic-format.json").read_text())


WARSAW = ZoneInfo("Europe/Warsaw")  # the desk's calendar zone in these tests


class Clock:
    """The desk's business clock, set by the test: handlers read it through Services.clock (create_app's
    ``clock``; the job runner's leases run on the wall clock, and production keeps real time)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date, hour: int, minute: int = 0) -> None:
        self.now = datetime.combine(day, time(hour, minute), tzinfo=WARSAW).astimezone(UTC)


@dataclass
class Desk:
    client: TestClient
    tenant: DevTenant

    @property
    def app(self) -> web.Application:
        return self.client.app  # type: ignore[return-value]

    @property
    def services(self):
        return self.app[SERVICES]

    @property
    def uow(self):
        return self.app[UOW]

    def _base(self, user: SeedUser, locale: str) -> dict[str, Any]:
        """The reference Teams activity, re-addressed to this tenant, person and their 1:1 chat."""
        activity = copy.deepcopy(TEXT_MESSAGE)
        state = self.tenant.state
        activity.pop("attachments", None)
        activity.update(
            id=uuid.uuid4().hex,
            serviceUrl=self.tenant.connector_url,
            locale=locale,
            conversation={"conversationType": "personal", "id": state.personal_conversation_id(user.id)},
            recipient={"id": f"28:{self.tenant.client_id}", "name": "M365 Desk"},
            channelData={"tenant": {"id": self.tenant.tenant_id}},
        )
        activity["from"] = {"id": state.teams_user_id(user.id), "name": user.display_name, "aadObjectId": user.id}
        activity["entities"] = [{"type": "clientInfo", "locale": locale, "timezone": "Europe/Warsaw"}]
        return activity

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None):
        return await self.client.post("/api/messages", json=activity, headers=headers or {})

    async def say(self, user: SeedUser, text: str, *, locale: str = "en-US") -> None:
        activity = self._base(user, locale)
        activity["text"] = text
        response = await self.post(activity)
        assert response.status in (200, 201, 202), await response.text()

    async def click(
        self, user: SeedUser, verb: str, data: dict[str, Any], *, reply_to_id: str | None = None, locale: str = "en-US"
    ) -> dict[str, Any]:
        """An Action.Execute click, shaped like Teams' adaptiveCard/action invoke; returns the invoke response."""
        activity = self._base(user, locale)
        activity.pop("text", None)
        activity.pop("textFormat", None)
        activity.update(type="invoke", name=INVOKE["name"])
        activity["value"] = copy.deepcopy(INVOKE["value"])
        activity["value"]["action"].update(verb=verb, data=data, id=uuid.uuid4().hex)
        activity["value"]["trigger"] = "manual"
        if reply_to_id:
            activity["replyToId"] = reply_to_id
        response = await self.post(activity)
        assert response.status == 200, await response.text()
        return await response.json()

    async def run_jobs(self) -> int:
        """Runs every ready job now (the background runner is off in these tests, for determinism)."""
        total = 0
        while done := await self.app[RUNNER].drain():
            total += done
        return total

    def inbox(self, user: SeedUser) -> list[dict[str, Any]]:
        return self.tenant.state.inbox(user.id)

    def texts(self, user: SeedUser) -> list[str]:
        return [item["text"] for item in self.inbox(user) if item.get("text")]

    def cards(self, user: SeedUser) -> list[tuple[str, dict[str, Any]]]:
        """(activity id, card) for every Adaptive Card in the person's chat, as last updated."""
        found = []
        for item in self.inbox(user):
            for attachment in item.get("attachments") or []:
                if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    found.append((item["id"], attachment["content"]))
        return found

    def last_card(self, user: SeedUser) -> tuple[str, dict[str, Any]]:
        cards = self.cards(user)
        assert cards, f"{user.display_name} received no card; inbox: {self.inbox(user)}"
        return cards[-1]

    def open_channel(self, channel_id: str) -> None:
        """A Teams channel conversation the connector knows, as a team's channel the bot was added to."""
        conversation = Conversation(channel_id, "channel", [], None, self.tenant.tenant_id)
        self.tenant.state.conversations[channel_id] = conversation

    async def say_in_channel(self, channel_id: str, user: SeedUser, text: str, *, locale: str) -> None:
        """A channel message as Teams sends it: the @mention in the text and as an entity, the team in channelData."""
        activity = self._base(user, locale)
        mention = "<at>M365 Desk</at>"
        activity["text"] = f"{mention} {text}"
        activity["conversation"] = {"conversationType": "channel", "id": channel_id, "isGroup": True}
        activity["channelData"] = {
            "tenant": {"id": self.tenant.tenant_id},
            "team": {"id": "19:team@thread.tacv2"},
            "channel": {"id": channel_id},
        }
        activity["entities"].append({"type": "mention", "text": mention, "mentioned": activity["recipient"]})
        response = await self.post(activity)
        assert response.status in (200, 201, 202), await response.text()

    def channel_items(self, channel_id: str) -> list[dict[str, Any]]:
        """What the desk posted to a channel, oldest first."""
        state = self.tenant.state
        return [state.activities[i].as_inbox_item() for i in state.conversations[channel_id].activity_ids]


def card_text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def action_data(card: dict[str, Any], verb: str) -> dict[str, Any]:
    """The data of the card's action with this verb (looking inside Action.ShowCard too)."""
    def walk(actions: list[dict[str, Any]]):
        for action in actions:
            if action.get("verb") == verb:
                return action["data"]
            if action.get("type") == "Action.ShowCard":
                inner = walk(action["card"].get("actions", []))
                if inner is not None:
                    return inner
        return None

    data = walk(card.get("actions", []))
    assert data is not None, f"no {verb} action on the card"
    return dict(data)


# What the Agents SDK's default turn-error handler put in front of people: "Exception caught : 400, message='…',
# url='http://…/activities/…'".
LEAKS = ("Exception caught", "Traceback", "url=", "http://", "https://", "ClientResponseError", "message=")


def shown(value: Any) -> list[str]:
    """What a person reads in a message or card: its text, and every text, title and value on the card (not its
    schema)."""
    if isinstance(value, dict):
        own = [value[key] for key in ("text", "title", "value") if isinstance(value.get(key), str)]
        return own + [text for key, inner in value.items() if key != "$schema" for text in shown(inner)]
    if isinstance(value, list):
        return [text for inner in value for text in shown(inner)]
    return []


def leaks(items: Any) -> list[str]:
    """Everything shown in these messages that carries exception text."""
    return [text for text in shown(items) if any(marker in text for marker in LEAKS)]

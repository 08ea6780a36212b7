"""Withdrawing a request: what people type (en/pl/de) and the button on the requester's card."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from cards.i18n import Translator
from cards.requests import status_card
from cards.verbs import Verb
from cards.views import RequestView
from handlers.commands import ShowMyRequests, Unknown, WithdrawRequest
from kinds.lists.commands import JoinList
from kinds.registry import Registry
from tests.unit.conftest import command_of


@pytest.mark.parametrize(
    "text",
    [
        "withdraw REQ-2026-000123",
        "cancel request req-2026-000123",
        "withdraw my request REQ-2026-000123",
        "wycofaj wniosek REQ-2026-000123",
        "anuluj REQ-2026-000123",
        "Antrag REQ-2026-000123 zurückziehen",
        "storniere REQ-2026-000123",
        "ziehe meinen Antrag REQ-2026-000123 zurück",
    ],
)
def test_withdraw_is_understood_in_every_language(text: str, registry: Registry) -> None:
    assert command_of(text, registry) == WithdrawRequest(request_id="REQ-2026-000123")


@pytest.mark.parametrize(
    ("text", "kind"), [("cancel sales", Unknown), ("withdraw everything", Unknown), ("join cancel", JoinList)]
)
def test_only_a_request_id_can_be_withdrawn(text: str, kind: type, registry: Registry) -> None:
    assert isinstance(command_of(text, registry), kind)


@pytest.mark.parametrize("locale", ["en-US", "pl-PL", "de-DE"])
def test_the_help_shows_commands_the_desk_understands(locale: str, registry: Registry) -> None:
    shown = re.findall(r"\*\*(.+?)\*\*", Translator(locale)("help.my_requests"))
    assert [type(command_of(command, registry)) for command in shown] == [ShowMyRequests, WithdrawRequest]


def _view(state: str) -> RequestView:
    return RequestView(
        request_id="REQ-2026-000007", version=1, kind="license.assign", state=state, requester_name="Anna",
        target_label="E3", created_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
    )


def _verbs(element: object) -> list[str]:
    return re.findall(r'"verb": "([^"]+)"', json.dumps(element))


@pytest.mark.parametrize(
    ("state", "offered"),
    [("pending", True), ("approved", False), ("executing", False), ("completed", False), ("cancelled", False)],
)
def test_the_requesters_card_offers_withdrawal_only_while_it_waits(state: str, offered: bool) -> None:
    card = status_card(_view(state), Translator("en-US"))
    assert (Verb.WITHDRAW.value in _verbs(card)) is offered
    if offered:
        [show] = [a for a in card["actions"] if a["type"] == "Action.ShowCard"]
        [confirm] = show["card"]["actions"]
        assert confirm["data"] == {"request_id": "REQ-2026-000007"}, "the card names the request, never a person"

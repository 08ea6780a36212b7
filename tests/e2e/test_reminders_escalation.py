"""Reminders, escalation, expiry, delegates and out of office (F15) end to end, through the real desk against devtenant
on SQLite and PostgreSQL, with a settable business clock and a routing policy file that sets the intervals: a Polish
employee's join request reminds its (English) owner in Teams and by e-mail, is escalated to the owner's (Polish)
manager, who gets the card while the owner keeps a live copy, and expires — the employee is told, e-mailed once and
asks again with one click. An owner away (automatic replies set through devtenant's control API) with a delegate
(set in German) has the card go to the delegate, who approves "X for Y"; one away without a delegate sends the request
on to their manager at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import desk_settings, start_desk
from desk_harness import Clock, Desk, action_data, card_text

from app import SETTINGS
from cards.i18n import Translator, unescaped
from cards.mail import TEMPLATES
from cards.verbs import Verb
from devtenant import DevTenant, SeedUser
from handlers.escalation import FollowedUp, Intervals, follow_up_waiting
from handlers.mail_sender import MailSender
from storage.models import Request

en, pl, de = Translator("en"), Translator("pl"), Translator("de")
FILED = date(2025, 3, 7)  # a Friday: the weekend between filing and the reminder does not count
# Business hours of waiting for a join request, from the policy file (the settings' defaults are not used).
POLICY = """\
[kind."dl.join"]
remind_after_hours = 8
escalate_after_hours = 12
expire_after_hours = 30
"""


@pytest.fixture
def clock() -> Clock:
    filed = Clock()
    filed.set(FILED, 11)
    return filed


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, clock: Clock, tmp_path: Path) -> AsyncIterator[Desk]:
    policy = tmp_path / "policy.toml"
    policy.write_text(POLICY, encoding="utf-8")
    sender = tenant.seed.helpdesk_mailbox.primary_smtp_address
    settings = desk_settings(tenant, database_url, routing_policy=policy, mail_sender=sender, sync_interval_seconds=0)
    running = await start_desk(tenant, settings, clock=clock)
    try:
        yield running
    finally:
        await running.client.close()


def people(desk: Desk) -> tuple[SeedUser, SeedUser, SeedUser]:
    """The employee (Polish), the list's owner and the owner's manager (Polish, neither an admin)."""
    seed = desk.tenant.seed
    owner = seed.list_owner
    manager = seed.user(owner.manager_id or "")
    assert manager.id not in seed.admins_group.member_ids and manager.preferred_language == "pl-PL"
    return seed.demo_employee, owner, manager


async def control(desk: Desk, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """devtenant's control API, as a person (or a test) changes the tenant from outside the desk."""
    connector = aiohttp.TCPConnector(ssl=desk.tenant.ssl_context())
    async with (
        aiohttp.ClientSession(connector=connector, trust_env=False) as session,
        session.request(method, f"{desk.tenant.control_url}{path}", json=body) as reply,
    ):
        assert reply.status < 300, await reply.text()
        return await reply.json() if reply.status == 200 else None


async def away(desk: Desk, user: SeedUser) -> None:
    """The person turns on automatic replies in Outlook."""
    await control(desk, "PUT", f"/mail/automaticReplies/{user.id}", {"status": "alwaysEnabled"})


@pytest.fixture
def sender(desk: Desk) -> MailSender:
    """The desk's one mail sender in these tests (a second one would wait for the first one's lease)."""
    return MailSender(desk.services)


async def mails(desk: Desk, sender: MailSender) -> list[dict[str, Any]]:
    """Everything queued is sent, then devtenant's outbox as sent (to, subject, language)."""
    await sender.send_due()
    return list((await control(desk, "GET", "/mail/outbox"))["value"])


def subject(t: Translator, template: str, **params: str) -> str:
    return unescaped(t(TEMPLATES[template].subject, **params))


async def follow_up(desk: Desk) -> FollowedUp:
    """Two replicas' passes at once, with the desk's own settings as the defaults: what they did together."""
    settings = desk.app[SETTINGS]
    defaults = Intervals(settings.remind_after_hours, settings.escalate_after_hours, settings.expire_after_hours)
    runs = await asyncio.gather(follow_up_waiting(desk.services, defaults), follow_up_waiting(desk.services, defaults))
    return FollowedUp(*(sum(getattr(run, name) for run in runs) for name in ("reminded", "escalated", "expired")))


def after(desk: Desk, clock: Clock, hours: float) -> None:
    """The clock at ``hours`` of business time after the filing (Friday 11:00 Warsaw)."""
    start = Clock()
    start.set(FILED, 11)
    clock.now = desk.services.calendar.add_business_time(start.now, timedelta(hours=hours))


async def the_request(desk: Desk, requester: SeedUser) -> Request:
    async with desk.uow() as uow:
        (request,) = await uow.requests.list_for_requester(requester.id)
    return request


def cards_about(desk: Desk, user: SeedUser, request: Request) -> list[tuple[str, dict[str, Any]]]:
    return [(card_id, card) for card_id, card in desk.cards(user) if request.public_id in card_text(card)]


async def test_reminded_then_escalated_then_expired_and_asked_again(
    desk: Desk, clock: Clock, sender: MailSender
) -> None:
    employee, owner, manager = people(desk)
    the_list = desk.tenant.seed.closed_list
    await desk.say(owner, "help")  # the owner's chat speaks English
    await desk.say(employee, f"dołącz do {the_list.display_name}", locale="pl-PL")
    await desk.run_jobs()
    request = await the_request(desk, employee)
    ((first_card_id, _),) = cards_about(desk, owner, request)
    kind_pl = unescaped(pl("request.kind.dl.join"))

    after(desk, clock, 8)
    assert await follow_up(desk) == FollowedUp(reminded=1)
    assert await follow_up(desk) == FollowedUp()
    # A new card, with the reminder, at the bottom of the chat; the first one says so and has no buttons any more.
    (first, (owners_card_id, reminder)) = cards_about(desk, owner, request)
    assert en("workflow.reminder", request_id=request.public_id, since="").split(" since")[0] in card_text(reminder)
    assert Verb.APPROVE in card_text(reminder)
    assert first[0] == first_card_id and Verb.APPROVE not in card_text(first[1])
    assert en("workflow.reminder.replaced", request_id=request.public_id) in card_text(first[1])
    sent = await mails(desk, sender)
    assert [(m["to"], m["subject"], m["language"]) for m in sent if m["to"] == [owner.mail]] == [
        (
            [owner.mail],
            subject(
                en,
                "request.decide",
                request_id=request.public_id,
                kind=unescaped(en("request.kind.dl.join")),
                target=request.target_label,
            ),
            "en",
        ),
        ([owner.mail], subject(en, "request.reminder", request_id=request.public_id), "en"),
    ]

    after(desk, clock, 12)
    assert await follow_up(desk) == FollowedUp(escalated=1)
    assert await follow_up(desk) == FollowedUp()
    # The manager gets the card (in Polish) and may decide; the owner's first copy is still live.
    ((managers_card_id, escalated),) = cards_about(desk, manager, request)
    assert Verb.APPROVE in card_text(escalated)
    assert Verb.APPROVE in card_text(dict(desk.cards(owner))[owners_card_id])
    async with desk.uow() as uow:
        stored = await uow.requests.get(request.id)
    assert stored is not None and stored.approver_ids == [owner.id, manager.id]
    sent = await mails(desk, sender)
    assert [(m["subject"], m["language"]) for m in sent if m["to"] == [manager.mail]] == [
        (subject(pl, "request.escalated", request_id=request.public_id, kind=kind_pl), "pl"),
    ]

    after(desk, clock, 30)
    assert await follow_up(desk) == FollowedUp(expired=1)
    await desk.run_jobs()
    assert await follow_up(desk) == FollowedUp()
    await desk.run_jobs()
    async with desk.uow() as uow:
        expired = await uow.requests.get(request.id)
        trail = [event.action for event in await uow.audit.for_request(request.id)]
    assert expired is not None and expired.state == "expired"
    assert [trail.count(action) for action in ("request.reminded", "request.escalated", "request.expired")] == [1, 1, 1]
    assert employee.id not in desk.tenant.state.list_members(the_list.id)
    # The employee is told in Polish, with "Ask again"; every approver's copy has lost its buttons.
    assert pl("workflow.expired.requester", request_id=request.public_id) in desk.texts(employee)
    _, told = desk.last_card(employee)
    ask_again = action_data(told, Verb.ASK_AGAIN)
    for approver, card_id in ((owner, owners_card_id), (manager, managers_card_id)):
        assert Verb.APPROVE not in card_text(dict(desk.cards(approver))[card_id])
    sent = await mails(desk, sender)
    assert [(m["subject"], m["language"]) for m in sent if m["to"] == [employee.mail]][-1:] == [
        (subject(pl, "request.expired", request_id=request.public_id), "pl"),
    ]
    assert [m["subject"] for m in sent].count(subject(pl, "request.expired", request_id=request.public_id)) == 1

    # A click on the manager's old card changes nothing.
    late = await desk.click(manager, Verb.APPROVE, action_data(escalated, Verb.APPROVE), locale="pl-PL")
    assert Verb.APPROVE not in card_text(late["value"])

    reply = await desk.click(employee, Verb.ASK_AGAIN, ask_again, locale="pl-PL")
    assert reply["statusCode"] == 200
    await desk.run_jobs()
    async with desk.uow() as uow:
        again = [r for r in await uow.requests.list_for_requester(employee.id) if r.id != request.id]
        asked = [e for e in await uow.audit.for_request(request.id) if e.action == "request.asked_again"]
    (anew,) = again
    assert (anew.state, anew.kind, anew.target_id, anew.approver_ids) == (
        "pending",
        "dl.join",
        request.target_id,
        [owner.id],
    )
    assert len(asked) == 1
    assert cards_about(desk, owner, anew), "the owner gets the new request's card"
    second = await desk.click(employee, Verb.ASK_AGAIN, ask_again, locale="pl-PL")
    assert pl("workflow.ask_again.already", request_id=request.public_id) in card_text(second)


async def test_an_owner_away_with_a_delegate_has_the_delegate_decide_for_them(desk: Desk) -> None:
    employee, owner, manager = people(desk)
    seed = desk.tenant.seed
    the_list = seed.closed_list
    delegate = next(user for user in seed.users if user.display_name == "Oliver Smith")
    await away(desk, owner)
    await desk.say(owner, f"Vertretung: {delegate.user_principal_name} bis 14.03.2025", locale="de-DE")
    assert desk.texts(owner)[-1] == de("delegation.started", name=delegate.display_name, until="2025-03-14")
    assert en("delegation.you_stand_in", name=owner.display_name, until="2025-03-14") in desk.texts(delegate)

    await desk.say(employee, f"dołącz do {the_list.display_name}", locale="pl-PL")
    await desk.run_jobs()
    request = await the_request(desk, employee)
    assert cards_about(desk, owner, request) == [] and cards_about(desk, manager, request) == []
    ((card_id, card),) = cards_about(desk, delegate, request)
    assert en("delegation.card.for", name=owner.display_name) in card_text(card)

    reply = await desk.click(delegate, Verb.APPROVE, action_data(card, Verb.APPROVE), reply_to_id=card_id)
    decided_for = en("delegation.decided_for", name=delegate.display_name, principal=owner.display_name)
    assert decided_for in card_text(reply["value"])
    await desk.run_jobs()
    assert employee.id in desk.tenant.state.list_members(the_list.id)
    assert any(
        pl("delegation.decided_for", name=delegate.display_name, principal=owner.display_name) in text
        for text in desk.texts(employee)
    )
    async with desk.uow() as uow:
        done = await uow.requests.get(request.id)
        trail = {event.action: event for event in await uow.audit.for_request(request.id)}
        (decision,) = await uow.decisions.for_request(request.id)
    assert done is not None and done.state == "completed"
    approved = trail["request.approved"]
    assert (approved.actor_id, approved.detail["on_behalf_of"]) == (delegate.id, owner.id)
    assert (decision.approver_id, decision.on_behalf_of_id) == (delegate.id, owner.id)
    assert "approver.away" not in trail and "request.escalated" not in trail


async def test_an_owner_away_without_a_delegate_sends_the_request_on_to_their_manager(
    desk: Desk, sender: MailSender
) -> None:
    employee, owner, manager = people(desk)
    the_list = desk.tenant.seed.closed_list
    await away(desk, owner)
    await desk.say(employee, f"join {the_list.display_name}")
    await desk.run_jobs()
    request = await the_request(desk, employee)
    async with desk.uow() as uow:
        routed = await uow.requests.get(request.id)
        trail = {event.action: event for event in await uow.audit.for_request(request.id)}
    assert routed is not None and routed.approver_ids == [owner.id, manager.id]
    assert trail["approver.away"].detail["approvers"] == [owner.id]
    assert (trail["request.escalated"].detail["reason"], trail["request.escalated"].detail["added"]) == (
        "away",
        [manager.id],
    )
    # At once, not at the escalation time; the manager (Polish) decides.
    ((card_id, card),) = cards_about(desk, manager, request)
    await desk.click(manager, Verb.APPROVE, action_data(card, Verb.APPROVE), reply_to_id=card_id, locale="pl-PL")
    await desk.run_jobs()
    assert employee.id in desk.tenant.state.list_members(the_list.id)
    sent = await mails(desk, sender)
    assert [(m["subject"], m["language"]) for m in sent if m["to"] == [manager.mail]] == [
        (
            subject(pl, "request.escalated", request_id=request.public_id, kind=unescaped(pl("request.kind.dl.join"))),
            "pl",
        ),
    ]

"""E-mail notifications end to end (F16): a Polish employee's join request and its German owner's approval through the
real desk against devtenant; the e-mails read back from devtenant's outbox (recipients, subjects, languages), each
exactly once, also when the sender dies between its Graph calls or Graph answers 503."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from conftest import desk_settings, start_desk
from desk_harness import Desk, action_data

from cards.i18n import Translator, unescaped
from cards.mail import TEMPLATES
from cards.verbs import Verb
from devtenant import DevTenant
from handlers.mail_sender import MailSender
from tests.mail_crash import Crash, CrashAfter


class Clock:
    """The mail sender's clock: the wall clock, moved on by the test past leases and Retry-After."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return max(self.now, datetime.now(UTC))

    def advance(self, seconds: float) -> None:
        self.now = self() + timedelta(seconds=seconds)


@pytest.fixture
async def mail_desk(tenant: DevTenant, database_url: str) -> AsyncIterator[Desk]:
    sender = tenant.seed.helpdesk_mailbox.primary_smtp_address
    running = await start_desk(tenant, desk_settings(tenant, database_url, mail_sender=sender))
    try:
        yield running
    finally:
        await running.client.close()


async def outbox(desk: Desk) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(f"{desk.tenant.control_url}/mail/outbox") as answer:
        assert answer.status == 200
        return list((await answer.json())["value"])


def subject(language: str, template: str, **params: str) -> str:
    return unescaped(Translator(language)(TEMPLATES[template].subject, **params))






async def test_requester_and_approver_are_mailed_in_their_languages_once_each(mail_desk: Desk) -> None:
    desk = mail_desk
    seed = desk.tenant.seed
    employee, owner, dl = seed.demo_employee, seed.list_owner, seed.closed_list
    sender = seed.helpdesk_mailbox.primary_smtp_address
    await desk.say(owner, "hilfe", locale="de-DE")  # the owner's chat speaks German
    await desk.say(employee, f"join {dl.display_name}", locale="pl-PL")
    await desk.run_jobs()
    async with desk.uow() as uow:
        (request,) = await uow.requests.list_for_requester(employee.id)
    clock = Clock()
    mail_sender = MailSender(desk.services, clock=clock)
    assert await mail_sender.send_due() == 2

    kind_pl = unescaped(Translator("pl")("request.kind.dl.join"))
    kind_de = unescaped(Translator("de")("request.kind.dl.join"))
    sent = await outbox(desk)
    assert [(m["to"], m["subject"], m["language"]) for m in sent] == [
        ([employee.mail], subject("pl", "request.submitted", request_id=request.public_id, kind=kind_pl), "pl"),
        ([owner.mail], subject("de", "request.decide", request_id=request.public_id, kind=kind_de,
                               target=request.target_label), "de"),
    ]
    assert all(m["sender"].lower() == sender.lower() for m in sent)
    assert dl.display_name in sent[1]["text"] and "https://teams.microsoft.com/l/chat/0/0?users=28:" in sent[1]["html"]

    _, approval = desk.last_card(owner)
    await desk.click(owner, Verb.APPROVE, action_data(approval, Verb.APPROVE), locale="de-DE")
    await desk.run_jobs()
    # The sender dies right after devtenant sent the "approved" mail, before recording it; a 503 meets the retry.
    graph_mail = desk.services.tenant.mail
    desk.services.tenant.mail = CrashAfter(graph_mail, "send_draft")
    with pytest.raises(Crash):
        await mail_sender.send_due()
    desk.services.tenant.mail = graph_mail
    outage = desk.tenant.faults.set("graph", status=503, retry_after=0, times=1, path_contains="/send")
    clock.advance(121)  # the dead sender's lease runs out
    # "approved" is found sent (recorded, not sent again); "completed" meets the 503 on its send and is retried.
    assert await mail_sender.send_due() == 2
    assert outage.hits == 1
    clock.advance(3600)
    assert await mail_sender.send_due() == 0

    sent = await outbox(desk)
    assert [(m["to"], m["subject"], m["language"]) for m in sent[2:]] == [
        ([employee.mail], subject("pl", "request.approved", request_id=request.public_id, kind=kind_pl), "pl"),
        ([employee.mail], subject("pl", "request.completed", request_id=request.public_id, kind=kind_pl), "pl"),
    ]
    assert len({m["messageId"] for m in sent}) == len(sent) == 4


async def test_a_crash_after_the_draft_was_created_sends_that_draft_once(mail_desk: Desk) -> None:
    desk = mail_desk
    seed = desk.tenant.seed
    await desk.say(seed.demo_employee, f"join {seed.closed_list.display_name}", locale="pl-PL")
    await desk.run_jobs()
    clock = Clock()
    graph_mail = desk.services.tenant.mail
    desk.services.tenant.mail = CrashAfter(graph_mail, "create_draft")
    with pytest.raises(Crash):
        await MailSender(desk.services, clock=clock).send_due()
    desk.services.tenant.mail = graph_mail
    assert await outbox(desk) == []
    clock.advance(121)
    assert await MailSender(desk.services, clock=clock).send_due() == 2
    sent = await outbox(desk)
    assert len(sent) == len({m["messageId"] for m in sent}) == 2


async def test_without_a_sender_mailbox_nothing_is_queued(desk: Desk) -> None:
    seed = desk.tenant.seed
    await desk.say(seed.demo_employee, f"join {seed.closed_list.display_name}")
    await desk.run_jobs()
    async with desk.uow() as uow:
        assert await uow.mail_outbox.all() == []
    assert await MailSender(desk.services).send_due() == 0
    assert await outbox(desk) == []

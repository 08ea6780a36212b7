"""E-mail notifications (F16) over the memory tenant: a request's transitions queue one e-mail per recipient in their
language, people's choice holds, and the sender sends each e-mail exactly once — across crashes between its Graph
calls, Graph's throttling and the mailbox's per-minute limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from desk_fixture import ANNA, JONAS, LENA, MARKETING, TENANT_ID, Desk, open_desk, small_tenant

from cards.i18n import Translator, unescaped
from cards.mail import TEMPLATES, render_mail
from cards.verbs import Verb
from handlers.commands import parse
from handlers.delivery import deliver_approval_cards, update_request_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.execution import execute_request
from handlers.jobs import JobRunner
from handlers.mail_outbox import enqueue_mail, message_id
from handlers.mail_policy import MailPolicy
from handlers.mail_sender import MailSender
from handlers.submission import CARD_UPDATE_JOB, DELIVER_JOB, EXECUTE_JOB
from kinds.mail.choice import MailChoiceCommand, parse_mail_choice
from m365.errors import Throttled, TransientError
from m365.memory import UserSeed
from m365.memory.mail import StoredMail
from storage.models import Request
from storage.models_mail import MailState, OutboxMail
from tests.mail_crash import Crash, CrashAfter

pytest_plugins = ["desk_fixture"]

SENDER = UserSeed("desk@contoso.com", "M365 Desk")
NO_MAILBOX = UserSeed("kiosk@contoso.com", "Kiosk Account", mail="")
BOT_APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
ANNA_PL = replace(ANNA, preferred_language="pl-PL")  # Anna never chatted in this test: the directory's language


@pytest_asyncio.fixture
async def desk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    """The small tenant with a sender mailbox; Anna reads Polish (directory), Lena German (her chat)."""
    seed = small_tenant()
    seed = replace(seed, users=(ANNA_PL, LENA, JONAS, SENDER, NO_MAILBOX))
    async with open_desk(migrated_sqlite, tmp_path, seed) as built:
        # The outbox stamps its rows with the wall clock: the test's clock starts just after it, and moves on.
        built.clock.now = datetime.now(UTC) + timedelta(seconds=5)
        built.services.mail = MailPolicy(sender=SENDER.user_principal_name, bot_app_id=BOT_APP_ID)
        async with built.services.uow() as uow:
            await uow.conversations.upsert(user_id=LENA.user_id, teams_user_id=f"29:{LENA.user_id}",
                                           conversation_id="a:lena", service_url="https://smba.invalid/",
                                           tenant_id=TENANT_ID, bot_id=f"28:{BOT_APP_ID}", bot_name="M365 Desk",
                                           locale="de-DE")
            await uow.commit()
        yield built


def runner(desk: Desk) -> JobRunner:
    return JobRunner(desk.services, {DELIVER_JOB: deliver_approval_cards, EXECUTE_JOB: execute_request,
                                     CARD_UPDATE_JOB: update_request_cards})


def sender(desk: Desk, **options: object) -> MailSender:
    return MailSender(desk.services, clock=desk.clock, **options)  # type: ignore[arg-type]


async def say(desk: Desk, person: UserSeed, text: str, *, locale: str = "en-US") -> str:
    reply = await dispatch_command(desk.services, desk.actor(person, locale=locale), parse(text, desk.services.kinds))
    assert reply.text is not None
    return reply.text


async def join_marketing(desk: Desk) -> Request:
    await say(desk, ANNA, f"join {MARKETING.display_name}", locale="pl-PL")
    await runner(desk).drain()
    async with desk.services.uow() as uow:
        (request,) = await uow.requests.list_for_requester(ANNA.user_id)
    return request


async def approve(desk: Desk, request: Request) -> None:
    await dispatch_click(desk.services, desk.actor(LENA, locale="de-DE"), Verb.APPROVE,
                         {"request_id": request.public_id, "version": request.version})
    await runner(desk).drain()


async def outbox(desk: Desk) -> list[OutboxMail]:
    async with desk.services.uow() as uow:
        return await uow.mail_outbox.all()


def sent_mail(desk: Desk) -> list[StoredMail]:
    return desk.tenant.mail.outbox()


def subject(language: str, template: str, **params: str) -> str:
    return unescaped(Translator(language)(TEMPLATES[template].subject, **params))


# ------------------------------------------------------------------ who is e-mailed, about what, in which language


async def test_each_transition_queues_one_mail_per_recipient_in_their_language(desk: Desk) -> None:
    request = await join_marketing(desk)
    await approve(desk, request)
    rows = await outbox(desk)
    assert [(row.key, row.recipient_id, row.language) for row in rows] == [
        (f"req-{request.id}-submitted", ANNA.user_id, "pl"),
        (f"req-{request.id}-decide-{LENA.user_id}", LENA.user_id, "de"),
        (f"req-{request.id}-approved", ANNA.user_id, "pl"),
        (f"req-{request.id}-completed", ANNA.user_id, "pl"),
    ]
    assert {row.address for row in rows} == {ANNA.user_principal_name, LENA.user_principal_name}
    assert all(row.request_id == request.id and row.reference == request.public_id for row in rows)
    kind_pl = unescaped(Translator("pl")("request.kind.dl.join"))
    assert rows[0].subject == subject("pl", "request.submitted", request_id=request.public_id, kind=kind_pl)
    kind_de = unescaped(Translator("de")("request.kind.dl.join"))
    assert rows[1].subject == subject("de", "request.decide", request_id=request.public_id, kind=kind_de,
                                      target=request.target_label)
    # The card's summary and the deep link to the chat are in both bodies.
    assert request.public_id in rows[1].text and MARKETING.display_name in rows[1].text
    assert f"https://teams.microsoft.com/l/chat/0/0?users=28:{BOT_APP_ID}" in rows[1].text
    assert f'href="https://teams.microsoft.com/l/chat/0/0?users=28:{BOT_APP_ID}"' in rows[1].html
    assert unescaped(Translator("de")("request.state.pending")) in rows[1].text

    assert await sender(desk).send_due() == 4
    mails = sent_mail(desk)
    assert [(m.to, m.subject, m.language) for m in mails] == [
        ((row.address,), row.subject, row.language) for row in rows
    ]
    assert [m.message_id for m in mails] == [message_id(row.key) for row in rows]
    assert all(m.sender == SENDER.user_principal_name for m in mails)


async def test_a_retried_card_update_job_queues_its_mail_once(desk: Desk) -> None:
    request = await join_marketing(desk)
    await approve(desk, request)
    async with desk.services.uow() as uow:
        job = await uow.jobs.for_request(request.id, "sync:approved")
    assert job is not None
    await update_request_cards(desk.services, job)  # the job again, as after a crash before it was recorded done
    await deliver_approval_cards(desk.services, job)  # and the delivery: the request is no longer pending
    keys = [row.key for row in await outbox(desk)]
    assert len(keys) == len(set(keys)) == 4


async def test_a_person_who_chose_off_gets_no_mail_and_one_who_chose_on_does_against_the_default(desk: Desk) -> None:
    answer = await say(desk, ANNA, "e-mail wyłącz", locale="pl-PL")
    assert answer == Translator("pl")("mail.choice.off")
    request = await join_marketing(desk)
    assert [row.recipient_id for row in await outbox(desk)] == [LENA.user_id]

    desk.services.mail = replace(desk.services.mail, default_on=False)
    assert await say(desk, ANNA, "email me on") == Translator("en")("mail.choice.on")
    await approve(desk, request)
    assert [row.key for row in await outbox(desk)][1:] == [f"req-{request.id}-approved",
                                                             f"req-{request.id}-completed"]


async def test_nothing_is_queued_without_a_sender_an_address_or_for_a_repeated_key(desk: Desk) -> None:
    params = {"request_id": "REQ-2026-000001", "kind": "x", "target": "y", "approvers": "z", "requester": "r"}
    async with desk.services.uow() as uow:
        assert await enqueue_mail(desk.services, uow, recipient_id=NO_MAILBOX.user_id, template="request.decide",
                                  params=params, key="no-address") is False
        assert await enqueue_mail(desk.services, uow, recipient_id=ANNA.user_id, template="request.decide",
                                  params=params, key="twice") is True
        assert await enqueue_mail(desk.services, uow, recipient_id=ANNA.user_id, template="request.decide",
                                  params=params, key="twice") is True
        await uow.commit()
    desk.services.mail = MailPolicy()
    async with desk.services.uow() as uow:
        assert await enqueue_mail(desk.services, uow, recipient_id=ANNA.user_id, template="request.decide",
                                  params=params, key="no-sender") is False
        await uow.commit()
    assert [row.key for row in await outbox(desk)] == ["twice"]
    assert await say(desk, ANNA, "email me on") == Translator("en")("mail.choice.not_configured")


@pytest.mark.parametrize(
    ("text", "choice"),
    [("email me on", True), ("Email me off", False), ("e-mails off", False), ("e-mail włącz", True),
     ("E-MAIL WYŁĄCZ", False), ("powiadomienia e-mail wył", False), ("E-Mail an", True), ("E-Mail aus", False),
     ("E-Mail-Benachrichtigungen aus", False), ("email me", None)],
)
def test_the_choice_is_understood_in_three_languages(text: str, choice: bool | None) -> None:
    assert parse_mail_choice(text) == MailChoiceCommand(choice)


@pytest.mark.parametrize("text", ["email the owners", "mailboxes", "show e-mail on list"])
def test_other_commands_are_not_taken_for_the_choice(text: str) -> None:
    assert parse_mail_choice(text) is None


def test_the_html_escapes_every_value_and_the_text_keeps_it_as_typed() -> None:
    params = {"request_id": "REQ-2026-000001", "kind": "<b>kind</b>", "target": "Tom & Jerry <tj@x.com>",
              "approvers": "\"Quoted\"", "requester": "<script>alert(1)</script>"}
    mail = render_mail("request.decide", params, Translator("en"), recipient_name="<i>Lena</i>",
                       chat_link="https://teams.microsoft.com/l/chat/0/0?users=28:x&y=\"z\"")
    assert "<script>" not in mail.html and "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.html
    assert "<i>Lena" not in mail.html and "&lt;i&gt;Lena&lt;/i&gt;" in mail.html
    assert "Tom &amp; Jerry &lt;tj@x.com&gt;" in mail.html
    assert 'href="https://teams.microsoft.com/l/chat/0/0?users=28:x&amp;y=&quot;z&quot;"' in mail.html
    assert "<script>alert(1)</script>" in mail.text and "Tom & Jerry <tj@x.com>" in mail.text
    assert "\n" not in mail.subject


# ------------------------------------------------------------------ sending exactly once






async def queue(desk: Desk, count: int, *, recipient: UserSeed = ANNA) -> None:
    params = {"request_id": "REQ-2026-000001", "kind": "k", "target": "t", "approvers": "a", "requester": "r"}
    async with desk.services.uow() as uow:
        for number in range(count):
            await enqueue_mail(desk.services, uow, recipient_id=recipient.user_id, template="request.decide",
                               params=params, key=f"test-{number}")
        await uow.commit()


@pytest.mark.parametrize("after", ["create_draft", "send_draft"])
async def test_a_crash_between_the_calls_then_a_retry_sends_exactly_one_mail(desk: Desk, after: str) -> None:
    await queue(desk, 1)
    port = desk.services.tenant.mail
    assert port is not None
    desk.services.tenant.mail = CrashAfter(port, after)
    with pytest.raises(Crash):
        await sender(desk, lease_seconds=60).send_due()
    desk.services.tenant.mail = port
    # Another replica comes along: the row stays leased to the dead one until its lease ends.
    assert await sender(desk, lease_seconds=60).send_due() == 0
    desk.clock.advance(seconds=61)
    assert await sender(desk, lease_seconds=60).send_due() == 1
    assert len(sent_mail(desk)) == 1
    assert not [m for m in desk.tenant.mail.messages.values() if m.is_draft]
    (row,) = await outbox(desk)
    assert (row.state, row.attempts) == (MailState.SENT, 2)
    assert await sender(desk).send_due() == 0 and len(sent_mail(desk)) == 1


async def test_each_mail_is_sent_once_however_often_the_sender_runs(desk: Desk) -> None:
    await queue(desk, 3)
    first, second = sender(desk), sender(desk)
    assert await first.send_due() == 3
    assert await first.send_due() == 0
    desk.clock.advance(seconds=600)  # the first one's lease has run out: the second may send, and finds nothing
    assert await second.send_due() == 0
    assert len(sent_mail(desk)) == 3


async def test_throttling_waits_for_retry_after_then_sends_once(desk: Desk) -> None:
    await queue(desk, 2)
    desk.faults.fail_next("mail.send_draft", Throttled("too many", status=429, retry_after=30))
    mail_sender = sender(desk)
    assert await mail_sender.send_due() == 0  # throttled: the mailbox rests, the second mail waits too
    (first, second) = await outbox(desk)
    assert first.state == MailState.QUEUED and first.draft_id is not None
    assert first.next_attempt_at == desk.clock.now + timedelta(seconds=30)
    desk.clock.advance(seconds=29)
    assert await mail_sender.send_due() == 0
    desk.clock.advance(seconds=2)
    assert await mail_sender.send_due() == 2
    assert len(sent_mail(desk)) == 2
    assert not [m for m in desk.tenant.mail.messages.values() if m.is_draft]  # the first draft was sent, not a new one


async def test_the_per_minute_limit_holds_as_a_sliding_window(desk: Desk) -> None:
    await queue(desk, 35)
    mail_sender = sender(desk)
    assert await mail_sender.send_due() == 30
    assert await mail_sender.send_due() == 0
    desk.clock.advance(seconds=59)
    assert await mail_sender.send_due() == 0
    desk.clock.advance(seconds=2)
    assert await mail_sender.send_due() == 5
    assert len(sent_mail(desk)) == 35  # the mailbox itself (memory fake: 30 a minute) never had to refuse one
    desk.services.mail = replace(desk.services.mail, per_minute=3)
    await queue(desk, 40)
    desk.clock.advance(seconds=61)
    assert await mail_sender.send_due() == 3


async def test_transient_failures_retry_with_backoff_then_the_mail_is_failed_and_never_sent(desk: Desk) -> None:
    await queue(desk, 1)
    desk.faults.fail_next("mail.find", TransientError("unavailable", status=503), times=3)
    mail_sender = sender(desk, max_attempts=3)
    assert await mail_sender.send_due() == 0
    (row,) = await outbox(desk)
    assert row.next_attempt_at == desk.clock.now + timedelta(seconds=30)
    desk.clock.advance(seconds=31)
    assert await mail_sender.send_due() == 0
    (row,) = await outbox(desk)
    assert row.next_attempt_at == desk.clock.now + timedelta(seconds=60)  # twice as long
    desk.clock.advance(seconds=61)
    assert await mail_sender.send_due() == 0
    (row,) = await outbox(desk)
    assert (row.state, row.attempts) == (MailState.FAILED, 3)
    desk.clock.advance(seconds=3600)
    assert await mail_sender.send_due() == 0 and sent_mail(desk) == []


async def test_a_sender_the_access_policy_refuses_fails_the_mail_at_once(desk: Desk) -> None:
    await queue(desk, 1)
    desk.tenant.mail.restrict_senders({"someone.else@contoso.com"})
    assert await sender(desk).send_due() == 0
    (row,) = await outbox(desk)
    assert row.state == MailState.FAILED and "ErrorAccessDenied" in (row.last_error or "")

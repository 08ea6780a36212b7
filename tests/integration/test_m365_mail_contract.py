"""Contract tests of the Mail port against both implementations (m365_fixtures: m365/mail.py's GraphMail against
devtenant over HTTPS, and the in-memory tenant): the idempotent send (find → draft → send → find), its errors
(unknown sender, a sender the app may not use, the sending limit), automatic replies, and non-ASCII subjects.

What happens outside the desk (the outbox read back, automatic replies set in Outlook, an access policy) is done
the way each implementation offers it: devtenant's control API over HTTP, the memory tenant's mail records.
"""

from __future__ import annotations

import base64
import email
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.policy import default
from typing import Any

import aiohttp
import pytest

from devtenant import DevTenant, Seed
from m365.errors import InvalidRequest, NotFound, PermissionDenied, Throttled, TransientError
from m365.graph import GraphApi
from m365.mail import SENDS_PER_MINUTE, GraphMail, automatic_replies_of, mime_message
from m365.memory import tenant_state
from m365.ports import AutomaticReplies, Mail, OutgoingMail

pytest_plugins = ["m365_fixtures"]
pytestmark = pytest.mark.asyncio(loop_scope="module")

POLISH_SUBJECT = "Wniosek REQ-2026-000123 zatwierdzony: licencja Microsoft 365 E3 dla Łucji Żółkiewskiej (gęślą jaźń)"
GERMAN_SUBJECT = "Antrag genehmigt: Größere Postfachrechte für Jürgen Weiß – bitte prüfen Sie die Änderung"


@dataclass(frozen=True)
class Sent:
    """A sent message as either implementation's outbox shows it."""

    sender: str
    to: tuple[str, ...]
    subject: str
    language: str
    message_id: str
    text: str
    html: str


@dataclass
class Outside:
    """The outbox, people's automatic replies and the access policy, for either implementation."""

    impl: str
    target: Any  # devtenant (over its control API) or the memory tenant's MailRecords

    async def _control(self, method: str, path: str, payload: Any = None) -> Any:
        url = f"{self.target.control_url}/mail/{path}"
        async with aiohttp.ClientSession(trust_env=False) as session, \
                session.request(method, url, json=payload) as reply:
            assert reply.status < 300, await reply.text()
            return await reply.json() if reply.status == 200 else None

    async def outbox(self) -> list[Sent]:
        if self.impl == "memory":
            return [Sent(m.sender.lower(), tuple(m.to), m.subject, m.language, m.message_id, m.text, m.html)
                    for m in self.target.outbox()]
        rows = (await self._control("GET", "outbox"))["value"]
        return [Sent(r["sender"].lower(), tuple(r["to"]), r["subject"], r["language"], r["messageId"], r["text"],
                     r["html"]) for r in rows]

    async def restrict(self, senders: list[str] | None, kind: str = "applicationAccessPolicy") -> None:
        if self.impl == "memory":
            self.target.restrict_senders(None if senders is None else set(senders), kind)
        else:
            await self._control("PUT", "accessPolicy", {"senders": senders, "kind": kind})

    async def replies(self, user: str, replies: AutomaticReplies) -> None:
        if self.impl == "memory":
            self.target.set_automatic_replies(user, replies)
            return
        payload: dict[str, Any] = {"status": replies.status}
        if replies.start and replies.end:
            payload |= {"start": replies.start.isoformat(), "end": replies.end.isoformat()}
        await self._control("PUT", f"automaticReplies/{user}", payload)


@pytest.fixture
def mail(tenant_impl: str, request: pytest.FixtureRequest) -> Mail:
    if tenant_impl == "memory":
        port = request.getfixturevalue("memory").mail
        assert port is not None
        return port  # type: ignore[no-any-return]
    return GraphMail(request.getfixturevalue("graph"))


@pytest.fixture
def outside(tenant_impl: str, request: pytest.FixtureRequest) -> Outside:
    if tenant_impl == "memory":
        return Outside("memory", tenant_state(request.getfixturevalue("memory")).mail)
    return Outside("devtenant", request.getfixturevalue("tenant"))


def _sender(seed: Seed) -> str:
    return seed.helpdesk_mailbox.primary_smtp_address


def _mail(seed: Seed, key: str, *, subject: str = "Request approved", language: str = "en",
          to: tuple[str, ...] | None = None) -> OutgoingMail:
    recipients = to if to is not None else (seed.demo_employee.user_principal_name,)
    return OutgoingMail(message_id=f"<{key}@m365-desk>", sender=_sender(seed), to=recipients, subject=subject,
                        text=f"{subject}\nREQ-2026-000123\n", html=f"<p>{subject}</p><p>REQ-2026-000123</p>",
                        language=language)


async def _send_idempotently(mail: Mail, outgoing: OutgoingMail) -> None:
    """What the notifications do: whatever was done already is not done again."""
    found = await mail.find(outgoing.sender, outgoing.message_id)
    if found is not None and not found.is_draft:
        return
    draft_id = found.id if found is not None else await mail.create_draft(outgoing)
    await mail.send_draft(outgoing.sender, draft_id)


class TestMailContract:
    async def test_draft_then_send_is_found_at_each_step_and_sent_once(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        outgoing = _mail(seed, "req-123.approved.anna")
        assert await mail.find(outgoing.sender, outgoing.message_id) is None
        draft_id = await mail.create_draft(outgoing)
        found = await mail.find(outgoing.sender.upper(), outgoing.message_id)
        assert found is not None and found.is_draft and found.id == draft_id
        assert await outside.outbox() == []  # a draft is not sent
        await mail.send_draft(outgoing.sender, draft_id)
        sent = await mail.find(outgoing.sender, outgoing.message_id)
        assert sent is not None and not sent.is_draft
        assert sent.id != draft_id  # moved to Sent Items under a new id
        # A retry after a crash at any point repeats nothing.
        await _send_idempotently(mail, outgoing)
        with pytest.raises(NotFound):  # the draft's id is gone once sent
            await mail.send_draft(outgoing.sender, draft_id)
        with pytest.raises(InvalidRequest):
            await mail.send_draft(outgoing.sender, sent.id)
        assert await outside.outbox() == [Sent(
            outgoing.sender.lower(), outgoing.to, outgoing.subject, "en", outgoing.message_id,
            outgoing.text, outgoing.html)]

    async def test_a_crash_after_the_draft_is_repaired_by_sending_that_draft(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        outgoing = _mail(seed, "req-124.pending.lena", to=(seed.list_owner.user_principal_name,))
        await mail.create_draft(outgoing)  # then the process died
        await _send_idempotently(mail, outgoing)
        await _send_idempotently(mail, outgoing)
        assert [s.message_id for s in await outside.outbox()] == [outgoing.message_id]

    async def test_the_same_message_id_twice_is_found_and_the_sent_one_wins(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        outgoing = _mail(seed, "req-125.twice")
        first = await mail.create_draft(outgoing)
        second = await mail.create_draft(outgoing)  # a crash between the POST and reading its answer
        assert first != second
        found = await mail.find(outgoing.sender, outgoing.message_id)
        assert found is not None and found.is_draft and found.id in (first, second)
        await mail.send_draft(outgoing.sender, second)
        found = await mail.find(outgoing.sender, outgoing.message_id)
        assert found is not None and not found.is_draft
        assert len(await outside.outbox()) == 1

    async def test_message_ids_of_other_mailboxes_or_other_messages_are_not_found(
            self, mail: Mail, seed: Seed) -> None:
        outgoing = _mail(seed, "req-126.only.here")
        await mail.create_draft(outgoing)
        assert await mail.find(seed.demo_admin.user_principal_name, outgoing.message_id) is None
        assert await mail.find(outgoing.sender, "<req-126.other@m365-desk>") is None
        assert await mail.find(outgoing.sender, "<it's@m365-desk>") is None  # a quote is escaped, not an error

    async def test_an_unknown_sender_is_not_found(self, mail: Mail, seed: Seed) -> None:
        nobody = f"nobody.here@{seed.domain}"
        with pytest.raises(NotFound) as caught:
            await mail.find(nobody, "<x@m365-desk>")
        assert caught.value.code == "ErrorInvalidUser" and caught.value.status == 404
        with pytest.raises(NotFound):
            await mail.create_draft(replace(_mail(seed, "req-127"), sender=nobody))
        with pytest.raises(NotFound):
            await mail.send_draft(_sender(seed), "AAMkAGnothere00000000AAA=")
        with pytest.raises(NotFound):
            await mail.automatic_replies(nobody)

    async def test_a_sender_outside_the_access_policy_is_refused(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        allowed = seed.sales_mailbox.primary_smtp_address
        await outside.restrict([allowed])
        outgoing = _mail(seed, "req-128.denied")
        with pytest.raises(PermissionDenied) as caught:
            await mail.find(outgoing.sender, outgoing.message_id)
        assert caught.value.code == "ErrorAccessDenied" and caught.value.status == 403
        with pytest.raises(PermissionDenied):
            await mail.create_draft(outgoing)
        # An application access policy covers mailbox settings as well: people's replies are out of reach too.
        with pytest.raises(PermissionDenied):
            await mail.automatic_replies(seed.demo_employee.user_principal_name)
        permitted = replace(_mail(seed, "req-128.allowed"), sender=allowed)
        await _send_idempotently(mail, permitted)
        assert [s.sender for s in await outside.outbox()] == [allowed.lower()]

    async def test_rbac_for_applications_scopes_mail_but_not_mailbox_settings(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        await outside.restrict([_sender(seed)], "rbacForApplications")
        await _send_idempotently(mail, _mail(seed, "req-129.rbac"))
        with pytest.raises(PermissionDenied):
            await mail.find(seed.sales_mailbox.primary_smtp_address, "<req-129.rbac@m365-desk>")
        replies = await mail.automatic_replies(seed.demo_employee.user_principal_name)
        assert replies.status == "disabled"

    async def test_the_sending_limit_throttles_with_retry_after(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        for n in range(SENDS_PER_MINUTE):
            await _send_idempotently(mail, _mail(seed, f"req-130.burst.{n}"))
        over = _mail(seed, "req-130.burst.over")
        draft_id = await mail.create_draft(over)
        with pytest.raises(TransientError) as caught:
            await mail.send_draft(over.sender, draft_id)
        assert isinstance(caught.value, Throttled) and caught.value.status == 429
        assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 60
        found = await mail.find(over.sender, over.message_id)
        assert found is not None and found.is_draft  # still a draft, sent on a later attempt
        assert len(await outside.outbox()) == SENDS_PER_MINUTE

    async def test_automatic_replies_disabled_always_and_scheduled(
            self, mail: Mail, outside: Outside, seed: Seed) -> None:
        anna, lena = seed.demo_employee, seed.list_owner
        assert await mail.automatic_replies(anna.id) == AutomaticReplies("disabled")
        await outside.replies(anna.user_principal_name, AutomaticReplies("alwaysEnabled"))
        always = await mail.automatic_replies(anna.user_principal_name)
        assert always.status == "alwaysEnabled" and always.on_at(datetime(2030, 1, 1, tzinfo=UTC))
        start, end = datetime(2026, 3, 2, 8, 0, tzinfo=UTC), datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
        await outside.replies(lena.id, AutomaticReplies("scheduled", start, end))
        scheduled = await mail.automatic_replies(lena.id)
        assert (scheduled.status, scheduled.start, scheduled.end) == ("scheduled", start, end)
        assert scheduled.on_at(start) and scheduled.on_at(datetime(2026, 3, 4, tzinfo=UTC))
        assert not scheduled.on_at(end) and not scheduled.on_at(datetime(2026, 3, 1, tzinfo=UTC))

    @pytest.mark.parametrize(("subject", "language"), [(POLISH_SUBJECT, "pl"), (GERMAN_SUBJECT, "de")])
    async def test_polish_and_german_subjects_and_bodies_survive(
            self, mail: Mail, outside: Outside, seed: Seed, subject: str, language: str) -> None:
        outgoing = _mail(seed, f"req-131.{language}", subject=subject, language=language,
                         to=(seed.demo_employee.user_principal_name, seed.list_owner.user_principal_name))
        await _send_idempotently(mail, outgoing)
        [sent] = await outside.outbox()
        assert (sent.subject, sent.language, sent.to) == (subject, language, outgoing.to)
        assert sent.text == outgoing.text and sent.html == outgoing.html


async def test_the_mime_form_is_seven_bit_with_encoded_words_and_both_parts() -> None:
    outgoing = OutgoingMail("<req-1.pl@m365-desk>", "desk@contoso.com", ("anna@contoso.com", "lena@contoso.com"),
                            POLISH_SUBJECT, "Treść: żółć\n", "<p>Treść: żółć</p>", "pl")
    raw = mime_message(outgoing, date=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    text = raw.decode("ascii")  # 7-bit clean, as Graph's base64 MIME upload wants it
    assert "=?utf-8?" in text and "\r\n" in text
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == POLISH_SUBJECT and parsed["Content-Language"] == "pl"
    assert parsed["Message-ID"] == "<req-1.pl@m365-desk>" and parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize("bad", [
    {"message_id": "req-1@m365-desk"}, {"message_id": "<a b@m365-desk>"}, {"to": ()}, {"to": ("not an address",)},
    {"subject": "two\r\nBcc: someone@evil.example"}, {"language": "polish!"},
])
async def test_a_mail_that_could_forge_headers_is_refused_before_sending(bad: dict[str, Any]) -> None:
    fields = {"message_id": "<req-1@m365-desk>", "sender": "desk@contoso.com", "to": ("anna@contoso.com",),
              "subject": "s", "text": "t", "html": "<p>h</p>", "language": "en", **bad}
    with pytest.raises(InvalidRequest):
        mime_message(OutgoingMail(**fields))


async def test_scheduled_replies_in_a_windows_time_zone_are_read_as_utc() -> None:
    replies = automatic_replies_of({
        "status": "scheduled",
        "scheduledStartDateTime": {"dateTime": "2026-03-02T09:00:00.0000000", "timeZone": "W. Europe Standard Time"},
        "scheduledEndDateTime": {"dateTime": "2026-07-06T17:00:00.0000000", "timeZone": "Europe/Warsaw"}})
    assert replies.start == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # CET, winter
    assert replies.end == datetime(2026, 7, 6, 15, 0, tzinfo=UTC)  # CEST, summer
    assert automatic_replies_of({"status": "somethingNew"}) == AutomaticReplies("disabled")


@pytest.mark.devtenant_only("Graph's HTTP forms, write-once sending and the emulator's control API")
class TestHttpMail:
    async def test_raw_mime_draft_send_and_send_mail_over_http(self, tenant: DevTenant, graph: GraphApi) -> None:
        seed = tenant.seed
        sender = _sender(seed)
        token = await _token(tenant)
        outgoing = _mail(seed, "req-140.http", subject=GERMAN_SUBJECT, language="de")
        async with _session(tenant) as session:
            url = f"{tenant.graph_base_url}/users/{sender}/messages"
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
            async with session.post(url, data=base64.b64encode(mime_message(outgoing)), headers=headers) as reply:
                assert reply.status == 201
                created = await reply.json()
            assert created["isDraft"] is True and created["internetMessageId"] == outgoing.message_id
            assert created["subject"] == GERMAN_SUBJECT
            async with session.post(f"{url}/{created['id']}/send", headers=headers) as reply:
                assert reply.status == 202 and not await reply.read()
            message = {"subject": "Erinnerung", "body": {"contentType": "html", "content": "<p>Bitte</p>"},
                       "toRecipients": [{"emailAddress": {"address": seed.list_owner.user_principal_name}}]}
            async with session.post(f"{tenant.graph_base_url}/users/{sender}/sendMail",
                                    json={"message": message, "saveToSentItems": False},
                                    headers={"Authorization": f"Bearer {token}"}) as reply:
                assert reply.status == 202
            async with session.post(url, data="not base64 at all!", headers=headers) as reply:
                assert reply.status == 400
                assert (await reply.json())["error"]["code"] == "ErrorMimeContentInvalidBase64String"
            async with session.get(f"{tenant.control_url}/mail/outbox", params={"sender": sender}) as reply:
                rows = (await reply.json())["value"]
        assert [(r["subject"], r["language"]) for r in rows] == [(GERMAN_SUBJECT, "de"), ("Erinnerung", "")]
        assert rows[1]["to"] == [seed.list_owner.user_principal_name] and rows[1]["html"] == "<p>Bitte</p>"

    async def test_writes_are_sent_once_and_a_503_is_transient(self, tenant: DevTenant, graph: GraphApi) -> None:
        mail = GraphMail(graph)
        outgoing = _mail(seed := tenant.seed, "req-141.outage")
        tenant.faults.set("graph", status=503, retry_after=2, times=1, path_contains="/send")
        draft_id = await mail.create_draft(outgoing)
        tenant.state.reset_call_log()
        with pytest.raises(TransientError) as caught:
            await mail.send_draft(outgoing.sender, draft_id)
        assert caught.value.retry_after == 2
        assert [c.status for c in tenant.state.calls("graph")] == [503]  # not retried by the client
        await _send_idempotently(mail, outgoing)
        assert [m.internet_message_id for m in tenant.state.mail.outbox()] == [outgoing.message_id]
        assert seed.helpdesk_mailbox.primary_smtp_address == outgoing.sender

    async def test_control_api_sets_replies_and_policy_and_clears_the_outbox(
            self, tenant: DevTenant, graph: GraphApi) -> None:
        mail = GraphMail(graph)
        anna = tenant.seed.demo_employee
        async with _session(tenant) as session:
            windows = {"status": "scheduled",
                       "scheduledStartDateTime": {"dateTime": "2026-03-02T09:00:00", "timeZone": "Central European "
                                                                                              "Standard Time"},
                       "scheduledEndDateTime": {"dateTime": "2026-03-03T09:00:00", "timeZone": "UTC"}}
            async with session.put(f"{tenant.control_url}/mail/automaticReplies/{anna.id}", json=windows) as reply:
                assert reply.status == 204
            async with session.put(f"{tenant.control_url}/mail/automaticReplies/{anna.id}",
                                   json={"status": "scheduled"}) as reply:
                assert reply.status == 400  # a window needs its ends
            async with session.put(f"{tenant.control_url}/mail/accessPolicy", json={"senders": "x"}) as reply:
                assert reply.status == 400
        replies = await mail.automatic_replies(anna.user_principal_name)
        assert replies.start == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
        await _send_idempotently(mail, _mail(tenant.seed, "req-142.clear"))
        async with _session(tenant) as session, session.delete(f"{tenant.control_url}/mail/outbox") as reply:
            assert reply.status == 204
        assert tenant.state.mail.outbox() == []

    async def test_without_the_mail_permissions_graph_refuses(self, tenant: DevTenant, graph: GraphApi) -> None:
        roles = tenant.state.apps[tenant.client_id].roles
        for resource in roles:
            roles[resource] = [r for r in roles[resource] if not r.startswith("Mail")]
        with pytest.raises(PermissionDenied):
            await GraphMail(graph).find(_sender(tenant.seed), "<x@m365-desk>")


async def _token(tenant: DevTenant) -> str:
    async with _session(tenant) as session, session.post(tenant.token_endpoint, data={
            "grant_type": "client_credentials", "client_id": tenant.client_id,
            "client_secret": tenant.client_secret, "scope": "https://graph.microsoft.com/.default"}) as reply:
        return str((await reply.json())["access_token"])


def _session(tenant: DevTenant) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tenant.ssl_context()), trust_env=False)

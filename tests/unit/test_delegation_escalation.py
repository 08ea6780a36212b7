"""Reminders, escalation, expiry, delegates, out of office and reassignment (F15) on the memory tenant and the
settable clock: Anna asks to join Lena's closed list, Lena decides; Olga is Lena's manager, Max a colleague."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from desk_fixture import ANNA, JONAS, LENA, MARKETING, Desk, open_desk, small_tenant
from test_request_lifecycle import action_data, audit_of, click, file, run_jobs, stored, texts_to, updates_of

from cards.i18n import Translator
from cards.verbs import Verb
from handlers.commands import parse
from handlers.delegation import AWAY, DELEGATE, DIRECT, stand_ins
from handlers.dispatch import dispatch_command
from handlers.escalation import FollowedUp, Intervals, follow_up_waiting
from kinds.delegation.commands import Delegate, Reassign, StopDelegating, parse_delegate, parse_reassign
from m365.memory import TenantSeed, UserSeed
from m365.ports import AutomaticReplies
from storage.models import Request

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

OLGA = UserSeed("olga.wrona@contoso.com", "Olga Wrona", department="Marketing", usage_location="PL")
MAX = UserSeed("max.muller@contoso.com", "Max Müller", department="Marketing", usage_location="DE")
# Business hours of waiting: a reminder every 8, the escalation at 12, the expiry at 30. A business day is 10.5 h
# (08:00-18:30 Warsaw); filed on Friday 7 March 2025 at 11:00 Warsaw, 7.5 h are left that day.
INTERVALS = Intervals(remind_after_hours=8, escalate_after_hours=12, expire_after_hours=30)
FILED = datetime(2025, 3, 7, 10, 0, tzinfo=UTC)
REMIND = datetime(2025, 3, 10, 7, 30, tzinfo=UTC)  # Monday 08:30 Warsaw: 8 h
ESCALATE = datetime(2025, 3, 10, 11, 30, tzinfo=UTC)  # Monday 12:30: 12 h
EXPIRE = datetime(2025, 3, 12, 8, 30, tzinfo=UTC)  # Wednesday 09:30: 7.5 + 10.5 + 10.5 + 1.5 = 30 h
MINUTE = timedelta(minutes=1)
ANNA_UPN, LENA_UPN, MAX_UPN, OLGA_UPN = (p.user_principal_name for p in (ANNA, LENA, MAX, OLGA))


def tenant() -> TenantSeed:
    seed = small_tenant()
    users = tuple(replace(user, manager_id=OLGA.user_id) if user.user_id == LENA.user_id else user
                  for user in seed.users)
    return replace(seed, users=(*users, OLGA, MAX))


@pytest.fixture
async def wdesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(migrated_sqlite, tmp_path, tenant()) as built:
        built.clock.now = FILED
        yield built


async def say(desk: Desk, person: UserSeed, text: str, locale: str = "en-US") -> str:
    reply = await dispatch_command(desk.services, desk.actor(person, locale=locale), parse(text, desk.services.kinds))
    return reply.text or ""


async def annas_join(desk: Desk) -> Request:
    request = await file(desk, ANNA, f"join {MARKETING.display_name}")
    await run_jobs(desk)
    return request


def cards_for(desk: Desk, person: UserSeed, request: Request) -> list[str]:
    return [str(s.card) for s in desk.messenger.to(person.user_id) if s.card and request.public_id in str(s.card)]


async def twice(desk: Desk) -> FollowedUp:
    """Two replicas at once: what they did together."""
    runs = await asyncio.gather(follow_up_waiting(desk.services, INTERVALS),
                                follow_up_waiting(desk.services, INTERVALS))
    return FollowedUp(*(sum(getattr(run, name) for run in runs) for name in ("reminded", "escalated", "expired")))


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("text", "who", "until"), [
    ("delegate my approvals to max.muller@contoso.com until 2027-01-15", "max.muller@contoso.com", "2027-01-15"),
    ("przekaż moje zatwierdzenia max.muller@contoso.com do 15.01.2027", "max.muller@contoso.com", "2027-01-15"),
    ("delegiere meine Genehmigungen an Max Müller bis zum 15.01.2027", "Max Müller", "2027-01-15"),
])
async def test_delegate_parses_in_three_languages(text: str, who: str, until: str) -> None:
    parsed = parse_delegate(text)
    assert isinstance(parsed, Delegate) and parsed.who == who and parsed.until is not None
    assert parsed.until.isoformat() == until


@pytest.mark.parametrize("text", ["stop delegating", "zakończ przekazywanie", "Delegierung beenden"])
async def test_stop_delegating_parses(text: str) -> None:
    assert parse_delegate(text) == StopDelegating()


@pytest.mark.parametrize(("text", "replace_them"), [
    ("reassign REQ-2025-000001 to olga.wrona@contoso.com", True),
    ("przypisz REQ-2025-000001 do olga.wrona@contoso.com", True),
    ("übertrage REQ-2025-000001 an olga.wrona@contoso.com", True),
    ("add approver olga.wrona@contoso.com to REQ-2025-000001", False),
    ("dodaj zatwierdzającego olga.wrona@contoso.com do REQ-2025-000001", False),
    ("füge Genehmiger olga.wrona@contoso.com zu REQ-2025-000001 hinzu", False),
])
async def test_reassign_parses(text: str, replace_them: bool) -> None:
    assert parse_reassign(text) == Reassign("REQ-2025-000001", "olga.wrona@contoso.com", replace_them)


# ------------------------------------------------------------------ reminders, escalation, expiry


async def test_reminder_escalation_and_expiry_across_a_weekend_each_once(wdesk: Desk) -> None:
    request = await annas_join(wdesk)
    assert len(cards_for(wdesk, LENA, request)) == 1

    wdesk.clock.now = datetime(2025, 3, 8, 12, 0, tzinfo=UTC)  # Saturday: the business clock stands still
    assert await twice(wdesk) == FollowedUp()
    wdesk.clock.now = REMIND - MINUTE
    assert await twice(wdesk) == FollowedUp()
    wdesk.clock.now = REMIND
    assert await twice(wdesk) == FollowedUp(reminded=1)
    assert await twice(wdesk) == FollowedUp()
    lenas = cards_for(wdesk, LENA, request)
    assert len(lenas) == 2 and f"Reminder: {request.public_id} has been waiting" in lenas[1]
    # The first card, no longer kept current, loses its buttons and points to the new one.
    first = next(s for s in wdesk.messenger.to(LENA.user_id) if s.card and request.public_id in str(s.card))
    (retired,) = updates_of(wdesk, first)
    assert Verb.APPROVE not in str(retired) and "A newer card for" in str(retired)

    wdesk.clock.now = ESCALATE
    assert await twice(wdesk) == FollowedUp(escalated=1)
    assert await twice(wdesk) == FollowedUp()
    # Olga, Lena's manager, joins and gets the card; Lena keeps hers (and may still decide).
    assert (await stored(wdesk, request)).approver_ids == [LENA.user_id, OLGA.user_id]
    (olgas,) = [s.card for s in wdesk.messenger.to(OLGA.user_id) if s.card]
    assert action_data(olgas, Verb.APPROVE)["request_id"] == request.public_id
    assert len(await audit_of(wdesk, request, "request.escalated")) == 1

    wdesk.clock.now = EXPIRE - MINUTE
    assert (await twice(wdesk)).expired == 0
    wdesk.clock.now = EXPIRE
    assert (await twice(wdesk)).expired == 1
    assert (await stored(wdesk, request)).state == "expired"
    assert len(await audit_of(wdesk, request, "request.expired")) == 1
    await run_jobs(wdesk)
    assert any("has expired" in text for text in texts_to(wdesk, ANNA))
    # Olga's copy is updated without buttons; a click on the old one changes nothing.
    reply = await click(wdesk, OLGA, Verb.APPROVE, action_data(olgas, Verb.APPROVE))
    assert "expired" in (reply.text or "").lower()
    assert (await stored(wdesk, request)).state == "expired"


async def test_ask_again_files_the_same_request_anew_once(wdesk: Desk) -> None:
    request = await annas_join(wdesk)
    wdesk.clock.now = EXPIRE
    await follow_up_waiting(wdesk.services, INTERVALS)
    await run_jobs(wdesk)
    (expired_card,) = [s.card for s in wdesk.messenger.to(ANNA.user_id) if s.card and s.text and "expired" in s.text]
    ask = action_data(expired_card, Verb.ASK_AGAIN)
    # Someone with no part in it learns nothing; Lena (an approver) may not ask for it.
    assert (await click(wdesk, MAX, Verb.ASK_AGAIN, ask)).text == Translator("en")("authority.refused")
    assert "Only the person who filed" in ((await click(wdesk, LENA, Verb.ASK_AGAIN, ask)).text or "")
    reply = await click(wdesk, ANNA, Verb.ASK_AGAIN, ask)
    assert reply.status_card_of is not None and reply.status_card_of != request.id
    async with wdesk.services.uow() as uow:
        again = await uow.requests.get(reply.status_card_of)
    assert again is not None and again.state == "pending" and again.kind == request.kind
    assert again.target_id == request.target_id and again.approver_ids == [LENA.user_id]
    assert "already asked" in ((await click(wdesk, ANNA, Verb.ASK_AGAIN, ask)).text or "")


# ------------------------------------------------------------------ delegates


async def test_delegation_window_before_during_after(wdesk: Desk) -> None:
    assert "Until 2025-03-14" in await say(wdesk, LENA, f"delegate my approvals to {MAX_UPN} until 2025-03-14")
    during = wdesk.clock.now + timedelta(days=2)
    after = datetime(2025, 3, 15, 0, 0, tzinfo=UTC)  # Saturday 01:00 Warsaw: the 14th is over
    before = wdesk.clock.now - timedelta(days=1)
    (routed,) = await stand_ins(wdesk.services, [LENA.user_id], before)
    assert (routed.recipient_id, routed.how) == (LENA.user_id, DIRECT)
    (routed,) = await stand_ins(wdesk.services, [LENA.user_id], during)
    assert (routed.recipient_id, routed.how, routed.on_behalf_of) == (MAX.user_id, DELEGATE, LENA.user_id)
    (routed,) = await stand_ins(wdesk.services, [LENA.user_id], after)
    assert (routed.recipient_id, routed.how) == (LENA.user_id, DIRECT)
    assert "no longer decides" in await say(wdesk, LENA, "stop delegating")
    (routed,) = await stand_ins(wdesk.services, [LENA.user_id], during)
    assert routed.how == DIRECT


async def test_delegation_refuses_oneself_the_past_and_more_than_a_year(wdesk: Desk) -> None:
    assert "yourself" in await say(wdesk, LENA, f"delegate my approvals to {LENA_UPN} until 2025-03-14")
    assert "already passed" in await say(wdesk, LENA, f"delegate my approvals to {MAX_UPN} until 2025-03-01")
    assert "at most 365 days" in await say(wdesk, LENA, f"delegate my approvals to {MAX_UPN} until 2027-01-15")
    assert "as a date" in await say(wdesk, LENA, f"delegate my approvals to {MAX_UPN} until tomorrow")
    async with wdesk.services.uow() as uow:
        assert await uow.delegations.current(LENA.user_id, wdesk.clock.now) is None


async def test_a_delegate_gets_the_card_and_decides_for_the_approver(wdesk: Desk) -> None:
    await say(wdesk, LENA, f"delegate my approvals to {MAX_UPN} until 2025-03-14")
    request = await annas_join(wdesk)
    assert cards_for(wdesk, LENA, request) == []
    (maxs,) = [s.card for s in wdesk.messenger.to(MAX.user_id) if s.card]
    assert "delegate of Lena Schmidt" in str(maxs)
    await click(wdesk, MAX, Verb.APPROVE, action_data(maxs, Verb.APPROVE))
    assert (await stored(wdesk, request)).state == "approved"
    (event,) = await audit_of(wdesk, request, "request.approved")
    assert (event.actor_id, event.detail["on_behalf_of"]) == (MAX.user_id, LENA.user_id)
    async with wdesk.services.uow() as uow:
        (decision,) = await uow.decisions.for_request(request.id)
    assert (decision.approver_id, decision.on_behalf_of_id) == (MAX.user_id, LENA.user_id)
    await run_jobs(wdesk)
    assert any("Max Müller for Lena Schmidt" in str(card) for _, card in wdesk.messenger.updates)


async def test_a_delegate_who_filed_the_request_cannot_decide_it(wdesk: Desk) -> None:
    await say(wdesk, LENA, f"delegate my approvals to {ANNA_UPN} until 2025-03-14")
    request = await annas_join(wdesk)
    (annas,) = [s.card for s in wdesk.messenger.to(ANNA.user_id) if s.card and "delegate of" in str(s.card)] or [None]
    assert annas is None  # the requester never gets an approver's card, not even as a delegate
    (lenas,) = cards_for(wdesk, LENA, request)  # so the approver keeps it: otherwise nobody would get it
    assert "delegate of" not in str(lenas)
    reply = await click(wdesk, ANNA, Verb.APPROVE, {"request_id": request.public_id, "version": 1})
    assert reply.text == Translator("en")("approval.self")
    assert (await stored(wdesk, request)).state == "pending"


# ------------------------------------------------------------------ out of office


async def test_out_of_office_goes_to_the_delegate(wdesk: Desk) -> None:
    wdesk.tenant.mail.set_automatic_replies(LENA.user_id, AutomaticReplies("alwaysEnabled"))
    await say(wdesk, LENA, f"delegate my approvals to {MAX_UPN} until 2025-03-14")
    request = await annas_join(wdesk)
    assert cards_for(wdesk, MAX, request) and not cards_for(wdesk, OLGA, request)


async def test_out_of_office_without_a_delegate_escalates_at_once(wdesk: Desk) -> None:
    wdesk.tenant.mail.set_automatic_replies(LENA.user_id, AutomaticReplies("alwaysEnabled"))
    request = await annas_join(wdesk)
    (routed,) = await stand_ins(wdesk.services, [LENA.user_id], wdesk.clock.now)
    assert routed.how == AWAY
    assert len(await audit_of(wdesk, request, "approver.away")) == 1
    # At routing time: Olga (Lena's manager) is added and gets the card; the loop does not escalate it again.
    assert (await stored(wdesk, request)).approver_ids == [LENA.user_id, OLGA.user_id]
    assert len(cards_for(wdesk, OLGA, request)) == 1
    wdesk.clock.now = ESCALATE
    assert (await follow_up_waiting(wdesk.services, INTERVALS)).escalated == 0
    (event,) = await audit_of(wdesk, request, "request.escalated")
    assert event.detail["reason"] == "away"


async def test_unreadable_automatic_replies_count_as_in_the_office(wdesk: Desk) -> None:
    wdesk.faults.fail_next("mail.automatic_replies", OSError("down"))
    (routed,) = await stand_ins(wdesk.services, [LENA.user_id], wdesk.clock.now)
    assert routed.how == DIRECT


# ------------------------------------------------------------------ reassign, add approver


async def test_reassign_and_add_approver_are_for_admins_only(wdesk: Desk) -> None:
    request = await annas_join(wdesk)
    for text in (f"reassign {request.public_id} to {OLGA_UPN}", "reassign REQ-2025-999999 to " + OLGA_UPN):
        assert await say(wdesk, LENA, text) == "Only admins can change who decides a request."
    assert "filed" in await say(wdesk, JONAS, f"reassign {request.public_id} to {ANNA_UPN}")
    assert "Done" in await say(wdesk, JONAS, f"add approver {MAX_UPN} to {request.public_id}")
    assert (await stored(wdesk, request)).approver_ids == [LENA.user_id, MAX.user_id]
    assert "Done" in await say(wdesk, JONAS, f"reassign {request.public_id} to {OLGA_UPN}")
    assert (await stored(wdesk, request)).approver_ids == [OLGA.user_id]
    assert len(await audit_of(wdesk, request, "request.reassigned")) == 1
    assert len(await audit_of(wdesk, request, "request.approver_added")) == 1
    # Lena's copy is now read-only; Olga (neither owner nor admin) decides as assigned.
    assert any("handed" in str(card) for _, card in wdesk.messenger.updates)
    (olgas,) = [s.card for s in wdesk.messenger.to(OLGA.user_id) if s.card]
    await click(wdesk, OLGA, Verb.APPROVE, action_data(olgas, Verb.APPROVE))
    assert (await stored(wdesk, request)).state == "approved"

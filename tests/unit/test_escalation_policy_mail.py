"""Reminders, escalation and expiry (F15) as the routing policy sets them and as they are e-mailed, on the memory
tenant and the settable clock: the policy's intervals win, the settings fill what it leaves unset and 0 means never;
each reminder round, escalation and expiry queues its e-mail once; choice kinds (orphan clean-ups) are left to their
own follow-up; a delegate chooses on a clean-up card with the standing of the approver they stand in for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from desk_fixture import ANNA, JONAS, LENA, Desk, open_desk
from test_delegation_escalation import (
    ESCALATE,
    EXPIRE,
    FILED,
    INTERVALS,
    MAX,
    MAX_UPN,
    OLGA,
    REMIND,
    annas_join,
    say,
    stored,
    tenant,
)
from test_orphan_follow_up import REMIND_AT, annas_cleanup, cleanup_of
from test_orphans_kinds import orphan_tenant
from test_request_lifecycle import action_data, audit_of, click, run_jobs

from cards.i18n import Translator, unescaped
from cards.mail import TEMPLATES
from cards.verbs import Verb
from handlers.escalation import FollowedUp, Intervals, follow_up_waiting, intervals_for
from handlers.mail_policy import MailPolicy
from handlers.routing_policy import parse_routing_policy
from kinds.orphans.follow_up import FollowUp
from kinds.orphans.follow_up import follow_up_waiting as follow_up_cleanups
from m365.memory import UserSeed
from settings import Settings
from storage.models import Request
from storage.models_mail import OutboxMail

pytest_plugins = ["desk_fixture"]
pytestmark = pytest.mark.asyncio

SENDER = UserSeed("desk@contoso.com", "M365 Desk")
BOT_APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def with_policy(desk: Desk, text: str) -> None:
    services = desk.services
    services.routing = parse_routing_policy(text.encode(), services.kinds, services.sla, source="policy.toml")


@pytest.fixture
async def mdesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    """Anna asks to join Lena's list; Olga is Lena's manager; the desk e-mails from its sender mailbox."""
    seed = tenant()
    async with open_desk(migrated_sqlite, tmp_path, replace(seed, users=(*seed.users, SENDER))) as built:
        built.clock.now = FILED
        built.services.mail = MailPolicy(sender=SENDER.user_principal_name, bot_app_id=BOT_APP_ID)
        yield built


async def outbox(desk: Desk) -> list[OutboxMail]:
    async with desk.services.uow() as uow:
        return await uow.mail_outbox.all()


def subject(template: str, **params: str) -> str:
    return unescaped(Translator("en")(TEMPLATES[template].subject, **params))


async def twice(desk: Desk, defaults: Intervals = INTERVALS) -> FollowedUp:
    """Two replicas at once: what they did together."""
    runs = await asyncio.gather(follow_up_waiting(desk.services, defaults), follow_up_waiting(desk.services, defaults))
    return FollowedUp(*(sum(getattr(run, name) for run in runs) for name in ("reminded", "escalated", "expired")))


# ------------------------------------------------------------------ the policy is the authority, the settings default


async def test_intervals_come_from_the_policy_and_unset_ones_from_the_settings(mdesk: Desk) -> None:
    defaults = Intervals(remind_after_hours=8, escalate_after_hours=12, expire_after_hours=30)
    # No policy file: the built-in policy leaves every interval to the settings.
    assert intervals_for(mdesk.services, "dl.join", defaults) == defaults
    assert intervals_for(mdesk.services, "license.assign", defaults) == defaults
    with_policy(
        mdesk,
        """
[defaults]
remind_after_hours = 4
[family.lists]
escalate_after_hours = 0
[kind."dl.join"]
expire_after_hours = 20
""",
    )
    assert intervals_for(mdesk.services, "dl.join", defaults) == Intervals(4, 0, 20)
    assert intervals_for(mdesk.services, "dl.leave", defaults) == Intervals(4, 0, 30)
    assert intervals_for(mdesk.services, "license.assign", defaults) == Intervals(4, 12, 30)


async def test_the_settings_defaults_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("REMIND", "6"), ("ESCALATE", "0"), ("EXPIRE", "40.5")):
        monkeypatch.setenv(f"DESK_{name}_AFTER_HOURS", value)
    monkeypatch.setenv("DESK_ESCALATION_CHECK_SECONDS", "0")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.remind_after_hours, settings.escalate_after_hours, settings.expire_after_hours) == (6, 0, 40.5)
    assert settings.escalation_check_seconds == 0


async def test_the_policy_switches_the_reminder_and_the_expiry_off_and_the_settings_escalate(mdesk: Desk) -> None:
    with_policy(
        mdesk,
        """
[kind."dl.join"]
remind_after_hours = 0
expire_after_hours = 0
""",
    )
    request = await annas_join(mdesk)
    mdesk.clock.now = REMIND
    assert await twice(mdesk) == FollowedUp()
    mdesk.clock.now = ESCALATE  # the settings' 12 hours: the policy leaves the escalation to them
    assert await twice(mdesk) == FollowedUp(escalated=1)
    mdesk.clock.now = EXPIRE + timedelta(days=60)  # far past the settings' expiry: the policy says never
    assert await twice(mdesk) == FollowedUp()
    assert (await stored(mdesk, request)).state == "pending"
    assert await audit_of(mdesk, request, "request.reminded") == []


# ------------------------------------------------------------------ e-mail


async def test_reminders_escalation_and_expiry_are_emailed_once_each(mdesk: Desk) -> None:
    request = await annas_join(mdesk)
    before = {row.key for row in await outbox(mdesk)}
    assert before == {f"req-{request.id}-submitted", f"req-{request.id}-decide-{LENA.user_id}"}

    mdesk.clock.now = REMIND
    assert await twice(mdesk) == FollowedUp(reminded=1)
    (reminder,) = [row for row in await outbox(mdesk) if "-remind-" in row.key]
    assert (reminder.key, reminder.recipient_id) == (f"req-{request.id}-remind-0-1-{LENA.user_id}", LENA.user_id)
    assert reminder.subject == subject("request.reminder", request_id=request.public_id)

    mdesk.clock.now = ESCALATE
    assert await twice(mdesk) == FollowedUp(escalated=1)
    # Olga gets one e-mail for the card that reached her: the escalation's, not also "waits for your decision".
    (olgas,) = [row for row in await outbox(mdesk) if row.recipient_id == OLGA.user_id]
    assert olgas.key == f"req-{request.id}-decide-{OLGA.user_id}"
    kind = unescaped(Translator(olgas.language)("request.kind.dl.join"))
    assert olgas.subject == unescaped(
        Translator(olgas.language)(TEMPLATES["request.escalated"].subject, request_id=request.public_id, kind=kind)
    )

    mdesk.clock.now = REMIND + timedelta(hours=8)  # 16 business hours: the second round, to Lena and Olga
    assert await twice(mdesk) == FollowedUp(reminded=1)
    assert [(row.key, row.recipient_id) for row in await outbox(mdesk) if "-remind-0-2-" in row.key] == [
        (f"req-{request.id}-remind-0-2-{LENA.user_id}", LENA.user_id),
        (f"req-{request.id}-remind-0-2-{OLGA.user_id}", OLGA.user_id),
    ]

    mdesk.clock.now = EXPIRE
    assert (await twice(mdesk)).expired == 1
    await run_jobs(mdesk)  # the card-update job tells Anna in Teams and would queue the same e-mail again
    await run_jobs(mdesk)
    expired = [row for row in await outbox(mdesk) if row.key.endswith("-expired")]
    assert [(row.key, row.recipient_id) for row in expired] == [(f"req-{request.id}-expired", ANNA.user_id)]


async def test_a_delegate_gets_the_reminder_mail_for_the_approver(mdesk: Desk) -> None:
    request = await annas_join(mdesk)
    await say(mdesk, LENA, f"delegate my approvals to {MAX_UPN} until 2025-03-14")
    mdesk.clock.now = REMIND
    assert (await twice(mdesk)).reminded == 1
    (reminder,) = [row for row in await outbox(mdesk) if "-remind-" in row.key]
    assert reminder.recipient_id == MAX.user_id
    assert any(s.card and request.public_id in str(s.card) for s in mdesk.messenger.to(MAX.user_id))


# ------------------------------------------------------------------ choice kinds follow up on their own


@pytest.fixture
async def odesk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    seed = orphan_tenant()
    async with open_desk(migrated_sqlite, tmp_path, replace(seed, users=(*seed.users, MAX))) as built:
        yield built


async def test_orphan_cleanups_are_left_to_their_own_follow_up(odesk: Desk) -> None:
    annas = await annas_cleanup(odesk)
    soon = Intervals(remind_after_hours=1, escalate_after_hours=2, expire_after_hours=3)
    odesk.clock.now = REMIND_AT
    assert await follow_up_waiting(odesk.services, soon) == FollowedUp()
    assert (await follow_up_cleanups(odesk.services, FollowUp(remind_days=2, escalate_days=5))).reminded >= 1
    assert await follow_up_waiting(odesk.services, soon) == FollowedUp()
    assert len(await audit_of(odesk, annas, "request.reminded")) == 1
    current = await cleanup_of(odesk, "Anna's List")
    assert current.state == "pending" and current.approver_ids == [LENA.user_id]


# ------------------------------------------------------------------ a delegate's choice


async def test_a_delegate_chooses_on_the_cleanup_card_for_the_manager(odesk: Desk) -> None:
    await say(odesk, LENA, f"delegate my approvals to {MAX_UPN} until 2025-03-14")
    annas = await annas_cleanup(odesk)
    assert not [s for s in odesk.messenger.to(LENA.user_id) if s.card and annas.public_id in str(s.card)]
    (maxs,) = [s.card for s in odesk.messenger.to(MAX.user_id) if s.card and annas.public_id in str(s.card)]
    # Lena's own card (her choices), saying whose it is; "Keep without owner" is not Lena's to offer.
    assert "delegate of Lena Schmidt" in str(maxs) and "Keep without owner" not in str(maxs)
    delete = action_data(maxs, Verb.ORPHAN_DELETE)

    keep = await click(odesk, MAX, Verb.ORPHAN_KEEP, delete)  # made up: Lena is no admin, nor is her delegate
    assert keep.text == Translator("en")("orphans.cleanup.keep_admins_only")
    assert (await cleanup_of(odesk, "Anna's List")).state == "pending"
    await click(odesk, MAX, Verb.ORPHAN_DELETE, delete)
    done = await cleanup_of(odesk, "Anna's List")
    assert done.state == "approved"
    await assert_decided_for(odesk, done, MAX, LENA)


async def test_a_delegate_of_an_admin_may_make_the_admins_choice(odesk: Desk) -> None:
    await say(odesk, JONAS, f"delegate my approvals to {MAX_UPN} until 2025-03-14")
    await annas_cleanup(odesk)  # also files the clean-ups with no owner at all, which go to the admins (Jonas)
    nobodys = await cleanup_of(odesk, "Nobody's List")
    assert nobodys.approver_ids == [JONAS.user_id]
    (maxs,) = [s.card for s in odesk.messenger.to(MAX.user_id) if s.card and nobodys.public_id in str(s.card)]
    assert "delegate of Jonas Becker" in str(maxs)
    await click(odesk, MAX, Verb.ORPHAN_KEEP, action_data(maxs, Verb.ORPHAN_KEEP))
    done = await cleanup_of(odesk, "Nobody's List")
    assert done.state == "approved" and [step["op"] for step in done.plan] == ["keep_without_owner"]
    await assert_decided_for(odesk, done, MAX, JONAS)


async def assert_decided_for(desk: Desk, request: Request, delegate: UserSeed, principal: UserSeed) -> None:
    (event,) = await audit_of(desk, request, "request.approved")
    assert (event.actor_id, event.detail["on_behalf_of"]) == (delegate.user_id, principal.user_id)
    async with desk.services.uow() as uow:
        (decision,) = await uow.decisions.for_request(request.id)
    assert (decision.approver_id, decision.on_behalf_of_id, decision.on_behalf_of_name) == (
        delegate.user_id,
        principal.user_id,
        principal.display_name,
    )
    await run_jobs(desk)
    assert any(
        f"{delegate.display_name} for {principal.display_name}" in str(card) for _, card in desk.messenger.updates
    )

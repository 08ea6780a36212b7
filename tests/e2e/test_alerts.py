"""License alerts (F11) end to end: low free seats and an ending subscription reach every admin once a day."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import desk_settings, start_desk
from desk_harness import Clock, Desk

from cards.i18n import Translator
from devtenant import DevTenant
from handlers.alerts import check_alerts
from storage.models import AlertSent


@pytest.fixture
def clock() -> Clock:
    # Midday in the desk's day zone (Europe/Warsaw): "an hour later" must stay on the same day whenever the suite
    # runs (from 23:00 Warsaw time it used to cross midnight, and a new day rightly alerts again).
    midday = datetime.now(ZoneInfo("Europe/Warsaw")).replace(hour=12, minute=0, second=0, microsecond=0)
    return Clock(midday.astimezone(UTC))


@pytest.fixture
async def desk(tenant: DevTenant, database_url: str, clock: Clock) -> AsyncIterator[Desk]:
    running = await start_desk(tenant, desk_settings(tenant, database_url), clock=clock)
    try:
        yield running
    finally:
        await running.client.close()


def _alert_texts(desk: Desk, user) -> list[str]:
    return [text for text in desk.texts(user) if text.startswith("⚠")]


def _expected_conditions(tenant: DevTenant, now: datetime) -> tuple[list[str], list[str]]:
    """Plans under 2 free seats and subscriptions ending within 30 days, from the emulator's own state."""
    low = sorted(s["skuPartNumber"] for s in tenant.state.subscribed_skus()
                 if s["prepaidUnits"]["enabled"] - s["consumedUnits"] < 2)
    ending = sorted(s["skuPartNumber"] for s in tenant.state.subscriptions()
                    if now <= datetime.fromisoformat(s["nextLifecycleDateTime"].replace("Z", "+00:00"))
                    <= now + timedelta(days=30))
    return low, ending


async def test_each_condition_reaches_every_admin_once_a_day(desk: Desk, clock: Clock) -> None:
    tenant = desk.tenant
    seed = tenant.seed
    admins = [seed.user(user_id) for user_id in seed.admins_group.member_ids]
    await desk.say(seed.demo_admin, "help", locale="de-DE")  # this admin reads German
    low, ending = _expected_conditions(tenant, clock.now)
    assert low == ["ENTERPRISEPREMIUM"] and ending == ["O365_BUSINESS_PREMIUM"]  # as seeded

    checked_at = clock.now
    # Two replicas checking at once, then one again an hour later: each condition is told once.
    assert sum(await asyncio.gather(check_alerts(desk.services), check_alerts(desk.services))) == 2
    clock.now += timedelta(hours=1)
    assert await check_alerts(desk.services) == 0

    for admin in admins:
        texts = _alert_texts(desk, admin)
        assert len(texts) == 2, (admin.display_name, texts)
    # The two concurrent checks may each have claimed one condition, so the order is not fixed.
    german = sorted(_alert_texts(desk, seed.demo_admin), key=lambda text: "Abonnement" in text)
    e5 = tenant.state.sku("ENTERPRISEPREMIUM")["prepaidUnits"]["enabled"]
    t = Translator("de-DE")
    assert german[0] == t("alert.low_seats", plan="Office 365 E5", free="0", purchased=t.number(e5),
                          assigned=t.number(e5), threshold="2")
    stamp = tenant.state.sku("O365_BUSINESS_PREMIUM")["nextLifecycleDateTime"]
    end = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    zone = desk.services.calendar.zone
    days = (end.astimezone(zone).date() - checked_at.astimezone(zone).date()).days
    assert "Microsoft 365 Business Standard" in german[1] and f"in {days} Tagen" in german[1] and days in (19, 20)
    assert _alert_texts(desk, seed.demo_employee) == []
    async with desk.uow() as uow:
        rows = (await uow.session.execute(AlertSent.__table__.select())).all()
    assert sorted(row.alert_key for row in rows) == ["ending:O365_BUSINESS_PREMIUM", "low_seats:ENTERPRISEPREMIUM"]
    assert {row.recipients for row in rows} == {len(admins)}

    # The next day the conditions still hold: told again, once.
    clock.now += timedelta(days=1)
    assert await check_alerts(desk.services) == 2
    assert await check_alerts(desk.services) == 0
    assert all(len(_alert_texts(desk, admin)) == 4 for admin in admins)


async def test_a_condition_that_clears_is_not_told(desk: Desk) -> None:
    tenant = desk.tenant
    tenant.state.set_prepaid_units("ENTERPRISEPREMIUM", 100)
    sku = tenant.state.sku("O365_BUSINESS_PREMIUM")
    sku["nextLifecycleDateTime"] = "2099-01-01T00:00:00Z"
    assert await check_alerts(desk.services) == 0
    assert _alert_texts(desk, tenant.seed.demo_admin) == []

"""Fast handler tests: the desk's Services over an in-memory tenant (m365.memory), a migrated SQLite file, a
recording messenger and a clock the test sets, plus an Actor for any person of the tenant.

Load with ``pytest_plugins = ["desk_fixture"]`` in a test module (tests/unit has no __init__.py, so pytest puts it
on sys.path), then ask for ``desk``; call a handler with ``desk.services`` and ``desk.actor(...)``, and look at what
it stored through ``desk.services.uow()``. ``desk.tenant`` changes the tenant from outside (m365.memory.TenantState).
The seed is ``small_tenant()``: a few well-known people (ANNA, LENA the list owner, JONAS the admin), two lists and
three SKUs; a test that needs other people opens its own ``Desk`` with ``open_desk(migrated_sqlite, tmp_path, seed)``
(``licensing_tenant()`` adds PIA, who holds a license through a licensing group). ``desk.faults`` makes the next
calls of a tenant port method fail (m365.memory.faults), e.g. with a TransientError for the retry paths.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from app import families
from handlers.context import Actor, ChannelAddress, SentActivity
from handlers.plans import PlanCatalogue
from handlers.services import ApprovalPolicy, Services
from kinds.registry import build_registry
from m365.memory import GroupSeed, ListSeed, SkuSeed, TenantSeed, TenantState, UserSeed, memory_tenant, tenant_state
from m365.memory.faults import Faults
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

TENANT_ID = "00000000-0000-0000-0000-0000000000c0"
ADMINS_GROUP_ID = "6b1f3c55-0d7a-4c8e-9a52-1d2f0e3a4b01"
BASIC_SKU_ID = "3b555118-da6a-4418-894f-7df1e2096870"  # O365_BUSINESS_ESSENTIALS, Microsoft's real id
STANDARD_SKU_ID = "f245ecc8-75af-4f8e-b61f-27d8114de5f3"  # O365_BUSINESS_PREMIUM
E3_SKU_ID = "6fd2c87f-b296-42f0-b197-1e91e994b900"  # ENTERPRISEPACK

LENA = UserSeed("lena.schmidt@contoso.com", "Lena Schmidt", department="Marketing", usage_location="DE",
                licenses=("O365_BUSINESS_PREMIUM",))
ANNA = UserSeed("anna.kowalska@contoso.com", "Anna Kowalska", department="Sales", usage_location="PL",
                licenses=("O365_BUSINESS_ESSENTIALS",), manager_id=LENA.user_id)
JONAS = UserSeed("jonas.becker@contoso.com", "Jonas Becker", department="IT", usage_location="DE",
                 licenses=("ENTERPRISEPACK",))
MARKETING = ListSeed("marketing", "Marketing Team", owners=(LENA.user_id,), member_ids=(LENA.user_id,),
                     changed_at=datetime(2024, 1, 1, tzinfo=UTC))
BOOK_CLUB = ListSeed("book-club", "Book Club", owners=(LENA.user_id,), member_join_restriction="Open",
                     changed_at=datetime(2024, 1, 1, tzinfo=UTC))
LICENSING_GROUP_ID = "9c4e2a17-5b3d-4f6e-8a91-2e7d0c5b4a02"
PIA = UserSeed("pia.nowak@contoso.com", "Pia Nowak", department="Sales", usage_location="PL", manager_id=LENA.user_id)


def small_tenant() -> TenantSeed:
    """Anna (Sales, Business Basic, managed by Lena), Lena (owns both lists), Jonas (the admins group, E3)."""
    return TenantSeed(
        users=(ANNA, LENA, JONAS),
        groups=(GroupSeed(ADMINS_GROUP_ID, "DSM_Admins", member_ids=(JONAS.user_id,)),),
        skus=(SkuSeed(BASIC_SKU_ID, "O365_BUSINESS_ESSENTIALS", 5),
              SkuSeed(STANDARD_SKU_ID, "O365_BUSINESS_PREMIUM", 3), SkuSeed(E3_SKU_ID, "ENTERPRISEPACK", 1)),
        lists=(MARKETING, BOOK_CLUB),
    )


def licensing_tenant() -> TenantSeed:
    """small_tenant() and Pia (Sales, managed by Lena), who holds Business Standard only through the licensing
    group License_BusinessStandard (kept out of small_tenant, whose seats and holders other tests count)."""
    seed = small_tenant()
    group = GroupSeed(LICENSING_GROUP_ID, "License_BusinessStandard", member_ids=(PIA.user_id,),
                      licenses=("O365_BUSINESS_PREMIUM",))
    return replace(seed, users=(*seed.users, PIA), groups=(*seed.groups, group))


class Clock:
    """The desk's clock (Services.clock and the memory tenant's change stamps): stands still until moved."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday morning

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True, slots=True)
class Sent:
    user_id: str
    text: str | None
    card: Mapping[str, Any] | None
    activity: SentActivity


@dataclass
class RecordingMessenger:
    """The outside world's Teams: records what the desk sends and updates; ``unreachable`` people get None back."""

    sent: list[Sent] = field(default_factory=list)
    updates: list[tuple[SentActivity, Mapping[str, Any]]] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)
    channel_posts: list[tuple[ChannelAddress, Mapping[str, Any]]] = field(default_factory=list)

    async def send(self, user_id: str, *, text: str | None = None,
                   card: Mapping[str, Any] | None = None) -> SentActivity | None:
        if user_id.lower() in self.unreachable:
            return None
        activity = SentActivity(f"a:personal-{user_id.lower()}", "https://smba.invalid/", str(len(self.sent) + 1))
        self.sent.append(Sent(user_id.lower(), text, card, activity))
        return activity

    async def update(self, sent: SentActivity, card: Mapping[str, Any]) -> None:
        self.updates.append((sent, card))

    async def post_to_channel(self, channel: ChannelAddress, card: Mapping[str, Any]) -> SentActivity | None:
        self.channel_posts.append((channel, card))
        return SentActivity(channel.conversation_id, channel.service_url, f"c{len(self.channel_posts)}")

    def to(self, user_id: str) -> list[Sent]:
        return [s for s in self.sent if s.user_id == user_id.lower()]


@dataclass
class Desk:
    services: Services
    tenant: TenantState
    messenger: RecordingMessenger
    clock: Clock
    engine: AsyncEngine
    faults: Faults

    def actor(self, person: UserSeed | str, *, locale: str = "en-US") -> Actor:
        """The Actor Teams would vouch for: a seeded person, or anyone of the tenant by id, UPN or mail."""
        key = person.user_id if isinstance(person, UserSeed) else person
        user = self.tenant.user_by_id_or_mail(key)
        return Actor(user_id=user.id, name=user.display_name, tenant_id=TENANT_ID, locale=locale,
                     teams_user_id=f"29:{user.id}")


async def build_desk(database_url: str, *, seed: TenantSeed | None = None, clock: Clock | None = None) -> Desk:
    """Services as app.py wires them, over a memory tenant and the (already migrated) database at ``database_url``."""
    clock = clock or Clock()
    tenant = memory_tenant(seed or small_tenant(), clock=clock)
    faults = Faults(tenant)
    messenger = RecordingMessenger()
    engine = create_engine(database_url)
    services = Services(
        uow=UnitOfWorkFactory(create_session_factory(engine)),
        tenant=tenant,
        messenger=messenger,
        policy=ApprovalPolicy(admins_group_id=ADMINS_GROUP_ID),
        plans=PlanCatalogue.load(),
        kinds=build_registry(families()),
        clock=clock,
    )
    return Desk(services, tenant_state(tenant), messenger, clock, engine, faults)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once with the Alembic migrations; each test gets a copy (faster than migrating)."""
    path = tmp_path_factory.mktemp("desk") / "template.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@asynccontextmanager
async def open_desk(migrated: Path, tmp_path: Path, seed: TenantSeed | None = None) -> AsyncIterator[Desk]:
    """A Desk over a copy of the migrated database and a tenant built from ``seed``; its engine closed on exit."""
    path = tmp_path / "desk.db"
    shutil.copyfile(migrated, path)
    built = await build_desk(f"sqlite+aiosqlite:///{path}", seed=seed)
    try:
        yield built
    finally:
        await built.engine.dispose()


@pytest_asyncio.fixture
async def desk(migrated_sqlite: Path, tmp_path: Path) -> AsyncIterator[Desk]:
    async with open_desk(migrated_sqlite, tmp_path) as built:
        yield built

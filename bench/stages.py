"""Time to route a request through three approval stages (F14), server-side: a license request filed in chat, its
cards delivered, approved by the requester's manager, then by a group of approvers, then by an admin, until it is
approved — the handlers and jobs the desk runs, in process, over the in-memory tenant and a real database.

    python -m bench.stages [--requests 50] [--database-url postgresql+asyncpg://…]

Prints p50/p95 of the whole route (submit → third approval → approved, with the delivery and card-update jobs between
stages run as the job runner would), of each part, and of an approve click alone (the invoke an approver waits
for). Numbers go into issue notes, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from app import families
from cards.verbs import Verb
from handlers.commands import parse
from handlers.context import Actor, SentActivity
from handlers.delivery import deliver_approval_cards, update_request_cards
from handlers.dispatch import dispatch_click, dispatch_command
from handlers.plans import PlanCatalogue
from handlers.routing_policy import parse_routing_policy
from handlers.services import ApprovalPolicy, Services
from kinds.registry import build_registry
from m365.memory import GroupSeed, SkuSeed, TenantSeed, UserSeed, memory_tenant
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

TENANT_ID = "00000000-0000-0000-0000-0000000000b5"
ADMINS = "6b1f3c55-0d7a-4c8e-9a52-1d2f0e3a4b01"
APPROVERS = "5d0c1e9a-2b7f-4a61-9c3e-7f2a8b4d6e10"
E3 = "6fd2c87f-b296-42f0-b197-1e91e994b900"
POLICY = f"""
[kind."license.assign"]
stages = [{{ who = "manager" }}, {{ who = "group", group_id = "{APPROVERS}" }}, {{ who = "admins" }}]
"""
MANAGER = UserSeed("marta.manager@contoso.com", "Marta Manager")
CONTROLLER = UserSeed("carl.controller@contoso.com", "Carl Controller")
ADMIN = UserSeed("ada.admin@contoso.com", "Ada Admin")


class Messenger:
    """Teams as far as the desk can tell: every message and card is taken, nothing is kept."""

    def __init__(self) -> None:
        self.count = 0

    async def send(self, user_id: str, *, text: str | None = None, card: Any = None) -> SentActivity | None:
        self.count += 1
        return SentActivity(f"a:{user_id}", "https://smba.invalid/", str(self.count))

    async def update(self, sent: SentActivity, card: Any) -> None:
        self.count += 1

    async def post_to_channel(self, channel: Any, card: Any) -> SentActivity | None:
        return None


def tenant_seed(requests: int) -> tuple[TenantSeed, list[UserSeed]]:
    requesters = [
        UserSeed(f"employee{n}@contoso.com", f"Employee {n}", usage_location="PL", manager_id=MANAGER.user_id)
        for n in range(requests)
    ]
    seed = TenantSeed(
        users=(MANAGER, CONTROLLER, ADMIN, *requesters),
        groups=(
            GroupSeed(ADMINS, "DSM_Admins", (ADMIN.user_id,)),
            GroupSeed(APPROVERS, "Finance", (CONTROLLER.user_id,)),
        ),
        skus=(SkuSeed(E3, "ENTERPRISEPACK", requests + 10),),
    )
    return seed, requesters


async def run(requests: int, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'stages.db'}"
        await upgrade(url)
        engine = create_engine(url)
        seed, requesters = tenant_seed(requests)
        kinds = build_registry(families())
        services = Services(
            uow=UnitOfWorkFactory(create_session_factory(engine)),
            tenant=memory_tenant(seed),
            messenger=Messenger(),
            policy=ApprovalPolicy(admins_group_id=ADMINS),
            plans=PlanCatalogue.load(),
            kinds=kinds,
        )
        services.routing = parse_routing_policy(POLICY.encode(), kinds, services.sla, source="bench")
        parts: dict[str, list[float]] = {
            "route": [],
            "submit": [],
            "stage 1": [],
            "stage 2": [],
            "stage 3": [],
            "click": [],
        }
        try:
            for person in requesters:
                await _route_one(services, person, parts)
        finally:
            await engine.dispose()
    return {
        "requests": requests,
        "database": url.split(":", 1)[0] if database_url else "sqlite (temporary file)",
        **{f"{name} p50 ms": _ms(statistics.median(times)) for name, times in parts.items()},
        **{f"{name} p95 ms": _ms(_p95(times)) for name, times in parts.items()},
    }


async def _route_one(services: Services, person: UserSeed, parts: dict[str, list[float]]) -> None:
    started = time.perf_counter()
    await _timed(parts["submit"], _submit(services, person))
    for number, approver in enumerate((MANAGER, CONTROLLER, ADMIN), start=1):
        await _timed(parts[f"stage {number}"], _approve(services, person, approver, parts["click"]))
    parts["route"].append(time.perf_counter() - started)
    async with services.uow() as uow:
        (request,) = await uow.requests.list_for_requester(person.user_id)
    assert request.state == "approved", (request.public_id, request.state, request.stage)


async def _submit(services: Services, person: UserSeed) -> None:
    await dispatch_command(services, _actor(person), parse("request license E3", services.kinds))
    await _run_jobs(services)


async def _approve(services: Services, person: UserSeed, approver: UserSeed, clicks: list[float]) -> None:
    """One stage's approval: the click (what the approver waits for), then the jobs it queued."""
    async with services.uow() as uow:
        (request,) = await uow.requests.list_for_requester(person.user_id)
    click = {"request_id": request.public_id, "version": request.version}
    started = time.perf_counter()
    reply = await dispatch_click(services, _actor(approver), Verb.APPROVE, click)
    clicks.append(time.perf_counter() - started)
    assert reply.text is None, reply.text
    await _run_jobs(services)


async def _run_jobs(services: Services) -> None:
    """The jobs between stages (cards to the next approvers, every copy redrawn); execution is not timed here."""
    handlers: dict[str, Callable[[Services, Any], Awaitable[None]]] = {
        "deliver": deliver_approval_cards,
        "sync": update_request_cards,
    }
    while True:
        async with services.uow() as uow:
            job = await uow.jobs.claim("bench", lease_seconds=60)
            await uow.commit()
        if job is None:
            return
        if job.kind != "execute":  # applying the license is Graph's time, not routing's
            await handlers[job.kind.split(":", 1)[0]](services, job)
        async with services.uow() as uow:
            await uow.jobs.complete(job)
            await uow.commit()


async def _timed(into: list[float], work: Awaitable[None]) -> None:
    started = time.perf_counter()
    await work
    into.append(time.perf_counter() - started)


def _actor(person: UserSeed) -> Actor:
    return Actor(user_id=person.user_id, name=person.display_name, tenant_id=TENANT_ID, locale="en-US")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.requests, args.database_url)), indent=2))


if __name__ == "__main__":
    main()

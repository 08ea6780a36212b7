"""Who may see and decide a request, judged at click time: outsiders learn nothing and every refusal is audited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from desk_harness import Desk, action_data, card_text
from sqlalchemy import select

from cards.i18n import Translator
from cards.verbs import Verb
from devtenant import DevTenant, SeedUser
from handlers.refusals import DEFAULT_LIMIT, RefusalBudget
from storage.models import AuditEvent, Request

MISSING = "REQ-2026-999999"
EXCHANGE_SCOPE = "https://outlook.office365.com/.default"
REQUEST_VERBS = (Verb.APPROVE, Verb.REJECT, Verb.WITHDRAW, Verb.SEATS_FULFIL, Verb.SEATS_UNFULFILLABLE)


def _admins(desk: Desk) -> list[SeedUser]:
    seed = desk.tenant.seed
    return [seed.user(user_id) for user_id in seed.admins_group.member_ids]


def _outsider(desk: Desk) -> SeedUser:
    """Neither an admin, nor the demo employee, nor the closed list's owner: nobody the test's requests involve."""
    seed = desk.tenant.seed
    involved = {*seed.admins_group.member_ids, seed.demo_employee.id, seed.list_owner.id}
    return next(u for u in seed.users if u.id not in involved and u.account_enabled)


async def _latest(desk: Desk, user: SeedUser) -> Request:
    async with desk.uow() as uow:
        return (await uow.requests.list_for_requester(user.id))[0]


async def _refusals(desk: Desk) -> list[AuditEvent]:
    async with desk.uow() as uow:
        stmt = select(AuditEvent).where(AuditEvent.action == "click.refused").order_by(AuditEvent.id)
        return list((await uow.session.execute(stmt)).scalars())


def _refusal_text(locale: str = "en-US") -> str:
    return Translator(locale)("authority.refused")


def _has_sku(desk: Desk, user: SeedUser, part_number: str) -> bool:
    sku_id = desk.tenant.state.sku(part_number)["skuId"]
    return sku_id in [lic["skuId"] for lic in desk.tenant.state.user(user.id)["assignedLicenses"]]


async def _pending_license(desk: Desk) -> tuple[Request, dict[str, Any]]:
    """The employee's E3 request and the click data of an admin's approval card."""
    employee, admin = desk.tenant.seed.demo_employee, desk.tenant.seed.demo_admin
    await desk.say(employee, "request license E3")
    await desk.run_jobs()
    _, approval = desk.last_card(admin)
    return await _latest(desk, employee), action_data(approval, Verb.APPROVE)


async def _seat_order_awaiting_fulfilment(desk: Desk, requester: SeedUser, approver: SeedUser) -> Request:
    await desk.say(requester, "order 5 more E3")
    await desk.run_jobs()
    card_id, approval = desk.last_card(approver)
    reply = await desk.click(approver, Verb.APPROVE, action_data(approval, Verb.APPROVE), reply_to_id=card_id)
    assert "Approved by" in card_text(reply["value"])
    await desk.run_jobs()
    request = await _latest(desk, requester)
    assert request.state == "awaiting_fulfilment"
    return request


def _fulfilment_card(desk: Desk, user: SeedUser) -> tuple[str, dict[str, Any]]:
    cards = [(card_id, card) for card_id, card in desk.cards(user) if "Seat order to place" in card_text(card)]
    assert cards, f"{user.display_name} got no fulfilment card"
    return cards[-1]


async def test_outsider_gets_the_same_refusal_for_an_existing_and_a_missing_request(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee = seed.demo_employee
    outsider = _outsider(desk)
    license_request, click = await _pending_license(desk)
    order = await _seat_order_awaiting_fulfilment(desk, employee, seed.demo_admin)
    fulfil = action_data(_fulfilment_card(desk, seed.demo_admin)[1], Verb.SEATS_FULFIL) | {"order_reference": "X-1"}
    existing = {
        Verb.APPROVE: click,
        Verb.REJECT: click | {"reason": "probing"},
        Verb.WITHDRAW: {"request_id": license_request.public_id, "version": license_request.version},
        Verb.SEATS_FULFIL: fulfil,
        Verb.SEATS_UNFULFILLABLE: fulfil | {"reason": "probing"},
    }
    targets = {verb: (order if verb.value.startswith("seats.") else license_request) for verb in REQUEST_VERBS}
    before = len(await _refusals(desk))

    for verb in REQUEST_VERBS:
        on_existing = await desk.click(outsider, verb, existing[verb])
        on_missing = await desk.click(outsider, verb, existing[verb] | {"request_id": MISSING})
        assert on_existing == on_missing, verb
        assert on_existing["value"] == _refusal_text(), verb
        shown = card_text(on_existing)
        for secret in (targets[verb].public_id, employee.display_name, "E3", "Office 365", "pending", "seat"):
            assert secret not in shown, (verb, secret)
    # Typed, the same: "withdraw REQ-…" on someone else's request and on one that does not exist.
    await desk.say(outsider, f"withdraw {license_request.public_id}")
    await desk.say(outsider, f"withdraw {MISSING}")
    assert desk.texts(outsider)[-2:] == [_refusal_text(), _refusal_text()]
    polish = await desk.click(outsider, Verb.APPROVE, click, locale="pl-PL")
    assert polish["value"] == _refusal_text("pl-PL") != _refusal_text()

    refusals = (await _refusals(desk))[before:]
    assert len(refusals) == 2 * len(REQUEST_VERBS) + 3, "one audit event per refused click"
    for index, verb in enumerate(REQUEST_VERBS):
        on_existing, on_missing = refusals[2 * index], refusals[2 * index + 1]
        assert on_existing.actor_id == on_missing.actor_id == outsider.id
        assert on_existing.request_id == targets[verb].id
        named = targets[verb].public_id
        assert on_existing.detail == {"verb": verb.value, "reason": "not_involved", "public_id": named}
        assert on_missing.request_id is None
        assert on_missing.detail == {"verb": verb.value, "reason": "not_found", "public_id": MISSING}
    typed = refusals[2 * len(REQUEST_VERBS):2 * len(REQUEST_VERBS) + 2]
    assert [(e.request_id, e.detail["verb"], e.detail["reason"]) for e in typed] == [
        (license_request.id, Verb.WITHDRAW.value, "not_involved"),
        (None, Verb.WITHDRAW.value, "not_found"),
    ]

    async with desk.uow() as uow:
        assert (await uow.audit.verify()).ok
        still = await uow.requests.get(license_request.id)
        assert (still.state, still.version) == ("pending", license_request.version)
        order_now = await uow.requests.get(order.id)
        assert (order_now.state, order_now.result) == ("awaiting_fulfilment", None)


async def test_a_forged_or_oversized_id_is_refused_like_a_missing_one(desk: Desk) -> None:
    outsider = _outsider(desk)
    await _pending_license(desk)
    before = len(await _refusals(desk))
    forged = await desk.click(outsider, Verb.APPROVE, {"request_id": "REQ-2026-1' OR 1=1 --" + "x" * 5000})
    assert forged == await desk.click(outsider, Verb.APPROVE, {"request_id": MISSING, "version": 1})
    (event, _) = (await _refusals(desk))[before:]
    assert event.request_id is None and event.detail["reason"] == "not_found"
    assert len(event.detail["public_id"]) == 40, "a guess is recorded, cut to a bounded length"


async def test_involved_people_still_see_the_request_and_why_they_may_not_act(desk: Desk) -> None:
    seed = desk.tenant.seed
    employee, admin = seed.demo_employee, seed.demo_admin
    request, click = await _pending_license(desk)
    own = await desk.click(employee, Verb.APPROVE, click)
    assert "someone else has to approve" in card_text(own["value"]) and request.public_id in card_text(own["value"])
    await desk.say(admin, f"withdraw {request.public_id}")
    assert desk.texts(admin)[-1] == f"Only the person who filed {request.public_id} can withdraw it."
    refusals = await _refusals(desk)
    assert [(e.request_id, e.detail["verb"], e.detail["reason"]) for e in refusals[-2:]] == [
        (request.id, Verb.APPROVE.value, "requester"),
        (request.id, Verb.WITHDRAW.value, "not_requester"),
    ]


async def test_the_person_a_license_is_for_cannot_approve_it_even_as_an_admin(desk: Desk) -> None:
    seed = desk.tenant.seed
    subject = seed.demo_admin  # an admin, so she may decide anything — except what changes her own access
    manager = seed.user(subject.manager_id)
    await desk.say(manager, f"request license E3 for {subject.user_principal_name}")
    request = await _latest(desk, manager)
    assert request.state == "pending" and subject.id not in request.approver_ids, desk.texts(manager)
    assert request.approver_ids, "the other admins approve"
    await desk.run_jobs()
    other = seed.user(request.approver_ids[0])
    card_id, approval = desk.last_card(other)
    click = action_data(approval, Verb.APPROVE)

    refused = await desk.click(subject, Verb.APPROVE, click)
    assert Translator("en-US")("authority.subject", request_id=request.public_id) in card_text(refused["value"])
    assert "actions" not in refused["value"], "no buttons for the person it is for"
    assert not [c for _, c in desk.cards(subject) if request.public_id in card_text(c) and "actions" in c]
    async with desk.uow() as uow:
        assert (await uow.requests.get(request.id)).state == "pending"
    (event,) = (await _refusals(desk))[-1:]
    assert (event.request_id, event.actor_id, event.detail["reason"]) == (request.id, subject.id, "subject")
    await desk.run_jobs()
    assert not _has_sku(desk, subject, "ENTERPRISEPACK")

    approved = await desk.click(other, Verb.APPROVE, click, reply_to_id=card_id)
    assert "Approved by" in card_text(approved["value"])
    await desk.run_jobs()
    assert _has_sku(desk, subject, "ENTERPRISEPACK")


async def test_a_seat_orders_requester_who_places_orders_cannot_record_it(desk: Desk) -> None:
    admins = _admins(desk)
    requester, approver = admins[0], admins[1]  # admins are the fulfillers unless a group is configured
    order = await _seat_order_awaiting_fulfilment(desk, requester, approver)
    _, own_card = _fulfilment_card(desk, requester)
    assert "actions" not in own_card, "the requester's copy has no buttons"
    card_id, card = _fulfilment_card(desk, approver)
    data = action_data(card, Verb.SEATS_FULFIL) | {"order_reference": "CSP-1"}

    refused = await desk.click(requester, Verb.SEATS_FULFIL, data)
    notice = Translator("en-US")("authority.own_seat_order", request_id=order.public_id)
    assert notice in card_text(refused["value"]) and "actions" not in refused["value"]
    async with desk.uow() as uow:
        still = await uow.requests.get(order.id)
        assert (still.state, still.result) == ("awaiting_fulfilment", None)
    (event,) = (await _refusals(desk))[-1:]
    assert (event.request_id, event.detail) == (
        order.id, {"verb": Verb.SEATS_FULFIL.value, "reason": "requester", "public_id": order.public_id}
    )

    done = await desk.click(approver, Verb.SEATS_FULFIL, data, reply_to_id=card_id)
    assert "CSP-1" in card_text(done["value"])


class Exchange:
    """An Exchange admin changing the tenant behind the desk's back (InvokeCommand, as the desk itself calls it)."""

    def __init__(self, tenant: DevTenant, session: aiohttp.ClientSession) -> None:
        self.tenant, self.session = tenant, session

    async def cmdlet(self, name: str, **parameters: Any) -> None:
        form = {"grant_type": "client_credentials", "client_id": self.tenant.client_id,
                "client_secret": self.tenant.client_secret, "scope": EXCHANGE_SCOPE}
        async with self.session.post(self.tenant.token_endpoint, data=form) as reply:
            token = (await reply.json())["access_token"]
        body = {"CmdletInput": {"CmdletName": name, "Parameters": parameters}}
        headers = {"Authorization": f"Bearer {token}"}
        async with self.session.post(self.tenant.invoke_command_url, json=body, headers=headers) as reply:
            assert reply.status == 200, await reply.text()


@pytest.fixture
async def exchange(tenant: DevTenant) -> AsyncIterator[Exchange]:
    connector = aiohttp.TCPConnector(ssl=tenant.ssl_context())
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        yield Exchange(tenant, session)


async def test_an_owner_removed_in_exchange_can_no_longer_approve_a_join(desk: Desk, exchange: Exchange) -> None:
    seed = desk.tenant.seed
    employee, owner, closed = seed.demo_employee, seed.list_owner, seed.closed_list
    await desk.say(employee, f"join {closed.primary_smtp_address}")
    request = await _latest(desk, employee)
    assert request.kind == "dl.join" and request.approver_ids == [owner.id], desk.texts(employee)
    await desk.run_jobs()
    card_id, approval = desk.last_card(owner)
    click = action_data(approval, Verb.APPROVE)

    successor = _outsider(desk)
    await exchange.cmdlet("Set-DistributionGroup", Identity=closed.id, ManagedBy=[successor.mail],
                          BypassSecurityGroupManagerCheck=True)
    refused = await desk.click(owner, Verb.APPROVE, click, reply_to_id=card_id)
    assert refused["value"] == _refusal_text(), "no longer involved: the card tells nothing more"
    (event,) = (await _refusals(desk))[-1:]
    assert (event.request_id, event.actor_id, event.detail["reason"]) == (request.id, owner.id, "no_longer_approver")
    await desk.run_jobs()
    async with desk.uow() as uow:
        assert (await uow.requests.get(request.id)).state == "pending"
    writes = [c for c in desk.tenant.state.calls("exchange") if c.cmdlet == "Add-DistributionGroupMember"]
    assert writes == [], "nothing ran"

    # Given back ManagedBy, the same card works again: the check follows Exchange, in both directions.
    await exchange.cmdlet("Set-DistributionGroup", Identity=closed.id, ManagedBy=[owner.mail],
                          BypassSecurityGroupManagerCheck=True)
    approved = await desk.click(owner, Verb.APPROVE, click, reply_to_id=card_id)
    assert "Approved by" in card_text(approved["value"])
    await desk.run_jobs()
    assert [c for c in desk.tenant.state.calls("exchange") if c.cmdlet == "Add-DistributionGroupMember"]


async def test_a_flood_of_refused_clicks_is_counted_not_queued_and_a_real_decision_still_goes_through(
    desk: Desk,
) -> None:
    seed = desk.tenant.seed
    outsider = _outsider(desk)
    now = [0.0]
    desk.services.refusals = RefusalBudget(clock=lambda: now[0])  # the budget's own clock, set by the test
    request, click = await _pending_license(desk)
    before = len(await _refusals(desk))
    flood = [desk.click(outsider, Verb.APPROVE, click | {"request_id": f"REQ-2026-{n:06d}"}) for n in range(1, 41)]
    decision = desk.click(seed.demo_admin, Verb.APPROVE, click)
    *refused, approved = await asyncio.gather(*flood, decision)
    assert {reply["value"] for reply in refused} == {_refusal_text()}, "past the budget, the very same answer"
    assert "Approved by" in card_text(approved["value"]), "other people's clicks are not held up"
    flooded = (await _refusals(desk))[before:]
    assert len(flooded) == DEFAULT_LIMIT, "audited one by one up to the budget, even when they arrive at once"

    now[0] += 61  # a minute later: the next refusal is audited again, with the count of those answered unaudited
    await desk.click(outsider, Verb.APPROVE, click | {"request_id": MISSING})
    (after,) = (await _refusals(desk))[before + DEFAULT_LIMIT:]
    assert {key: after.detail[key] for key in ("verb", "reason", "public_id")} == {
        "verb": Verb.APPROVE.value, "reason": "not_found", "public_id": MISSING}
    # Each audited refusal carries the clicks answered unaudited since the one before: together, all of them.
    assert sum(event.detail.get("suppressed", 0) for event in [*flooded, after]) == 40 - DEFAULT_LIMIT
    async with desk.uow() as uow:
        assert (await uow.audit.verify()).ok
        assert (await uow.requests.get(request.id)).state == "approved"

"""license.assign_bulk: one plan for a pasted list of people — each line validated and reported on its own.

The valid lines become ONE request with one assign step per person (usage locations first), not one request per
person: the approver decides once on the list that was pasted, the execute job sends the assignments through
Graph $batch (about ⌈N/20⌉ requests instead of N), and idempotency stays per step (each step is recorded by its
index and re-checked against who holds the plan before a re-run), so a retry repeats nothing. The price is that
one approval covers everyone on the list; a person the approver would refuse is left off and asked for again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from cards.bulk_licenses import BulkLine, BulkReportView, bulk_report_card
from cards.i18n import Translator
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.lifecycle import RequestState
from handlers.people import SELF_WORDS, find_person, normalize_country
from handlers.services import Services, is_admin, is_manager_of
from handlers.submission import Draft, submit
from kinds.licenses.assign import LICENSE_KINDS, plan_list
from kinds.licenses.commands import RequestLicenseBulk
from kinds.licenses.steps import AssignLicense, SetUsageLocation, supports_bulk
from kinds.steps import Step
from m365.errors import TransientError
from m365.ports import DirectoryUser, Sku

logger = logging.getLogger(__name__)

KIND = "license.assign_bulk"
MAX_PEOPLE = 100
_LOOKUPS_AT_ONCE = 8  # directory reads in flight while resolving a list; Graph's limits are far above this


@dataclass(slots=True)
class _Line:
    entry: str
    user: DirectoryUser | None = None
    reason: str | None = None
    country: str | None = None  # set when the usage location has to be set first


async def request_bulk(services: Services, actor: Actor, command: RequestLicenseBulk) -> Reply:
    t = actor_translator(actor)
    if len(command.people) > MAX_PEOPLE:
        return Reply(text=t("license.bulk.too_many", count=len(command.people), limit=MAX_PEOPLE))
    skus = await services.tenant.licenses.list_skus()
    sku = services.plans.match(command.plan, skus)
    if sku is None:
        return Reply(text=t("license.unknown_plan", plan=command.plan, plans=plan_list(services, skus)))
    plan_name = services.plans.name(sku)

    lines = await _resolve(services, actor, command.people)
    await _validate(services, actor, t, lines, sku, plan_name)
    valid = [line for line in lines if line.reason is None]
    report = BulkReportView(plan=plan_name, lines=tuple(_line_view(line) for line in lines))
    if not valid:
        return Reply(text=t("license.bulk.nothing_filed"), card=bulk_report_card(report, t))

    approvers = await resolve_approvers(services, actor.user_id)
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"), card=bulk_report_card(report, t))
    people = [line.user for line in valid if line.user is not None]
    plan: list[Step] = [
        SetUsageLocation(user_id=line.user.id, user=line.user.display_name, country=line.country)
        for line in valid
        if line.user is not None and line.country
    ]
    plan.extend(
        AssignLicense(user_id=user.id, user=user.display_name, sku_id=sku.sku_id, plan=plan_name) for user in people
    )
    draft = Draft(
        kind=KIND,
        target_id=sku.sku_id,
        target_label=t("license.bulk.target", count=len(people), plan=plan_name),
        payload={
            "key": sku.sku_id,
            "sku_ids": [sku.sku_id],
            "user_ids": [user.id for user in people],
            "route": approvers.route,
            "sku_part_number": sku.sku_part_number,
        },
        plan=tuple(plan),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=[
            ("request.field.free_seats", f"{sku.free_units} / {sku.enabled_units}"),
            ("request.field.people", str(len(people))),
        ],
    )
    reply = await submit(services, actor, draft)
    # Two messages: this report stays as the record of what was (not) filed; the status card that follows is
    # the request's own, updated in place as it moves on (and would overwrite a report merged into it).
    filed = BulkReportView(
        plan=plan_name,
        lines=report.lines,
        request_id=await _public_id(services, reply.status_card_of),
        approvers=", ".join(approvers.names),
    )
    try:
        sent = await services.messenger.send(actor.user_id, card=bulk_report_card(filed, t))
    except TransientError:
        logger.warning("bulk report for %s could not be sent", actor.user_id, exc_info=True)
        sent = None
    if sent is None:
        invalid = [f"{line.entry}: {line.reason}" for line in lines if line.reason]
        summary = t("license.bulk.summary", valid=len(valid), total=len(lines), invalid=len(invalid))
        text = "\n\n".join([reply.text or "", summary, *invalid])
        return Reply(text=text, card=reply.card, status_card_of=reply.status_card_of)
    return reply


async def _resolve(services: Services, actor: Actor, entries: tuple[str, ...]) -> list[_Line]:
    """Each entry to a person (e-mail, UPN or unambiguous name; "me" is the person asking), a few at a time."""
    gate = asyncio.Semaphore(_LOOKUPS_AT_ONCE)
    directory = services.tenant.directory

    async def one(entry: str) -> _Line:
        async with gate:
            if entry.casefold() in SELF_WORDS:
                return _Line(entry, await directory.get_user(actor.user_id))
            return _Line(entry, await find_person(directory, entry))

    return list(await asyncio.gather(*(one(entry) for entry in entries)))


async def _validate(
    services: Services, actor: Actor, t: Translator, lines: list[_Line], sku: Sku, plan_name: str
) -> None:
    """Sets each line's reason when it cannot be filed; the order of the list decides who gets the last seats."""
    holders = await _holders(services, [line.user for line in lines if line.user], sku)
    pending = await _pending_by_user(services, actor, sku)
    allowed = await _allowed(services, actor, [line.user for line in lines if line.user])
    not_allowed = (
        "license.bulk.reason.not_yours"
        if services.policy.managers_may_request_for_reports
        else "license.bulk.reason.not_yours.admins_only"
    )
    seen: set[str] = set()
    seats = sku.free_units
    for line in lines:
        user = line.user
        if user is None:
            line.reason = t("license.bulk.reason.not_found")
        elif user.id in seen:
            line.reason = t("license.bulk.reason.duplicate")
        elif user.id not in allowed:
            line.reason = t(not_allowed)
        elif not user.account_enabled:
            line.reason = t("license.bulk.reason.disabled")
        elif user.id.lower() in holders:
            line.reason = t("license.bulk.reason.already_has", plan=plan_name)
        elif user.id in pending:
            line.reason = t("license.bulk.reason.pending", request_id=pending[user.id])
        elif not user.usage_location and not normalize_country(user.country):
            line.reason = t("license.bulk.reason.no_usage_location")
        elif seats <= 0:
            line.reason = t("license.bulk.reason.no_seat", free=sku.free_units)
        else:
            seats -= 1
            line.country = None if user.usage_location else normalize_country(user.country)
        if user is not None:
            seen.add(user.id)


async def _allowed(services: Services, actor: Actor, users: list[DirectoryUser]) -> set[str]:
    """Ids of the listed people the actor may ask for: everyone for an admin (one check), else oneself and,
    by policy, direct reports (one manager read per person, a few at a time)."""
    if await is_admin(services, actor):
        return {user.id for user in users}
    gate = asyncio.Semaphore(_LOOKUPS_AT_ONCE)

    async def one(user: DirectoryUser) -> str | None:
        if user.id.lower() == actor.user_id.lower():
            return user.id
        async with gate:
            return user.id if await is_manager_of(services, actor, user.id) else None

    unique = list({user.id: user for user in users}.values())
    return {user_id for user_id in await asyncio.gather(*(one(user) for user in unique)) if user_id}


async def _holders(services: Services, users: list[DirectoryUser], sku: Sku) -> set[str]:
    """Who already holds the plan: one read of its holders when the port can, else one read per person."""
    licenses = services.tenant.licenses
    if supports_bulk(licenses):
        return {user_id.lower() for user_id in await licenses.holders(sku.sku_id)}  # type: ignore[attr-defined]  # supports_bulk checked it
    held: set[str] = set()
    for user in users:
        if any(license.sku_id.lower() == sku.sku_id.lower() for license in await licenses.user_licenses(user.id)):
            held.add(user.id.lower())
    return held


async def _pending_by_user(services: Services, actor: Actor, sku: Sku) -> dict[str, str]:
    """Person → public id of this requester's request in flight for this plan (single, bulk or plan change)."""
    found: dict[str, str] = {}
    async with services.uow() as uow:
        requests = await uow.requests.list_for_requester(actor.user_id, limit=200)
    for request in requests:
        if request.kind not in LICENSE_KINDS or RequestState(request.state).is_final:
            continue
        skus = {str(s).lower() for s in request.payload.get("sku_ids") or [request.payload.get("key") or ""]}
        if sku.sku_id.lower() in skus:
            for user_id in request.payload.get("user_ids") or [request.target_id]:
                found.setdefault(user_id, request.public_id)
    return found


def _line_view(line: _Line) -> BulkLine:
    person = f"{line.user.display_name} <{line.user.user_principal_name}>" if line.user else None
    return BulkLine(entry=line.entry, person=person, reason=line.reason)


async def _public_id(services: Services, request_id: int | None) -> str | None:
    if request_id is None:
        return None
    async with services.uow() as uow:
        request = await uow.requests.get(request_id)
    return request.public_id if request else None

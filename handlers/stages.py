"""Approval stages (F14): who approves at each stage of a request, what one approval does to it (stay in an "all"
stage, move on to the next stage, or approve), and the stage records a request keeps in its payload.

A request's stages are fixed when it is filed, from the routing policy in force (recorded by its digest), so a later
change of the policy file never reroutes a request already waiting. ``payload["stages"]`` holds one record a stage:
``who``, ``require``, ``group_id`` and, once the stage is reached, ``route``, ``ids``, ``names`` and ``approved``
(``[id, name]`` pairs); ``request.stage`` is the index of the stage it waits in, and ``request.approver_ids`` the
people who may decide it now. A stage's approvers are found when it is reached (a manager or a group may have changed
since the request was filed); the requester, the people the request changes and anyone who already decided an earlier
stage of it are never among them. A stage with nobody left is skipped; when no stage has anybody, the admins decide.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cards.views import StageView
from handlers.routing_policy import ADMINS, ALL, FULFILLERS, GROUP, MANAGER, OWN_STAGE, OWNERS, STAGE_KINDS, Stage
from handlers.services import Services
from kinds.steps import Step, changes_person
from m365.ports import DirectoryUser
from storage.models import Request

STAGES = "stages"  # payload key: the stage records
OWN = "routed"  # payload key: the approvers the kind itself computed (ids, names, route), for its "owners" stages
# What the card-update jobs of an approval that leaves a request waiting announce ("sync:stage.v4"): it moved to its
# next stage (the requester is told), or one approver of an "all" stage approved (the cards are redrawn).
STAGE_MOVED, STAGE_APPROVAL = "stage", "stage_approval"
DESK_PREFIX = "desk:"  # requests the desk files itself: their requester is no person


@dataclass(frozen=True, slots=True)
class Routed:
    """Approvers of one stage: ids and display names one for one, and the route their entitlement is re-checked by."""

    ids: list[str]
    names: list[str]
    route: str


@dataclass(frozen=True, slots=True)
class Staffed:
    """The stage a request moves to and its approvers; ``skipped``: the stages before it that had nobody."""

    index: int
    routed: Routed
    skipped: tuple[int, ...] = ()
    fallback: bool = False  # no stage had anybody: the admins decide, at the last stage


@dataclass(frozen=True, slots=True)
class Approval:
    """What one approval does, worked out before the locked write: "stay" (others of an "all" stage must still
    approve), "next" (to ``staffed``'s stage) or "final" (the request is approved)."""

    outcome: str
    staffed: Staffed | None = None


def new_records(stages: Sequence[Stage]) -> list[dict[str, Any]]:
    return [{"who": stage.who, "require": stage.require, "group_id": stage.group_id} for stage in stages]


def stage_records(request: Request) -> list[dict[str, Any]]:
    """The request's stage records; a request filed before stages has one, its route, with its approvers."""
    records = request.payload.get(STAGES)
    if records:
        return copy.deepcopy(list(records))
    route = request.payload.get("route", OWNERS)
    return [
        {
            "who": route,
            "require": "one",
            "group_id": None,
            "route": route,
            "ids": list(request.approver_ids),
            "names": list(request.payload.get("approver_names", ())),
            "approved": [],
        }
    ]


def current_record(request: Request) -> dict[str, Any]:
    records = stage_records(request)
    return records[min(request.stage or 0, len(records) - 1)]


def at_last_stage(request: Request) -> bool:
    return (request.stage or 0) >= len(stage_records(request)) - 1


def deciders(request: Request) -> set[str]:
    """Everyone who approved a stage of the request so far."""
    return {pair[0] for record in stage_records(request) for pair in record.get("approved", ())}


def earlier_approvers(request: Request) -> set[str]:
    """The approvers of the stages before the one the request waits in, and who approved the current one: they
    took part, so they still see it (read-only); whether the current stage's approvers may is for access to say."""
    records = stage_records(request)
    index = min(request.stage or 0, len(records) - 1)
    earlier = {person for record in records[:index] for person in record.get("ids", ())}
    return earlier | {pair[0] for pair in records[index].get("approved", ())}


def stage_view(request: Request) -> StageView | None:
    """What cards show of the stages: only for a request routed through more than one."""
    records = stage_records(request)
    if len(records) < 2:
        return None
    index = min(request.stage or 0, len(records) - 1)
    record = records[index]
    approvals = tuple(
        (number, str(pair[1])) for number, stage in enumerate(records, start=1) for pair in stage.get("approved", ())
    )
    # Who decides in fact: an "owners" stage of a resource without owners is the admins', as is a fallback.
    route = record.get("route")
    who = str(route) if route in STAGE_KINDS else str(record["who"])
    return StageView(number=index + 1, total=len(records), who=who, approvals=approvals)


async def staff(
    services: Services,
    records: Sequence[dict[str, Any]],
    start: int,
    *,
    kind_id: str,
    requester_id: str,
    plan: Sequence[Step],
    own: Routed,
    decided: Iterable[str] = (),
) -> Staffed | None:
    """The first stage from ``start`` with anybody to decide, else the admins at the last stage; None: nobody at all.

    Asked of the directory with no transaction open.
    """
    earlier = {person.casefold() for person in decided}

    def allowed(person: str, *, deciders_too: bool = True) -> bool:
        folded = person.casefold()
        if folded == requester_id.casefold() or changes_person(plan, person):
            return False
        return not (deciders_too and folded in earlier)

    skipped: list[int] = []
    for index in range(start, len(records)):
        routed = await _approvers(services, records[index], kind_id=kind_id, requester_id=requester_id, own=own)
        kept = _keep(routed, allowed)
        if kept.ids:
            return Staffed(index, kept, tuple(skipped))
        skipped.append(index)
    admins = await admins_of(services)
    kept = _keep(admins, allowed)
    if not kept.ids:
        # Only people who decided an earlier stage are left: one of them decides rather than nobody.
        kept = _keep(admins, lambda person: allowed(person, deciders_too=False))
    if not kept.ids:
        return None
    return Staffed(max(len(records) - 1, start), kept, tuple(skipped), fallback=True)


def plan_approval(request: Request, actor_id: str) -> Approval:
    """Whether this approval keeps the request in its stage, ends the last stage, or ends a stage before another.

    An "all" stage waits for every approver it was routed to; an approval by someone added to it later (an
    escalation, a reassignment) ends it, as does any approval of a "one" stage.
    """
    records = stage_records(request)
    index = min(request.stage or 0, len(records) - 1)
    record = records[index]
    approved = {pair[0] for pair in record.get("approved", ())} | {actor_id}
    routed_to = set(record.get("ids", ()))
    if record.get("require") == ALL and actor_id in routed_to and not routed_to <= approved:
        return Approval("stay")
    if index + 1 >= len(records) or record.get("fallback"):
        return Approval("final")
    return Approval("next")


def record_approval(
    request: Request, actor_id: str, actor_name: str, approval: Approval, now: datetime
) -> dict[str, Any]:
    """Writes the approval into the (version-guarded, locked) request: stage records, stage, who may decide now.

    Returns the audit detail of the stage change.
    """
    records = stage_records(request)
    index = min(request.stage or 0, len(records) - 1)
    records[index].setdefault("approved", []).append([actor_id, actor_name])
    detail: dict[str, Any] = {"stage": index + 1, "stages": len(records), "who": records[index]["who"]}
    payload = dict(request.payload)
    if approval.outcome == "stay":
        request.approver_ids = [person for person in request.approver_ids if person != actor_id]
        detail["waiting_for"] = list(request.approver_ids)
    elif approval.outcome == "next":
        staffed = approval.staffed
        assert staffed is not None
        target = record_approval_route(records, staffed)
        request.stage = staffed.index
        request.approver_ids = list(staffed.routed.ids)
        payload.update(route=staffed.routed.route, approver_names=list(staffed.routed.names))
        # When its new approvers began waiting, for reminders and escalation (handlers.escalation reads these).
        payload.update(stage=staffed.index, stage_started_at=now.isoformat())
        detail.update(
            to_stage=staffed.index + 1,
            to_who=target["who"],
            approvers=list(staffed.routed.ids),
            skipped=[skipped + 1 for skipped in staffed.skipped],
        )
        if staffed.fallback:
            detail["fallback"] = ADMINS
    payload[STAGES] = records
    request.payload = payload  # a new dict: JSON columns do not see changes made in place
    return detail


def record_approval_route(records: list[dict[str, Any]], staffed: Staffed) -> dict[str, Any]:
    """Marks the skipped stages and gives the reached one its approvers; returns the reached stage's record."""
    for skipped in staffed.skipped:
        records[skipped].update(route=None, ids=[], names=[], skipped=True)
    target = records[staffed.index]
    target.update(route=staffed.routed.route, ids=staffed.routed.ids, names=staffed.routed.names, approved=[])
    if staffed.fallback:
        target["fallback"] = True
    return target


async def admins_of(services: Services) -> Routed:
    return await _members(services, services.policy.admins_group_id, ADMINS)


async def _approvers(
    services: Services, record: dict[str, Any], *, kind_id: str, requester_id: str, own: Routed
) -> Routed:
    who = record["who"]
    kind_route = OWN_STAGE.get(services.kinds.kind(kind_id).approvers, OWNERS)
    if who in (OWNERS, kind_route):
        # The kind's own route as it computed it at filing (the resource's owners, else the admins).
        return own
    if who == ADMINS:
        return await admins_of(services)
    if who == FULFILLERS:
        return await _members(services, services.policy.fulfillers, FULFILLERS)
    if who == GROUP:
        return await _members(services, record.get("group_id") or "", GROUP)
    assert who == MANAGER, who
    # Requests the desk files itself ("desk:orphans", …) have no requester in the directory, so no manager.
    person = requester_id and not requester_id.startswith(DESK_PREFIX)
    manager_id = await services.tenant.directory.manager_id(requester_id) if person else None
    manager = await services.tenant.directory.get_user(manager_id) if manager_id else None
    return _routed([manager] if manager else [], MANAGER)


async def _members(services: Services, group_id: str, route: str) -> Routed:
    if not group_id:
        return Routed([], [], route)
    people = [
        await services.tenant.directory.get_user(member)
        for member in await services.tenant.directory.group_member_ids(group_id)
    ]
    return _routed([person for person in people if person is not None], route)


def _routed(people: Iterable[DirectoryUser], route: str) -> Routed:
    unique = {person.id: person for person in people if person.account_enabled}
    return Routed(list(unique), [person.display_name for person in unique.values()], route)


def _keep(routed: Routed, allowed: Callable[[str], bool]) -> Routed:
    ids = [person for person in routed.ids if allowed(person)]
    if len(routed.names) != len(routed.ids):  # names not one for one with ids: kept as the kind gave them
        return Routed(ids, routed.names if len(ids) == len(routed.ids) else [], routed.route)
    names = [name for person, name in zip(routed.ids, routed.names, strict=True) if allowed(person)]
    return Routed(ids, names, routed.route)

"""license.seats (F10), filing: validate a typed seat order ("order 5 more E3") or the no-free-seat offer's button,
and file it for the admins to approve."""

from __future__ import annotations

from dataclasses import dataclass

from cards.seat_orders import signed
from handlers.approvals import resolve_approvers
from handlers.context import Actor, Reply, actor_translator
from handlers.services import Services
from handlers.submission import Draft, find_open, submit
from kinds.card_data import bounded
from kinds.seats.commands import OrderSeats, parse_quantity
from kinds.seats.steps import SeatOrder
from m365.ports import Sku

KIND = "license.seats"
_SHOWN_PLAN = 100  # the most of a plan name, as typed or clicked, that is looked up and quoted back
_SHOWN_QUANTITY = 40
# The click's strings are only bounded by the activity (bot.activity_check takes at most 256 KiB): what the seat
# handlers say about a long value (an unknown plan, an order nobody has a part in, a reference too long) is what
# a person who sent one has always been told, and a forged order id is recorded like a missing one (handlers.access).
ANY_LENGTH = 256 * 1024


@dataclass(frozen=True, slots=True)
class OfferClick:
    """The no-free-seat offer's button: the plan and the seats to order, as the card carried them (only wishes).

    The quantity is read as a number or as text and checked like a typed one, so a tampered one gets the same
    answer as a mistyped one; the plan is cut to the length a typed one may have, as it always was."""

    sku_id: str = bounded(ANY_LENGTH)
    quantity: int | str | None = None


async def request_seats(services: Services, actor: Actor, command: OrderSeats) -> Reply:
    """Anyone may ask; admins approve. Checks the quantity, the plan, a reduction against the assigned seats."""
    t = actor_translator(actor)
    quantity = parse_quantity(command.quantity)
    if quantity is None:
        return Reply(text=t("seats.bad_quantity", quantity=command.quantity[:_SHOWN_QUANTITY]))
    skus = await services.tenant.licenses.list_skus()
    # Seats of tenant-wide plans are bought the same way, so every plan the tenant has can be ordered.
    sku = services.plans.match(command.plan, skus, users_only=False)
    if sku is None:
        plans = ", ".join(sorted(services.plans.name(each) for each in skus))
        return Reply(text=t("seats.unknown_plan", plan=command.plan[:_SHOWN_PLAN], plans=plans))
    plan_name = services.plans.name(sku)
    purchased, assigned = sku.enabled_units, sku.consumed_units
    change = -quantity if command.reduce else quantity
    resulting = purchased + change
    if command.reduce and resulting < assigned:
        return Reply(
            text=t(
                "seats.below_assigned",
                plan=plan_name,
                requested=quantity,
                purchased=purchased,
                assigned=assigned,
                most=max(purchased - assigned, 0),
            )
        )
    async with services.uow() as uow:
        pending = await find_open(uow, kind=KIND, requester_id=actor.user_id, target_id=sku.sku_id, key=sku.sku_id)
    if pending:
        return Reply(text=t("seats.already_pending", request_id=pending.public_id, plan=plan_name))

    approvers = await resolve_approvers(services, actor.user_id)  # no owners: the admins group decides
    if not approvers.ids:
        return Reply(text=t("request.no_approvers"))
    figures = {
        "plan": plan_name,
        "purchased": purchased,
        "assigned": assigned,
        "change": change,
        "resulting": resulting,
    }
    step = SeatOrder(
        sku_id=sku.sku_id,
        sku_part_number=sku.sku_part_number,
        plan=plan_name,
        quantity=quantity,
        reduce=command.reduce,
        change=signed(change),
        seats=str(resulting),
    )
    draft = Draft(
        kind=KIND,
        target_id=sku.sku_id,
        target_label=f"{plan_name} · {signed(change)}",
        payload={"key": sku.sku_id, "route": approvers.route, "sku_part_number": sku.sku_part_number, "seats": figures},
        plan=(step,),
        approver_ids=approvers.ids,
        approver_names=approvers.names,
        facts=_facts(sku, change, resulting),
    )
    return await submit(services, actor, draft)


async def offer_clicked(services: Services, actor: Actor, data: OfferClick) -> Reply:
    """The no-free-seat offer's button: its data are only wishes, validated again like typed text."""
    typed = "" if data.quantity is None else str(data.quantity)
    return await request_seats(services, actor, OrderSeats(plan=data.sku_id[:_SHOWN_PLAN], quantity=typed))


def _facts(sku: Sku, change: int, resulting: int) -> list[tuple[str, str]]:
    """The approver's numbers, as (label message key, value): seats now, the change and the count it leads to."""
    return [
        ("seats.field.purchased", str(sku.enabled_units)),
        ("seats.field.assigned", str(sku.consumed_units)),
        ("seats.field.free", str(sku.free_units)),
        ("seats.field.change", signed(change)),
        ("seats.field.result", str(resulting)),
    ]

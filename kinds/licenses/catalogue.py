"""The plan catalogue (F8): every subscribed plan with seats and costs, and the admins' price command."""

from __future__ import annotations

import logging

from cards.catalogue import CatalogueView, PlanLine, catalogue_card
from handlers.context import Actor, Reply, actor_translator
from handlers.plans import Price, PriceTable, normalize_currency, parse_amount
from handlers.services import Services
from kinds.licenses.commands import SetPrice, ShowPlans
from m365.ports import Sku
from storage.uow import UnitOfWork

logger = logging.getLogger(__name__)

PRICE_SET = "price.set"  # the audit action


async def show_plans(services: Services, actor: Actor, _command: ShowPlans | None = None) -> Reply:
    skus = await services.tenant.licenses.list_skus()
    is_admin = await _is_admin(services, actor)  # only decides whether the card says how to set a price
    async with services.uow() as uow:
        prices = await effective_prices(services, uow)
    return Reply(card=catalogue_card(_view(services, skus, prices, can_set_prices=is_admin), actor_translator(actor)))


async def set_price(services: Services, actor: Actor, command: SetPrice) -> Reply:
    """Checks, in order: the admins group (on the server, now), the input, the plan; only then one commit."""
    t = actor_translator(actor)
    if not await _is_admin(services, actor):
        return Reply(text=t("price.not_admin"))
    if not (command.plan and command.amount and command.currency):
        return Reply(text=t("price.usage"))
    amount = parse_amount(command.amount)
    if amount is None:
        return Reply(text=t("price.bad_amount", amount=command.amount[:40]))
    currency = normalize_currency(command.currency)
    if currency is None:
        return Reply(text=t("price.bad_currency", currency=command.currency[:40]))
    skus = await services.tenant.licenses.list_skus()
    # Any plan the tenant has may carry a price, tenant-wide ("Company") ones included.
    sku = services.plans.match(command.plan, skus, users_only=False)
    if sku is None:
        plans = ", ".join(sorted(services.plans.name(each) for each in skus))
        return Reply(text=t("price.unknown_plan", plan=command.plan[:100], plans=plans))

    new = Price(amount, currency)
    async with services.uow() as uow:
        before = await effective_prices(services, uow)
        previous = before.get(sku.sku_part_number)
        await uow.prices.set(
            sku_part_number=sku.sku_part_number,
            amount=amount,
            currency=currency,
            updated_by=actor.user_id,
            updated_at=services.clock(),
        )
        await uow.audit.append(
            action=PRICE_SET,
            actor_id=actor.user_id,
            actor_name=actor.name,
            detail={
                "sku_part_number": sku.sku_part_number,
                "sku_id": sku.sku_id,
                "amount": str(amount),  # exact, as text: the audit detail is JSON
                "currency": currency,
                "previous": {"amount": str(previous.amount), "currency": previous.currency} if previous else None,
            },
        )
        await uow.commit()
    prices = before.overridden_by({sku.sku_part_number: new})
    logger.info("price of %s set to %s %s by %s", sku.sku_part_number, amount, currency, actor.user_id)

    plan = services.plans.name(sku)
    price = t.money(new.amount, new.currency)
    notice = (
        t("price.set", plan=plan, price=price, previous=t.money(previous.amount, previous.currency))
        if previous
        else t("price.set_first", plan=plan, price=price)
    )
    return Reply(text=notice, card=catalogue_card(_view(services, skus, prices, can_set_prices=True), t))


async def effective_prices(services: Services, uow: UnitOfWork) -> PriceTable:
    """The price file's table with every price an admin set in chat laid over it."""
    stored = await uow.prices.get_all()
    return services.prices.overridden_by(
        {part: Price(row.amount, row.currency) for part, row in stored.items()}
    )


def _view(services: Services, skus: list[Sku], prices: PriceTable, *, can_set_prices: bool) -> CatalogueView:
    lines = []
    for sku in sorted(skus, key=services.plans.name):
        price = prices.get(sku.sku_part_number)
        lines.append(
            PlanLine(
                sku_part_number=sku.sku_part_number,
                name=services.plans.name(sku),
                purchased=sku.enabled_units,
                assigned=sku.consumed_units,
                price=price.amount if price else None,
                currency=price.currency if price else None,
                status=sku.capability_status,
            )
        )
    return CatalogueView(plans=tuple(lines), can_set_prices=can_set_prices)


async def _is_admin(services: Services, actor: Actor) -> bool:
    """Membership asked of the directory at the moment of use; an unconfigured admins group means nobody."""
    group_id = services.policy.admins_group_id
    return bool(group_id) and await services.tenant.directory.is_member_of(actor.user_id, group_id)


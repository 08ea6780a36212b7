"""The license plan catalogue card: seats, price per seat, monthly cost and the total, in the reader's locale."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from cards.elements import Element, card, text, title
from cards.i18n import Translator

NO_PRICE = "—"
# capabilityStatus values of a subscribedSku other than "Enabled", each with a message (catalogue.status.*).
PLAN_STATUSES = ("Warning", "Suspended", "LockedOut", "Deleted")


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One subscribed plan as the catalogue shows it; ``price`` is per seat per month, None when nobody set one."""

    sku_part_number: str
    name: str
    purchased: int  # prepaidUnits.enabled
    assigned: int  # consumedUnits
    price: Decimal | None = None
    currency: str | None = None
    status: str = "Enabled"

    @property
    def free(self) -> int:
        # Over-assignment (more assigned than purchased) shows as no free seats, never a negative number.
        return max(self.purchased - self.assigned, 0)

    @property
    def monthly_cost(self) -> Decimal | None:
        return None if self.price is None else self.price * self.purchased


@dataclass(frozen=True, slots=True)
class CatalogueView:
    plans: tuple[PlanLine, ...] = field(default=())
    can_set_prices: bool = False  # the reader is an admin: the card says how to set a price

    def totals(self) -> tuple[tuple[str, Decimal], ...]:
        """Monthly cost per currency over the priced plans (one entry unless admins mixed currencies)."""
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for plan in self.plans:
            cost = plan.monthly_cost
            if cost is not None and plan.currency:
                sums[plan.currency] += cost
        return tuple(sorted(sums.items()))

    @property
    def has_unpriced(self) -> bool:
        return any(plan.price is None for plan in self.plans)


def catalogue_card(view: CatalogueView, t: Translator) -> Element:
    body: list[Element] = [title(t("catalogue.title"))]
    if not view.plans:
        body.append(text(t("catalogue.empty")))
        return card(body)
    body.extend(_plan_row(plan, t) for plan in view.plans)
    body.append(_total_row(view, t))
    if view.has_unpriced:
        body.append(text(t("catalogue.unpriced_note"), subtle=True))
    if view.can_set_prices:
        body.append(text(t("catalogue.admin_hint"), subtle=True))
    return card(body)


def _plan_row(plan: PlanLine, t: Translator) -> Element:
    name = f"**{plan.name}**"
    if plan.status in PLAN_STATUSES:
        name += f" · {t('catalogue.status.' + plan.status)}"
    seats = t(
        "catalogue.seats",
        purchased=t.number(plan.purchased),
        assigned=t.number(plan.assigned),
        free=t.number(plan.free),
    )
    cost = plan.monthly_cost
    if cost is None or plan.price is None or plan.currency is None:
        cost_text, price_text = NO_PRICE, t("catalogue.no_price")
    else:
        cost_text = t("catalogue.monthly_cost", cost=t.money(cost, plan.currency))
        price_text = t("catalogue.price_per_seat", price=t.money(plan.price, plan.currency))
    return _two_columns(
        f"plan-{plan.sku_part_number}",
        left=[text(name), text(seats, subtle=True)],
        right=[_right(text(cost_text, weight="Bolder")), _right(text(price_text, subtle=True))],
    )


def _total_row(view: CatalogueView, t: Translator) -> Element:
    totals = view.totals()
    amounts = [text(t.money(amount, currency), weight="Bolder") for currency, amount in totals] or [
        text(NO_PRICE, weight="Bolder")
    ]
    return _two_columns(
        "total", left=[text(t("catalogue.total"), weight="Bolder")], right=[_right(block) for block in amounts]
    )


def _two_columns(element_id: str, *, left: list[Element], right: list[Element]) -> Element:
    # Two columns, not a Table: it stays readable in the narrow Teams mobile chat as well as on the desktop.
    return {
        "type": "ColumnSet",
        "id": element_id,
        "separator": True,
        "columns": [
            {"type": "Column", "width": "stretch", "items": left},
            {"type": "Column", "width": "auto", "items": right},
        ],
    }


def _right(block: Element) -> Element:
    return {**block, "horizontalAlignment": "Right"}

"""License plans: friendly names from Microsoft's SKU table, matching what people type ("E3") to a SKU, prices."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources

from babel.numbers import is_currency

from m365.ports import Sku

# What people call the common plans, per SKU part number; matched case- and space-insensitively.
_SHORT_NAMES: Mapping[str, tuple[str, ...]] = {
    "O365_BUSINESS_ESSENTIALS": ("business basic", "basic"),
    "O365_BUSINESS_PREMIUM": ("business standard", "standard"),
    "SPB": ("business premium", "premium"),
    "STANDARDPACK": ("e1", "office 365 e1"),
    "ENTERPRISEPACK": ("e3", "office 365 e3"),
    "ENTERPRISEPREMIUM": ("e5", "office 365 e5"),
    "SPE_E3": ("m365 e3", "microsoft 365 e3"),
    "SPE_E5": ("m365 e5", "microsoft 365 e5"),
    "SPE_F1": ("f3", "microsoft 365 f3"),
}


def _key(value: str) -> str:
    return re.sub(r"[\s_\-]+", "", value).casefold()


@dataclass(frozen=True, slots=True)
class PlanCatalogue:
    """Names for SKUs; built once from the bundled table (see handlers/data/sku_names.json)."""

    display_names: Mapping[str, str]

    @classmethod
    def load(cls) -> PlanCatalogue:
        raw = resources.files("handlers").joinpath("data/sku_names.json").read_text(encoding="utf-8")
        return cls(display_names=json.loads(raw)["names"])

    def name(self, sku: Sku) -> str:
        return self.display_names.get(sku.sku_part_number, sku.sku_part_number)

    def match(self, query: str, skus: Iterable[Sku], *, users_only: bool = True) -> Sku | None:
        """The tenant's SKU that ``query`` names: short name, display name, part number or SKU id.

        ``users_only`` leaves out tenant-wide SKUs (appliesTo "Company"), which cannot be assigned to a person.
        """
        wanted = _key(query)
        candidates = [sku for sku in skus if sku.applies_to == "User" or not users_only]
        for sku in candidates:
            names = {sku.sku_id, sku.sku_part_number, self.name(sku), *_SHORT_NAMES.get(sku.sku_part_number, ())}
            if wanted in {_key(name) for name in names}:
                return sku
        return None


# ---------------------------------------------------------------- prices

# Up to ten digits before the separator and two after, as the plan_prices column (NUMERIC(12, 2)) holds;
# people type either decimal separator ("23.10" in English, "23,10" in Polish and German).
_AMOUNT = re.compile(r"^(?P<units>\d{1,10})(?:[.,](?P<cents>\d{1,2}))?$")
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Price:
    """A price per seat per month: an exact amount and its ISO 4217 currency."""

    amount: Decimal
    currency: str


def parse_amount(text: str) -> Decimal | None:
    """``"23,10"`` or ``"23.1"`` as Decimal("23.10"); None for anything that is not a plain non-negative price."""
    found = _AMOUNT.match(text.strip())
    if found is None:
        return None
    return Decimal(f"{found.group('units')}.{found.group('cents') or '0'}").quantize(_CENT)


def normalize_currency(text: str) -> str | None:
    """The ISO 4217 code (upper case) when Babel knows it as a currency, else None."""
    code = text.strip().upper()
    # XXX ("no currency") and XTS ("for testing") are codes, but no price is ever in them.
    if len(code) != 3 or not code.isascii() or not code.isalpha() or code in {"XXX", "XTS"}:
        return None
    return code if is_currency(code) else None


@dataclass(frozen=True, slots=True)
class PriceTable:
    """Prices by SKU part number from the admins' price file (config/prices.json); chat-set prices override it."""

    prices: Mapping[str, Price] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: str, *, source: str = "prices file") -> PriceTable:
        """Reads ``{"prices": {"ENTERPRISEPACK": {"amount": 22.50, "currency": "EUR"}, ...}}``.

        Keys starting with "_" are comments. A mistake raises ValueError naming the entry, so a bad file stops
        the desk at startup instead of showing wrong costs.
        """
        # parse_float=Decimal: 22.10 in the file stays exactly 22.10, never the nearest binary float.
        try:
            document = json.loads(raw, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise ValueError(f"{source}: not valid JSON ({error})") from error
        entries = document.get("prices") if isinstance(document, dict) else None
        if not isinstance(entries, dict):
            raise ValueError(f'{source}: expected an object with a "prices" object')
        prices: dict[str, Price] = {}
        for part_number, entry in entries.items():
            if part_number.startswith("_"):
                continue
            if not isinstance(entry, dict):
                raise ValueError(f'{source}: {part_number}: expected {{"amount": ..., "currency": ...}}')
            amount = _file_amount(entry.get("amount"))
            if amount is None:
                raise ValueError(f"{source}: {part_number}: amount {entry.get('amount')!r} is not a price")
            currency = normalize_currency(str(entry.get("currency") or ""))
            if currency is None:
                raise ValueError(f"{source}: {part_number}: currency {entry.get('currency')!r} is not ISO 4217")
            prices[part_number] = Price(amount, currency)
        return cls(prices=prices)

    def get(self, sku_part_number: str) -> Price | None:
        return self.prices.get(sku_part_number)

    def overridden_by(self, overrides: Mapping[str, Price]) -> PriceTable:
        """The effective table: a price stored in the database wins over the file's."""
        return PriceTable(prices={**self.prices, **overrides})


def _file_amount(value: object) -> Decimal | None:
    if isinstance(value, bool):  # JSON true is not 1 euro
        return None
    if isinstance(value, int | Decimal):
        value = str(value)
    return parse_amount(value) if isinstance(value, str) else None

"""License plans: friendly names from Microsoft's SKU table and matching what people type ("E3") to a SKU."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

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

    def match(self, query: str, skus: Iterable[Sku]) -> Sku | None:
        """The tenant's SKU that ``query`` names: short name, display name, part number or SKU id."""
        wanted = _key(query)
        candidates = [sku for sku in skus if sku.applies_to == "User"]
        for sku in candidates:
            names = {sku.sku_id, sku.sku_part_number, self.name(sku), *_SHORT_NAMES.get(sku.sku_part_number, ())}
            if wanted in {_key(name) for name in names}:
                return sku
        return None

"""The license report's and alerts' configuration (F11): plan overlaps, compliance rules, thresholds, links."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Which plan makes which redundant on the same person (SKU part numbers): the bigger plan includes the smaller.
DEFAULT_OVERLAPS: Mapping[str, tuple[str, ...]] = {
    "ENTERPRISEPREMIUM": ("ENTERPRISEPACK", "STANDARDPACK"),  # Office 365 E5 covers E3 and E1
    "SPB": ("O365_BUSINESS_PREMIUM", "O365_BUSINESS_ESSENTIALS"),  # Business Premium covers Standard and Basic
    "O365_BUSINESS_PREMIUM": ("O365_BUSINESS_ESSENTIALS",),  # Business Standard covers Basic
    "SPE_E5": ("SPE_E3",),  # Microsoft 365 E5 covers Microsoft 365 E3
}


@dataclass(frozen=True, slots=True)
class ComplianceRule:
    """Plans that only members of one group may hold (e.g. education or non-profit plans)."""

    plans: tuple[str, ...]  # SKU part numbers
    only_members_of: str  # group object id


@dataclass(frozen=True, slots=True)
class ReportPolicy:
    overlaps: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_OVERLAPS))
    compliance_rules: tuple[ComplianceRule, ...] = ()
    stale_days: int = 90  # "no successful sign-in for N days" when the admin names no N
    alert_free_seats: int = 2  # alert when a plan has fewer free seats than this; 0 = never
    alert_subscription_days: int = 30  # alert when a subscription's term ends within this many days
    public_url: str = "http://127.0.0.1:3978"  # where people's browsers reach the desk (download links)
    link_minutes: int = 15  # how long a report download link works

    @classmethod
    def from_config(
        cls,
        *,
        overlaps: Mapping[str, Sequence[str]] | None = None,
        compliance_rules: Sequence[Mapping[str, Any]] = (),
        **values: Any,
    ) -> ReportPolicy:
        """Validates settings; a mistake raises ValueError naming it, so a bad setting stops the desk at startup."""
        rules = []
        for number, raw in enumerate(compliance_rules, 1):
            plans = raw.get("plans") if isinstance(raw, Mapping) else None
            group = raw.get("only_members_of") if isinstance(raw, Mapping) else None
            if not (isinstance(plans, list) and plans and all(isinstance(p, str) and p for p in plans)):
                raise ValueError(f'compliance rule {number}: "plans" must be a non-empty list of SKU part numbers')
            if not (isinstance(group, str) and group.strip()):
                raise ValueError(f'compliance rule {number}: "only_members_of" must be a group object id')
            rules.append(ComplianceRule(plans=tuple(plans), only_members_of=group.strip()))
        table = dict(DEFAULT_OVERLAPS) if overlaps is None else {k: tuple(v) for k, v in overlaps.items()}
        for name in ("stale_days", "alert_free_seats", "alert_subscription_days", "link_minutes"):
            if name in values and (not isinstance(values[name], int) or values[name] < 0):
                raise ValueError(f"{name} must be a whole number ≥ 0, not {values[name]!r}")
        if "public_url" in values:
            values["public_url"] = str(values["public_url"]).rstrip("/")
        return cls(overlaps=table, compliance_rules=tuple(rules), **values)

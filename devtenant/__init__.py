"""devtenant: a local emulator of the Microsoft 365 services M365 Desk talks to (Entra, Graph, Exchange, Teams)."""

from __future__ import annotations

from devtenant.faults import FaultInjector
from devtenant.seed import Seed, SeedGroup, SeedList, SeedSku, SeedUser, build_seed
from devtenant.server import DevTenant, run_devtenant
from devtenant.state import TenantState

__all__ = [
    "DevTenant",
    "FaultInjector",
    "Seed",
    "SeedGroup",
    "SeedList",
    "SeedSku",
    "SeedUser",
    "TenantState",
    "build_seed",
    "run_devtenant",
]

"""The objects every emulated service shares: tenant state, faults, token issuer and the public base URLs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from devtenant.faults import FaultInjector, FaultRule
from devtenant.state import TenantState
from devtenant.tokens import TokenIssuer


@dataclass
class Context:
    state: TenantState
    faults: FaultInjector
    issuer: TokenIssuer
    https_base: str  # "https://127.0.0.1:<port>"
    http_base: str  # "http://127.0.0.1:<port>"

    @property
    def tenant_id(self) -> str:
        return self.state.tenant_id

    @property
    def graph_base(self) -> str:
        return f"{self.https_base}/v1.0"

    @property
    def exchange_base(self) -> str:
        return f"{self.https_base}/adminapi/beta"

    def is_our_tenant(self, tenant: str) -> bool:
        """Entra and Exchange accept the tenant id or any of its verified domains in the URL."""
        return tenant.lower() in (self.state.tenant_id, self.state.domain, self.state.initial_domain)

    async def fault(self, service: str, path: str) -> FaultRule | None:
        """Apply latency for this request and return the rule if it must fail with an injected status."""
        rule = self.faults.take(service, path)
        if rule is None:
            return None
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        return rule if rule.status is not None else None

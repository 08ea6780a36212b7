"""Outbound auth for the demo: the Playground and devtenant's connector check no token, like the Bot Emulator."""

from __future__ import annotations

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core.authorization import (
    AccessTokenProviderBase,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ClaimsIdentity,
)

# Proactive turns (continue/create conversation) always carry the app id as a claim, so the SDK treats them as
# authenticated and refuses an empty token; the demo's connectors ignore the value, so a fixed marker will do.
DEMO_TOKEN = "m365-desk-demo-no-auth"


class DemoTokenProvider(AnonymousTokenProvider):
    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return DEMO_TOKEN


class DemoConnections:
    """A Connections whose every connection is the demo token provider. Wired only in demo mode."""

    def __init__(self) -> None:
        self._provider = DemoTokenProvider()

    def get_connection(self, connection_name: str) -> AccessTokenProviderBase:
        return self._provider

    def get_default_connection(self) -> AccessTokenProviderBase:
        return self._provider

    def get_token_provider(self, claims_identity: ClaimsIdentity, service_url: str) -> AccessTokenProviderBase:
        return self._provider

    def get_token_provider_from_activity(
        self, claims_identity: ClaimsIdentity, activity: Activity
    ) -> AccessTokenProviderBase:
        return self._provider

    def get_default_connection_configuration(self) -> AgentAuthConfiguration:
        return AgentAuthConfiguration(anonymous_allowed=True)

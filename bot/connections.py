"""Outbound auth to the Bot Connector: the bot's client-credential token in production, a marker in the demo."""

from __future__ import annotations

from typing import Protocol

from azure.core.credentials_async import AsyncTokenCredential
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
# The Bot Connector's resource: what Teams' connector accepts tokens for (a single-tenant bot asks its own tenant).
BOT_CONNECTOR_SCOPE = "https://api.botframework.com/.default"
_NOT_AGENTIC = "the desk is a Teams bot with client credentials, not an agentic app: it has no agentic tokens"


class DemoTokenProvider(AnonymousTokenProvider):
    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return DEMO_TOKEN


class _TokenSource(Protocol):
    async def token(self, scope: str) -> str: ...


class ConnectorTokenProvider(AccessTokenProviderBase):
    """The bot's own token for the Bot Connector, from the desk's msal credentials (cached until near expiry).

    The desk talks to Teams' connector only, so whatever audience the SDK derives from a turn's claims, the token
    is for the connector; where it may be sent is bot/auth.py's allow-list, checked before anything is sent.
    """

    def __init__(self, credentials: _TokenSource, configuration: AgentAuthConfiguration) -> None:
        self._credentials = credentials
        self._configuration = configuration

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._configuration

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return await self._credentials.token(BOT_CONNECTOR_SCOPE)

    def get_token_credential(self) -> AsyncTokenCredential:
        raise NotImplementedError("the desk calls no Azure SDK client with the bot's identity")

    # The SDK's Protocol declares these with bodies that only raise, which mypy counts as abstract. The desk signs
    # no user in (no on-behalf-of flow) and is no agentic app, so the SDK never reaches them on our connections;
    # were it to, the error says why rather than failing with the SDK's bare NotImplementedError.
    async def acquire_token_on_behalf_of(self, scopes: list[str], user_assertion: str) -> str:
        raise NotImplementedError("the desk acts as itself only: no on-behalf-of (user-delegated) tokens")

    async def get_agentic_application_token(self, tenant_id: str, agent_app_instance_id: str) -> str | None:
        raise NotImplementedError(_NOT_AGENTIC)

    async def get_agentic_instance_token(self, tenant_id: str, agent_app_instance_id: str) -> tuple[str, str]:
        raise NotImplementedError(_NOT_AGENTIC)

    async def get_agentic_user_token(
        self, tenant_id: str, agent_app_instance_id: str, agentic_user_id: str, scopes: list[str]
    ) -> str | None:
        raise NotImplementedError(_NOT_AGENTIC)


class SingleConnection:
    """A Connections whose every connection is one token provider: the desk has one identity."""

    def __init__(self, provider: AccessTokenProviderBase, configuration: AgentAuthConfiguration) -> None:
        self._provider = provider
        self._configuration = configuration

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
        return self._configuration


class DemoConnections(SingleConnection):
    """The Playground and devtenant's connector check no token, like the Bot Emulator. Wired only in demo mode."""

    def __init__(self) -> None:
        super().__init__(DemoTokenProvider(), AgentAuthConfiguration(anonymous_allowed=True))

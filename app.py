"""Composition root: `create_app(settings)` builds every object from Settings and wires them into one aiohttp app;
`python app.py …` runs the CLI (runtime/cli.py) with it."""

from __future__ import annotations

import asyncio
import logging
import ssl
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import aiohttp
from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration

from bot.agent import build_agent
from bot.auth import InboundGuard, SigningKeys, TokenValidator, TrustedIssuer
from bot.connections import ConnectorTokenProvider, DemoConnections, SingleConnection
from bot.http import add_messages_route
from bot.messenger import TeamsMessenger
from bot.references import ReferenceBook
from bot.turn_errors import install as install_turn_errors
from desk_logging import request_scope
from handlers.audit_check import seal_and_report
from handlers.delivery import deliver_approval_cards, update_request_cards
from handlers.editing import EDIT_NOTICE_JOB, tell_requester_of_edit
from handlers.execution import execute_request
from handlers.jobs import JobRunner
from handlers.mail_policy import MailPolicy
from handlers.plans import PlanCatalogue
from handlers.policy_audit import audit_policy_at_start
from handlers.routing_policy import RoutingPolicyError, load_routing_policy
from handlers.services import ApprovalPolicy, Services, utc_now
from handlers.submission import CARD_UPDATE_JOB, DELIVER_JOB, EXECUTE_JOB
from kinds import (
    delegation,
    desk,
    digest,
    editing,
    groups,
    history,
    incidents,
    licenses,
    lists,
    mail,
    mailboxes,
    orphans,
    queue,
    seats,
    statistics,
    still_needed,
    usage,
)
from kinds.family import Family
from kinds.incidents.policy import IncidentPolicy
from kinds.registry import build_registry
from m365.credentials import MsalCredentials
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import ExchangeClient
from m365.graph import build_graph, warm_up
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses
from m365.mail import GraphMail
from m365.mailboxes import ExchangeMailboxes
from m365.ports import Tenant
from m365.recipients import ExchangeRecipients
from m365.usage import GraphExchangeUsage
from runtime import background, cli, endpoints
from runtime.app_keys import CLOCK, ENGINE, READINESS, RUNNER, SERVICES, SETTINGS, TENANT, UOW, Readiness
from runtime.configuration import business_calendar, price_table, report_policy, service_url_allowlist, sla_targets
from settings import Settings
from storage.audit_chain import AuditKeys
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

# The app keys live in runtime/app_keys.py (the endpoints and background tasks read them too); tests, benches and
# the demo take them from here, with the app they key.
__all__ = ["CLOCK", "ENGINE", "READINESS", "RUNNER", "SERVICES", "SETTINGS", "TENANT", "UOW", "create_app", "main"]

logger = logging.getLogger("desk")


def families(settings: Settings | None = None) -> list[Family]:
    """Every family of request kinds the desk has: adding a kind means adding its module and one line here.

    ``settings``: what a family is configured with (the incidents' support groups and SLA); None = the defaults."""
    return [
        delegation.family(),
        desk.family(),
        digest.family(),
        editing.family(),
        groups.family(),
        history.family(),
        incidents.family(IncidentPolicy.from_settings(settings) if settings else None),
        licenses.family(),
        lists.family(),
        mail.family(),
        mailboxes.family(),
        orphans.family(),
        queue.family(IncidentPolicy.from_settings(settings) if settings else None),
        seats.family(),
        statistics.family(),
        still_needed.family(),
        usage.family(),
    ]


def create_app(
    settings: Settings, *, run_jobs: bool = True, clock: Callable[[], datetime] = utc_now
) -> web.Application:
    """The whole desk as an aiohttp app; every resource opens on startup and closes on cleanup.

    `clock` is the desk's notion of now (aware UTC datetimes): real time, unless a test controls it.
    """
    app = web.Application(middlewares=[request_scope])
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[READINESS] = Readiness()
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_microsoft365)
    app.cleanup_ctx.append(_desk)
    if run_jobs:
        app.cleanup_ctx.append(background.job_runner_task)
        app.cleanup_ctx.append(background.alerts_task)
        app.cleanup_ctx.append(background.directory_sync_task)
        app.cleanup_ctx.append(background.grant_expiry_task)
        app.cleanup_ctx.append(background.audit_check_task)
        app.cleanup_ctx.append(background.usage_collection_task)
        app.cleanup_ctx.append(background.digest_task)
        app.cleanup_ctx.append(background.orphans_task)
        app.cleanup_ctx.append(background.still_needed_task)
        app.cleanup_ctx.append(background.escalation_task)
        app.cleanup_ctx.append(background.incidents_task)
        app.cleanup_ctx.append(background.mail_sender_task)
    app.router.add_get("/healthz", endpoints.healthz)
    app.router.add_get("/readyz", endpoints.readyz)
    app.router.add_get("/reports/{token}.csv", endpoints.report_file)
    app.router.add_get("/reports/{token}.png", endpoints.chart_image)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url)
    if settings.is_demo:
        # The demo runs from one command; production migrates explicitly (`app.py migrate`) before rollout.
        await upgrade(settings.database_url)
    app[ENGINE] = engine
    app[UOW] = UnitOfWorkFactory(create_session_factory(engine), AuditKeys(settings.audit_secrets))
    if settings.is_demo:
        # Production seals an audit chain from before keying on purpose, once (`app.py audit seal`); the demo's
        # throwaway database is sealed at startup, so a .demo/ from before keeps working.
        status, line = await seal_and_report(app[UOW])
        logger.log(logging.WARNING if status else logging.INFO, "demo database: %s", line)
    yield
    await engine.dispose()


def _ssl_context(settings: Settings) -> ssl.SSLContext | bool:
    if settings.ca_bundle is None:
        return True
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=str(settings.ca_bundle))
    return context


async def _microsoft365(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    ca_bundle = str(settings.ca_bundle) if settings.ca_bundle else None
    credentials = MsalCredentials(
        f"{settings.authority_host.rstrip('/')}/{settings.tenant_id}",
        settings.client_id,
        settings.client_secret.get_secret_value(),
        ca_bundle=ca_bundle,
        # Authority validation only knows Microsoft's clouds; the emulator is not one.
        validate_authority=settings.validate_authority and not settings.is_demo,
    )
    graph = build_graph(
        credentials,
        settings.graph_base_url,
        scope=settings.graph_scope,
        ca_bundle=ca_bundle,
        max_retries=settings.graph_max_retries,
    )
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_ssl_context(settings)), trust_env=False)
    exchange = ExchangeClient(
        settings.exchange_base_url, settings.tenant_id, credentials, session=session, scope=settings.exchange_scope
    )
    directory = GraphDirectory(graph)
    app[TENANT] = Tenant(
        directory=directory,
        licenses=GraphLicenses(graph),
        distribution_lists=ExchangeDistributionLists(exchange),
        mailboxes=ExchangeMailboxes(exchange),
        recipients=ExchangeRecipients(exchange),
        directory_sync=directory,
        usage=GraphExchangeUsage(graph, exchange),
        mail=GraphMail(graph),
    )
    warming = asyncio.create_task(_warm_up(app))
    yield
    warming.cancel()
    await session.close()
    await graph.aclose()
    credentials.close()


async def _warm_up(app: web.Application) -> None:
    seconds = await warm_up()
    app[READINESS].graph_warm = True
    logger.info("Graph models warmed up in %.2f s", seconds)


async def _desk(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    allow_list = service_url_allowlist(settings)
    bot_credentials = None if settings.is_demo else _bot_credentials(settings)
    connections = _connections(settings, bot_credentials)
    adapter = CloudAdapter(connection_manager=connections)
    install_turn_errors(adapter)  # never the SDK's "Exception caught : …" to a person
    messenger = TeamsMessenger(
        adapter,
        app_id=settings.client_id,
        tenant_id=settings.tenant_id,
        default_service_url=settings.default_service_url,
        uow=app[UOW],
        allow_list=allow_list,
    )
    registry = build_registry(families(settings))
    try:
        routing = load_routing_policy(settings.routing_policy, registry, sla_targets(settings, registry.sla_days()))
    except RoutingPolicyError as error:
        logger.error("the routing policy stops the desk:\n%s", error)
        raise
    services = Services(
        uow=app[UOW],
        tenant=app[TENANT],
        messenger=messenger,
        policy=ApprovalPolicy(
            admins_group_id=settings.admins_group_id,
            fulfillers_group_id=settings.fulfillers_group_id,
            managers_may_request_for_reports=settings.managers_may_request_for_reports,
        ),
        plans=PlanCatalogue.load(),
        kinds=registry,
        prices=price_table(settings),
        clock=app[CLOCK],
        calendar=business_calendar(settings),
        sla=routing.sla_targets(),  # the SLA clock reads each kind's target through the routing policy
        routing=routing,
        reports=report_policy(settings),
        mail=MailPolicy(sender=settings.mail_sender, default_on=settings.mail_default,
                        per_minute=settings.mail_per_minute, bot_app_id=settings.client_id),
    )
    runner = JobRunner(
        services,
        {DELIVER_JOB: deliver_approval_cards, EXECUTE_JOB: execute_request, CARD_UPDATE_JOB: update_request_cards,
         EDIT_NOTICE_JOB: tell_requester_of_edit},
        poll_seconds=settings.job_poll_seconds,
        lease_seconds=settings.job_lease_seconds,
    )
    services.wake_jobs = runner.wake
    app[SERVICES] = services
    app[RUNNER] = runner
    agent = build_agent(
        services, references=ReferenceBook(app[UOW]), connections=connections, bot_app_id=settings.client_id
    )
    # Signing keys are fetched with the desk's own trust settings (ca_bundle), never the environment's proxies.
    key_session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_ssl_context(settings)), trust_env=False)
    validator = None if settings.is_demo else _token_validator(settings, SigningKeys(key_session))
    guard = InboundGuard(allow_list, validator)
    add_messages_route(app, agent=agent, adapter=adapter, guard=guard, tenant_id=settings.tenant_id)
    # A routing policy unlike the last one audited is audited once, across replicas: before the desk serves when the
    # database answers now (so the change precedes every request routed by it), else retried in the background.
    policy_audit = await audit_policy_at_start(services)
    yield
    if policy_audit is not None:
        policy_audit.cancel()
    await key_session.close()
    if bot_credentials is not None:
        bot_credentials.close()


def _token_validator(settings: Settings, keys: SigningKeys) -> TokenValidator:
    """Production's inbound tokens: Bot Framework's channel tokens, and Entra's issued for the bot in its tenant."""
    authority, tenant = settings.authority_host.rstrip("/"), settings.tenant_id
    entra_issuers = settings.entra_token_issuers or [f"https://sts.windows.net/{tenant}/", f"{authority}/{tenant}/v2.0"]
    entra_metadata = settings.entra_openid_metadata_url or f"{authority}/{tenant}/v2.0/.well-known/openid-configuration"
    return TokenValidator(
        app_id=settings.client_id,
        tenant_id=tenant,
        issuers=[
            TrustedIssuer(
                settings.botframework_openid_metadata_url,
                frozenset(settings.botframework_token_issuers),
                requires_service_url_claim=True,
            ),
            TrustedIssuer(entra_metadata, frozenset(entra_issuers), requires_service_url_claim=False),
        ],
        keys=keys,
    )


def _bot_credentials(settings: Settings) -> MsalCredentials:
    """The bot's client credentials for its Bot Connector token, from its own tenant (a single-tenant bot)."""
    return MsalCredentials(
        f"{settings.authority_host.rstrip('/')}/{settings.tenant_id}",
        settings.client_id,
        settings.client_secret.get_secret_value(),
        ca_bundle=str(settings.ca_bundle) if settings.ca_bundle else None,
        validate_authority=settings.validate_authority,
    )


def _connections(settings: Settings, credentials: MsalCredentials | None) -> SingleConnection:
    if credentials is None:
        return DemoConnections()
    configuration = AgentAuthConfiguration(
        client_id=settings.client_id, tenant_id=settings.tenant_id, connection_name="SERVICE_CONNECTION"
    )
    return SingleConnection(ConnectorTokenProvider(credentials, configuration), configuration)


def main(argv: list[str] | None = None, *, settings_factory: Callable[[], Settings] = Settings) -> int:
    """`python app.py {serve,demo,migrate,sync,audit,devtenant}` on the app this module builds."""
    return cli.main(argv, settings_factory=settings_factory, create_app=create_app)


if __name__ == "__main__":
    sys.exit(main())

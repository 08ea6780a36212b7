"""Composition root and CLI: builds every object from Settings and runs `serve`, `demo`, `migrate`, `devtenant`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import ssl
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core.authorization import AgentAuthConfiguration
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.agent import build_agent
from bot.auth import TEAMS_SERVICE_URLS, InboundGuard, ServiceUrlAllowList, SigningKeys, TokenValidator, TrustedIssuer
from bot.connections import ConnectorTokenProvider, DemoConnections, SingleConnection
from bot.http import add_messages_route
from bot.messenger import TeamsMessenger
from bot.references import ReferenceBook
from bot.turn_errors import install as install_turn_errors
from desk_logging import configure as configure_logging
from desk_logging import request_scope
from handlers.alerts import run_alerts
from handlers.audit_check import audit_check_loop, seal_and_report, verify_and_report
from handlers.business_time import BusinessCalendar, SlaTargets
from handlers.delivery import deliver_approval_cards, sync_request_cards
from handlers.directory_sync import run_sync, sync_forever
from handlers.execution import execute_request
from handlers.grant_expiry import expiry_loop
from handlers.jobs import JobRunner
from handlers.plans import PlanCatalogue, PriceTable
from handlers.report_policy import ReportPolicy
from handlers.reports import download as report_download
from handlers.services import ApprovalPolicy, Services, utc_now
from handlers.stopping import StopSignal
from handlers.submission import DELIVER_JOB, EXECUTE_JOB
from kinds import desk, groups
from kinds.family import Family
from kinds.registry import build_registry
from m365.credentials import MsalCredentials
from m365.distribution_lists import ExchangeDistributionLists
from m365.exchange import ExchangeClient
from m365.graph import build_graph, warm_up
from m365.graph_directory import GraphDirectory
from m365.graph_licenses import GraphLicenses
from m365.mailboxes import ExchangeMailboxes
from m365.ports import Tenant
from m365.recipients import ExchangeRecipients
from settings import Settings
from storage.audit_chain import AuditKeys
from storage.db import create_engine, create_session_factory
from storage.migrate import is_up_to_date, upgrade
from storage.uow import UnitOfWorkFactory

logger = logging.getLogger("desk")


@dataclass(slots=True)
class Readiness:
    """What /readyz reports; filled in by the lifecycle contexts as they start."""

    graph_warm: bool = False
    started_at: float = field(default_factory=time.monotonic)
    ready_after: float | None = None


SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
UOW = web.AppKey("uow", UnitOfWorkFactory)
TENANT = web.AppKey("tenant", Tenant)
SERVICES = web.AppKey("services", Services)
RUNNER = web.AppKey("job_runner", JobRunner)
READINESS = web.AppKey("readiness", Readiness)
CLOCK = web.AppKey[Callable[[], datetime]]("clock")

# How long shutdown waits for a cancelled background task (job runner, sync, alerts, expiries) to end.
BACKGROUND_STOP_SECONDS = 10.0


def families() -> list[Family]:
    """Every family of request kinds the desk has: adding a kind means adding its module and one line here."""
    return [
        desk.family(),
        groups.family(),
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
        app.cleanup_ctx.append(_job_runner_task)
        app.cleanup_ctx.append(_alerts_task)
        app.cleanup_ctx.append(_directory_sync_task)
        app.cleanup_ctx.append(_grant_expiry_task)
        app.cleanup_ctx.append(_audit_check_task)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/reports/{token}.csv", _report_file)
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
    allow_list = _service_url_allowlist(settings)
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
        kinds=build_registry(families()),
        prices=_price_table(settings),
        clock=app[CLOCK],
        calendar=_business_calendar(settings),
        sla=_sla_targets(settings),
        reports=_report_policy(settings),
    )
    runner = JobRunner(
        services,
        {DELIVER_JOB: deliver_approval_cards, EXECUTE_JOB: execute_request, "sync": sync_request_cards},
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
    yield
    await key_session.close()
    if bot_credentials is not None:
        bot_credentials.close()


def _price_table(settings: Settings) -> PriceTable:
    """The admins' price file, read once at startup; a broken file stops the desk rather than show wrong costs."""
    path = settings.prices_file
    if path is None:
        return PriceTable()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        # Prices are optional: the catalogue still shows seats, and admins can set prices in chat.
        logger.warning("price file %s not found; plans have no price until an admin sets one", path)
        return PriceTable()
    return PriceTable.parse(raw, source=str(path))


def _business_calendar(settings: Settings) -> BusinessCalendar:
    """The SLA calendar from settings and the optional calendar file; bad values stop the desk with the reason."""
    config: dict[str, object] = {
        "timezone": settings.sla_timezone,
        "holiday_country": settings.sla_holiday_country or None,
    }
    path = settings.sla_calendar_file
    if path is not None:
        # Asked for explicitly, so a missing or broken file is an error rather than a silent default calendar.
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"SLA calendar file {path}: {error}") from error
        if not isinstance(loaded, dict):
            raise ValueError(f"SLA calendar file {path}: expected a JSON object")
        config |= loaded
    try:
        return BusinessCalendar.from_config(config)
    except ValueError as error:
        raise ValueError(f"SLA calendar{f' ({path})' if path else ''}: {error}") from error


def _sla_targets(settings: Settings) -> SlaTargets:
    try:
        return SlaTargets.from_config(settings.sla_targets)
    except ValueError as error:
        raise ValueError(f"SLA targets: {error}") from error


def _service_url_allowlist(settings: Settings) -> ServiceUrlAllowList:
    """Where activities may come from and the desk's Bot Connector token may go; a bad entry stops the desk."""
    if settings.service_url_allowlist is not None:
        prefixes = settings.service_url_allowlist
    elif settings.is_demo:
        prefixes = [settings.default_service_url]
    else:
        prefixes = list(TEAMS_SERVICE_URLS)
    try:
        return ServiceUrlAllowList(prefixes, any_loopback=settings.is_demo)
    except ValueError as error:
        raise ValueError(f"service_url_allowlist: {error}") from error


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


Loop = Callable[[StopSignal], Coroutine[Any, Any, None]]


@contextlib.asynccontextmanager
async def _background(
    name: str, loop: Loop | None, *, stop_seconds: float = BACKGROUND_STOP_SECONDS
) -> AsyncIterator[None]:
    """Runs ``loop`` as a named task for the app's lifetime and stops it on shutdown; None = switched off.

    Shutdown first asks the loop to stop, so it ends its unit of work (a job, a sync chunk) and returns; only a
    loop still running after ``stop_seconds`` is cancelled.
    """
    stop = StopSignal()
    task = asyncio.create_task(loop(stop), name=name) if loop is not None else None
    try:
        yield
    finally:
        if task is not None:
            stop.request()
            await asyncio.wait([task], timeout=stop_seconds)
            if not task.done():
                logger.warning("background task %s did not stop within %.0f s; cancelling it", name, stop_seconds)
                task.cancel()
                # A task that swallows its cancellation must not hold the shutdown (and a rolling restart) forever.
                await asyncio.wait([task], timeout=stop_seconds)
            if not task.done():
                logger.error("background task %s ignored its cancellation; leaving it behind", name)
            elif not task.cancelled() and task.exception() is not None:
                logger.error("background task %s had failed", name, exc_info=task.exception())


async def _job_runner_task(app: web.Application) -> AsyncIterator[None]:
    async with _background("job-runner", app[RUNNER].run):
        yield


async def _alerts_task(app: web.Application) -> AsyncIterator[None]:
    """The license alerts check (F11); every replica may run one, the database lets each alert out once a day."""
    settings, services = app[SETTINGS], app[SERVICES]
    every, first = settings.alert_check_seconds, settings.alert_first_check_seconds

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return run_alerts(services, every_seconds=every, first_after_seconds=first, stop=stop)

    async with _background("license-alerts", loop if every > 0 else None):
        yield


async def _grant_expiry_task(app: web.Application) -> AsyncIterator[None]:
    """Time-bound mailbox grants (F6): holders told a day before, access removed at expiry by a request of its own."""
    settings, services = app[SETTINGS], app[SERVICES]
    notice = timedelta(hours=settings.grant_expiry_notice_hours)

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return expiry_loop(services, settings.grant_expiry_check_seconds, notice=notice, stop=stop)

    async with _background("grant-expiry", loop if settings.grant_expiry_check_seconds > 0 else None):
        yield


async def _audit_check_task(app: web.Application) -> AsyncIterator[None]:
    """The audit chain verified in the background: its head logged each time, the admins told once when it breaks."""
    settings, services = app[SETTINGS], app[SERVICES]

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return audit_check_loop(
            services, every_seconds=settings.audit_verify_seconds,
            first_after_seconds=settings.audit_verify_first_seconds, stop=stop,
        )

    async with _background("audit-check", loop if settings.audit_verify_seconds > 0 else None):
        yield


async def _directory_sync_task(app: web.Application) -> AsyncIterator[None]:
    """The periodic directory sync (F7); every replica runs the loop, the database lease lets one work per period."""
    settings, services, replica = app[SETTINGS], app[SERVICES], app[RUNNER].owner

    def loop(stop: StopSignal) -> Coroutine[Any, Any, None]:
        return sync_forever(
            services, settings.sync_interval_seconds, replica=replica,
            first_after_seconds=settings.sync_first_after_seconds, stop=stop,
        )

    async with _background("directory-sync", loop if settings.sync_interval_seconds > 0 else None):
        yield


async def _sync_once(settings: Settings, *, full: bool) -> int:
    """`app.py sync`: the desk's dependencies built as `serve` builds them (no HTTP, no job runner), one run."""
    runner = web.AppRunner(create_app(settings, run_jobs=False))
    await runner.setup()
    try:
        report = await run_sync(runner.app[SERVICES], full=full, replica="cli")
    finally:
        await runner.cleanup()
    print(report.summary())
    if report.skipped:
        return 2  # another replica holds the lease (or just ran): nothing was synced by this call
    return 0 if report.ok else 1


async def _audit(settings: Settings, command: str, *, expect: tuple[int, str] | None) -> int:
    """`app.py audit verify|seal`: the database and the audit keys only (no Microsoft 365, no HTTP)."""
    engine = create_engine(settings.database_url)
    try:
        uow = UnitOfWorkFactory(create_session_factory(engine), AuditKeys(settings.audit_secrets))
        status, line = await (seal_and_report(uow) if command == "seal" else verify_and_report(uow, expect=expect))
    except (OSError, SQLAlchemyError) as error:
        print(f"cannot read the audit chain: {type(error).__name__}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(line)
    return status


def _head(value: str) -> tuple[int, str]:
    """`--expect-head ID:HASH`, as the log's audit_head_id and audit_head_hash give it."""
    event_id, _, digest = value.partition(":")
    if not event_id.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("expected EVENT_ID:HASH (the hash has 64 hex digits)")
    return int(event_id), digest.lower()


def _configure_logging(settings: Settings) -> None:
    """JSON lines in production, text in the demo (or as log_format says); the desk's own secrets redacted."""
    json_lines = settings.log_format == "json" if settings.log_format else not settings.is_demo
    secrets = [settings.client_secret.get_secret_value(), *settings.audit_secrets]
    configure_logging(json_lines=json_lines, level=settings.log_level, secrets=secrets)


def _report_policy(settings: Settings) -> ReportPolicy:
    try:
        return ReportPolicy.from_config(
            overlaps=settings.license_overlaps,
            compliance_rules=settings.compliance_rules,
            stale_days=settings.report_stale_days,
            link_minutes=settings.report_link_minutes,
            alert_free_seats=settings.alert_free_seats,
            alert_subscription_days=settings.alert_subscription_days,
            public_url=settings.public_url or f"http://{settings.host}:{settings.port}",
        )
    except ValueError as error:
        raise ValueError(f"license reports: {error}") from error


async def _report_file(request: web.Request) -> web.Response:
    """A report behind a short-lived link: whoever holds the (unguessable) token gets it, until it expires."""
    found = await report_download(request.app[SERVICES], request.match_info["token"])
    if found is None:
        raise web.HTTPNotFound(text="This report link has expired or does not exist. Ask the desk for a new one.")
    name, content_type, content = found
    return web.Response(
        text=content,
        content_type=content_type,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def _readyz(request: web.Request) -> web.Response:
    app = request.app
    readiness = app[READINESS]
    try:
        migrated = await is_up_to_date(app[ENGINE])
        database = "ok" if migrated else "migrations pending"
    except Exception as error:  # noqa: BLE001 - any database failure means "not ready", with its reason
        migrated, database = False, f"unreachable: {type(error).__name__}"
    audit = "ok"
    if migrated:
        # Not ready while the chain is unsealed: every state change would fail, so a rolling update stops here.
        async with app[UOW]() as uow:
            if not await uow.audit.tail_is_signed():
                audit = "unsealed: run `python app.py audit seal`"
    ready = migrated and readiness.graph_warm and audit == "ok"
    if ready and readiness.ready_after is None:
        readiness.ready_after = time.monotonic() - readiness.started_at
    body = {"ready": ready, "database": database, "audit": audit, "graph_warm": readiness.graph_warm}
    return web.json_response(body, status=200 if ready else 503)


# ---------------------------------------------------------------- CLI


def main(argv: list[str] | None = None, *, settings_factory: Callable[[], Settings] = Settings) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="M365 Desk: Microsoft 365 self-service in Teams")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the desk (settings from the environment / .env)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    sync = commands.add_parser(
        "sync", help="run one directory sync (lists, mailboxes, users); exit 0 ok, 1 failed, 2 another replica runs"
    )
    sync.add_argument("--full", action="store_true", help="re-read everything, not only what changed")
    commands.add_parser("demo", help="the emulated tenant, the desk and two Playground windows, in one command")
    emulator = commands.add_parser("devtenant", help="run the Microsoft 365 emulator alone")
    emulator.add_argument("--https-port", type=int, default=8443)
    emulator.add_argument("--http-port", type=int, default=8480)
    audit = commands.add_parser("audit", help="the audit chain: verify it, or seal it once after upgrading")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", help="recompute the whole chain; exit 0 intact, 1 broken (with the first broken event), 2 no database"
    )
    verify.add_argument(
        "--expect-head", type=_head, metavar="ID:HASH", help="a head from the log; fail unless still there unchanged"
    )
    audit_commands.add_parser(
        "seal", help="once, after upgrading a database written before the desk had an audit key: vouch for its events"
    )
    args = parser.parse_args(argv)

    if args.command == "devtenant":
        configure_logging(json_lines=False)
        from devtenant.cli import main as devtenant_main

        return devtenant_main(["--https-port", str(args.https_port), "--http-port", str(args.http_port)])
    if args.command == "demo":
        from demo.run import run_demo

        _configure_logging(settings_factory())
        return asyncio.run(run_demo(settings_factory))
    try:
        settings = settings_factory()
    except ValidationError as error:
        # Only what is wrong: pydantic's own message repeats every input value, the client secret among them.
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
        print(f"cannot start: {problems}", file=sys.stderr)
        return 2
    _configure_logging(settings)
    if args.command == "audit":
        return asyncio.run(_audit(settings, args.audit_command, expect=getattr(args, "expect_head", None)))
    if args.command == "migrate":
        asyncio.run(upgrade(settings.database_url))
        print("database is up to date")
        return 0
    if args.command == "sync":
        return asyncio.run(_sync_once(settings, full=args.full))
    web.run_app(create_app(settings), host=settings.host, port=settings.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())

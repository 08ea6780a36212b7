"""The command line behind `python app.py {serve,demo,migrate,sync,audit,devtenant}`: arguments, log setup, and each
command run against the app the composition root builds."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Protocol

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from desk_logging import configure as configure_logging
from handlers.audit_check import seal_and_report, verify_and_report
from handlers.directory_sync import run_sync
from runtime.app_keys import SERVICES
from settings import Settings
from storage.audit_chain import AuditKeys
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory


class AppFactory(Protocol):
    """app.py's create_app, passed in: the composition root stays the one module that knows how the desk is built,
    and nothing here imports it back."""

    def __call__(self, settings: Settings, *, run_jobs: bool = True) -> web.Application: ...


def main(argv: list[str] | None, *, settings_factory: Callable[[], Settings], create_app: AppFactory) -> int:
    args = _parser().parse_args(argv)

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
        return asyncio.run(_sync_once(settings, create_app, full=args.full))
    web.run_app(create_app(settings), host=settings.host, port=settings.port)
    return 0


def _parser() -> argparse.ArgumentParser:
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
    return parser


async def _sync_once(settings: Settings, create_app: AppFactory, *, full: bool) -> int:
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

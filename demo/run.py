"""`make demo`: the emulated tenant, the desk in demo mode and two Playground windows, started from one command."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from devtenant import DevTenant, run_devtenant
from settings import DEMO_AUDIT_KEY, Settings

logger = logging.getLogger("demo")


def settings_for_devtenant(tenant: DevTenant, base: Settings | None = None, **overrides: object) -> Settings:
    """The desk's settings pointed at a running devtenant: its endpoints, CA, credentials and admins group."""
    values = (base.model_dump() if base else {}) | {
        "mode": "demo",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "tenant_id": tenant.tenant_id,
        "authority_host": tenant.authority_host,
        "graph_base_url": tenant.graph_base_url,
        "exchange_base_url": tenant.exchange_base_url,
        "ca_bundle": tenant.ca_pem_path,
        "default_service_url": tenant.connector_url,
        "admins_group_id": tenant.seed.admins_group.id,
        # The demo's public key, also when a test runs this desk in production mode (which insists on a key).
        "audit_key": (base.audit_key.get_secret_value() if base else "") or DEMO_AUDIT_KEY,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


async def run_demo(settings_factory: Callable[[], Settings] = Settings) -> int:
    from app import create_app  # the composition root; imported here so `demo` stays a leaf package

    base = settings_factory()
    base.demo_dir.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    async with run_devtenant(
        host="127.0.0.1",
        https_port=base.devtenant_https_port,
        http_port=base.devtenant_http_port,
        state_dir=base.demo_dir / "devtenant",
    ) as tenant:
        database_url = (
            base.database_url
            if "database_url" in base.model_fields_set
            else f"sqlite+aiosqlite:///{base.demo_dir / 'desk.db'}"
        )
        # The demo reads the directory at once and every minute, so changes made in the emulator show up quickly;
        # it e-mails from the Helpdesk shared mailbox (devtenant's outbox: /_devtenant/mail/outbox).
        settings = settings_for_devtenant(
            tenant, base, database_url=database_url, sync_first_after_seconds=0, sync_interval_seconds=60,
            mail_sender=base.mail_sender or tenant.seed.helpdesk_mailbox.primary_smtp_address,
        )
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.port).start()
        bot_endpoint = f"http://{settings.host}:{settings.port}/api/messages"
        playgrounds = await _start_playgrounds(tenant, settings, bot_endpoint)
        if playgrounds:
            await wait_until_reachable(app, [tenant.seed.demo_employee.id, tenant.seed.demo_admin.id])
        _print_banner(tenant, settings, bot_endpoint, playgrounds)
        try:
            await stop.wait()
        finally:
            for playground in playgrounds:
                await playground.stop()
            await runner.cleanup()
    return 0


async def _start_playgrounds(tenant: DevTenant, settings: Settings, bot_endpoint: str) -> list:
    from demo.playground import announce_installation, ensure_installed, start_demo_playgrounds

    binary = await ensure_installed(Path(__file__).parent)
    if binary is None:
        return []
    playgrounds = await start_demo_playgrounds(
        seed=tenant.seed,
        bot_endpoint=bot_endpoint,
        bot_app_id=settings.client_id,
        tenant_id=tenant.tenant_id,
        base_dir=settings.demo_dir / "playground",
        employee_port=settings.playground_employee_port,
        admin_port=settings.playground_admin_port,
        binary=binary,
    )
    # Each window "installs" the app, as Teams does on first use: the desk learns how to reach both people
    # (their chats live on their own window's connector), so the admin's approval card has somewhere to go.
    for playground in playgrounds:
        await announce_installation(playground)
    return playgrounds


async def wait_until_reachable(app: web.Application, user_ids: list[str], *, seconds: float = 10.0) -> bool:
    """Until the desk holds a conversation reference for each person (the windows' install events arrived).

    The Playground answers the install call before it delivers the events; a request filed in between would
    otherwise send its approval card to a chat the desk opens itself, not to the person's window.
    """
    from app import UOW

    for _ in range(int(seconds / 0.05)):
        async with app[UOW]() as uow:
            if all([await uow.conversations.get(user_id) for user_id in user_ids]):
                return True
        await asyncio.sleep(0.05)
    logger.warning("the Playground windows did not introduce everyone within %s s", seconds)
    return False


def demo_list(seed: Any) -> Any:
    """A list the demo admin owns and the demo employee is not on: its join request lands in the admin's window."""
    return next(
        dl
        for dl in seed.distribution_lists
        if seed.demo_admin.id in dl.managed_by and seed.demo_employee.id not in dl.member_ids and not dl.is_dir_synced
    )


def _print_banner(tenant: DevTenant, settings: Settings, bot_endpoint: str, playgrounds: list) -> None:
    seed = tenant.seed
    lines = [
        "",
        "M365 Desk demo is running (Ctrl-C stops everything).",
        f"  desk:       {bot_endpoint}   (health: http://{settings.host}:{settings.port}/readyz)",
        f"  devtenant:  Graph {tenant.graph_base_url}, Bot Connector {tenant.connector_url}",
    ]
    if len(playgrounds) == 2:
        lines += [
            f"  employee:   {playgrounds[0].url}   — you are {seed.demo_employee.display_name}",
            f"  admin:      {playgrounds[1].url}   — you are {seed.demo_admin.display_name} (DSM_Admins)",
            "",
            "Open both. In the employee's window type: request license E3   or   join "
            + demo_list(seed).display_name,
            f"  or   grant send as on {seed.empty_mailbox.display_name} to me",
            "The approval card appears in the admin's window (an admin for licenses and mailboxes without owners,",
            "the list's owner for the list); approve it there and watch the employee's window.",
            f"Also try: find sales   my mailboxes   show {seed.sales_mailbox.display_name}   help",
        ]
    else:
        lines += [
            "",
            "npm is not available, so the Playground windows did not start. Drive the desk over HTTP instead:",
            f"  POST Teams activities to {bot_endpoint}; the bot's replies land in devtenant's inbox:",
            f"  curl {tenant.connector_url}_devtenant/inbox/{seed.demo_employee.id}",
        ]
    print("\n".join(lines), flush=True)

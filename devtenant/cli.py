"""`python -m devtenant`: run the emulator until interrupted and print where to reach it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from devtenant.server import run_devtenant


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtenant",
                                     description="Local emulator of Entra ID, Microsoft Graph, Exchange Online "
                                                 "InvokeCommand and the Teams Bot Connector.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--https-port", type=int, default=8443, help="Entra/Graph/Exchange port (default 8443)")
    parser.add_argument("--http-port", type=int, default=8480, help="Bot Connector port (default 8480)")
    parser.add_argument("--state-dir", default=None,
                        help="where ca.pem and devtenant.json are written for other processes "
                             "(default: a temporary directory, printed at start)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace, stop: asyncio.Event) -> None:
    async with run_devtenant(host=args.host, https_port=args.https_port, http_port=args.http_port,
                             state_dir=args.state_dir) as tenant:
        print(f"devtenant running (tenant {tenant.tenant_id})", flush=True)
        print(f"  authority      {tenant.authority}")
        print(f"  graph          {tenant.graph_base_url}")
        print(f"  exchange       {tenant.invoke_command_url}")
        print(f"  bot connector  {tenant.connector_url}")
        print(f"  CA certificate {tenant.ca_pem_path}")
        print(f"  settings       {tenant.state_dir}/devtenant.json")
        print(f"  client id      {tenant.client_id}")
        print(f"  demo employee  {tenant.seed.demo_employee.user_principal_name}")
        print(f"  demo admin     {tenant.seed.demo_admin.user_principal_name}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # not available on Windows event loops
                loop.add_signal_handler(sig, stop.set)
        await serve(args, stop)

    try:
        asyncio.run(runner())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"devtenant: {exc}", file=sys.stderr)
        return 1
    return 0

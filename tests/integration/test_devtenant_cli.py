"""`python -m devtenant`: argument parsing and the serve loop that writes devtenant.json for other processes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from devtenant.cli import parse_args, serve

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _settings(path: Path) -> dict[str, str] | None:
    return json.loads(path.read_text()) if path.exists() else None


async def test_serve_writes_settings_and_stops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["--https-port", "0", "--http-port", "0", "--state-dir", str(tmp_path)])
    stop = asyncio.Event()
    task = asyncio.create_task(serve(args, stop))
    for _ in range(200):
        settings = _settings(tmp_path / "devtenant.json")
        if settings:
            break
        await asyncio.sleep(0.01)
    assert settings is not None and settings["tenant_id"] == "8f3e6c1a-5b7d-4c2e-9a10-3d4f5e6a7b8c"
    stop.set()
    await asyncio.wait_for(task, 5)
    assert settings["graph_base_url"] in capsys.readouterr().out


async def test_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.https_port, args.http_port) == ("127.0.0.1", 8443, 8480)

"""The Microsoft 365 Agents Playground windows of the demo: their config files, npm install, start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import Any

import aiohttp

logger = logging.getLogger("demo.playground")

PLAYGROUND_PACKAGE = "@microsoft/m365agentsplayground"
# The config schema version 0.2.28 accepts ("0.1.0" or "0.1.1"); the key is required.
CONFIG_VERSION = "0.1.1"
# The Playground's config schema demands exactly five entries in `users`, none of them the current user.
PLAYGROUND_USER_COUNT = 5
BOT_NAME_MAX = 42
DEFAULT_TENANT_ID = "8f3e6c1a-5b7d-4c2e-9a10-3d4f5e6a7b8c"
# Ids of chats, teams and channels that are not people: uuid5 under this namespace keeps them stable.
_ID_NAMESPACE = uuid.UUID("0b9f3c52-6a8e-4d1f-9c27-5e4a3b2d1c0f")
_LISTENING = re.compile(r"Listening on (\d+)")
_LOG_TAIL_LINES = 25


class PlaygroundError(RuntimeError):
    """The Playground could not be installed, configured or started."""


def demo_tenant_id() -> str:
    """The emulated tenant's id: devtenant's constant when the package has it, else the documented literal."""
    try:
        import devtenant  # optional here: `demo.playground` must import without the emulator
    except ImportError:
        return DEFAULT_TENANT_ID
    return str(getattr(devtenant, "TENANT_ID", None) or DEFAULT_TENANT_ID)


def teams_user_id(aad_object_id: str) -> str:
    """A user's Teams channel account id, as Teams forms it from the Entra object id."""
    return f"29:{aad_object_id}"


def teams_bot_id(bot_app_id: str) -> str:
    return f"28:{bot_app_id}"


def personal_chat_id(aad_object_id: str) -> str:
    """The personal chat's conversation id; one per person so two windows never share a conversation."""
    return f"a:playground-{aad_object_id}"


def _field(obj: Any, name: str) -> Any:
    # Seed users are dataclasses; plain mappings are accepted too so callers and tests can pass dicts.
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _user_entry(user: Any) -> dict[str, str]:
    object_id = str(_field(user, "id"))
    upn = str(_field(user, "user_principal_name"))
    display_name = str(_field(user, "display_name") or upn)
    return {
        "id": teams_user_id(object_id),
        "name": display_name,
        "userPrincipleName": upn,  # (sic) the Playground's spelling
        "aadObjectId": object_id,
        "givenName": str(_field(user, "given_name") or display_name),
        "surname": str(_field(user, "surname") or ""),
        # A user without a mailbox still needs an address here; the UPN is what Teams would show.
        "email": str(_field(user, "mail") or upn),
    }


def _stable_id(kind: str, key: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}:{key}"))


def playground_config(
    *,
    seed: Any,
    current_user: Any,
    others: Sequence[Any],
    bot_app_id: str,
    bot_name: str = "M365 Desk",
    tenant_id: str,
) -> dict[str, Any]:
    """The `.m365agentsplayground.yml` content for one window, acting as `current_user`.

    `others` are the five other people the Playground knows (group chat and team members); the Playground
    rejects a config whose `users` repeat the current user, so the window holds six people in all. All of
    them are the seed's own users with their Entra object ids, so the desk resolves them in the directory.
    """
    me = _user_entry(current_user)
    oid = me["aadObjectId"]
    admins_group = _field(seed, "admins_group")
    team_group_id = str(_field(admins_group, "id") or _stable_id("team-group", tenant_id))
    team_name = str(_field(admins_group, "display_name") or "IT")
    config: dict[str, Any] = {
        "version": CONFIG_VERSION,
        "tenantId": tenant_id,
        "bot": {"id": teams_bot_id(bot_app_id), "name": bot_name},
        "currentUser": me,
        "users": [_user_entry(user) for user in others],
        "personalChat": {"id": personal_chat_id(oid)},
        # Chat, team and channel ids are per window as well: the bot stores conversation references by id,
        # and two Playground processes are two separate Teams back ends.
        "groupChat": {"id": f"19:{_stable_id('group-chat', oid)}@thread.v2", "name": "M365 Desk demo"},
        "team": {
            "id": f"19:{_stable_id('team', oid)}@thread.tacv2",
            "name": team_name,
            "aadGroupId": team_group_id,
            "channels": [{"id": f"19:{_stable_id('channel', oid)}@thread.tacv2", "name": "Requests"}],
        },
    }
    validate_config(config)
    return config


def validate_config(config: dict[str, Any]) -> None:
    """The checks the Playground makes at start (it would otherwise exit with the reason only in its log)."""
    users = config["users"]
    if len(users) != PLAYGROUND_USER_COUNT:
        raise PlaygroundError(f"the Playground needs exactly {PLAYGROUND_USER_COUNT} users, got {len(users)}")
    user_ids = [config["currentUser"]["id"], *(user["id"] for user in users)]
    if len(set(user_ids)) != len(user_ids):
        raise PlaygroundError(f"Playground user ids must be unique (current user included): {user_ids}")
    conversation_ids = [
        config["personalChat"]["id"],
        config["groupChat"]["id"],
        config["team"]["id"],
        *(channel["id"] for channel in config["team"]["channels"]),
    ]
    if len(set(conversation_ids)) != len(conversation_ids):
        raise PlaygroundError(f"Playground chat, team and channel ids must be unique: {conversation_ids}")
    if len(config["team"]["channels"]) > 1:
        raise PlaygroundError("the Playground allows at most one channel besides General")
    if len(config["bot"]["name"]) > BOT_NAME_MAX:
        raise PlaygroundError(f"the Playground limits the bot name to {BOT_NAME_MAX} characters")


def config_text(config: dict[str, Any]) -> str:
    """The config as YAML: JSON is a subset of YAML 1.2, and the Playground's parser reads it as such."""
    return json.dumps(config, indent=2, ensure_ascii=False) + "\n"


def write_config(config: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(config), encoding="utf-8")
    return path


def demo_people(seed: Any, current_user: Any) -> list[Any]:
    """The five other people in `current_user`'s window: the demo cast first, then the seed's users in order."""
    cast = [_field(seed, "demo_employee"), _field(seed, "demo_admin"), _field(seed, "list_owner")]
    chosen: list[Any] = []
    seen = {_field(current_user, "id")}
    for user in chain(cast, _field(seed, "users") or []):
        user_id = _field(user, "id")
        if user is None or user_id in seen:
            continue
        seen.add(user_id)
        chosen.append(user)
        if len(chosen) == PLAYGROUND_USER_COUNT:
            return chosen
    raise PlaygroundError(
        f"the seed has too few people for a Playground window ({len(chosen)} besides the current user, "
        f"{PLAYGROUND_USER_COUNT} needed)"
    )


# --- install -------------------------------------------------------------------------------------------


def _pinned_version(demo_dir: Path) -> str | None:
    try:
        manifest = json.loads((demo_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("dependencies", {}).get(PLAYGROUND_PACKAGE)


def _installed_version(demo_dir: Path) -> str | None:
    path = demo_dir / "node_modules" / PLAYGROUND_PACKAGE / "package.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


async def ensure_installed(demo_dir: Path, *, install_seconds: float = 300.0) -> Path | None:
    """The Playground's CLI under demo_dir, installed with npm from the committed lock file when missing.

    None (with the reason logged) when npm is missing or the install fails: the demo then runs without it.
    """
    binary = demo_dir / "node_modules" / ".bin" / "agentsplayground"
    pinned = _pinned_version(demo_dir)
    if binary.exists() and (pinned is None or _installed_version(demo_dir) == pinned):
        return binary
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        logger.warning("npm/node not on PATH; the Agents Playground is not available (install Node.js 20+)")
        return None
    verb = "ci" if (demo_dir / "package-lock.json").exists() else "install"
    # --ignore-scripts: the package has no install scripts and needs none; nothing else should run.
    command = [npm, verb, "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    logger.info("installing %s %s with `npm %s` in %s", PLAYGROUND_PACKAGE, pinned or "", verb, demo_dir)
    started = time.monotonic()
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=demo_dir,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
    except OSError as error:
        logger.warning("could not run npm (%s); the Agents Playground is not available", error)
        return None
    try:
        output, _ = await asyncio.wait_for(process.communicate(), install_seconds)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        logger.warning("`npm %s` took longer than %.0f s; the Agents Playground is not available",
                       verb, install_seconds)
        return None
    if process.returncode != 0 or not binary.exists():
        tail = "\n".join(output.decode(errors="replace").strip().splitlines()[-_LOG_TAIL_LINES:])
        logger.warning("`npm %s` failed (exit %s); the Agents Playground is not available:\n%s",
                       verb, process.returncode, tail)
        return None
    logger.info("installed the Agents Playground in %.1f s", time.monotonic() - started)
    return binary


# --- process -------------------------------------------------------------------------------------------


class PlaygroundProcess:
    """One running Playground: its UI and API at `url`, the bot's connector at `service_url`."""

    def __init__(self, *, process: asyncio.subprocess.Process, port: int, config_path: Path, log_path: Path,
                 config: dict[str, Any] | None = None, label: str = "playground") -> None:
        self.process = process
        self.port = port
        self.config_path = config_path
        self.log_path = log_path
        self.config = config
        self.label = label

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """The serviceUrl the bot receives in activities from this window (the Playground says localhost)."""
        return f"http://localhost:{self.port}/_connector"

    @property
    def personal_chat_id(self) -> str | None:
        return self.config["personalChat"]["id"] if self.config else None

    @property
    def current_user(self) -> dict[str, str] | None:
        return self.config["currentUser"] if self.config else None

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Terminate, then kill if the process has not gone after `grace_seconds`."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), grace_seconds)
        except TimeoutError:
            logger.warning("Playground %s (pid %s) ignored SIGTERM; killing it", self.label, self.process.pid)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        logger.info("stopped Playground %s on port %d", self.label, self.port)

    async def __aenter__(self) -> PlaygroundProcess:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def __repr__(self) -> str:
        return f"PlaygroundProcess(label={self.label!r}, url={self.url!r}, pid={self.process.pid})"


# The name the first design used; both refer to the same class.
PlaygroundInstance = PlaygroundProcess


def demo_dir() -> Path:
    """The folder holding package.json, the lock file and node_modules."""
    return Path(__file__).resolve().parent


def _prepare_run(*, binary: Path, config_path: Path, log_path: Path, work_dir: Path) -> tuple[dict[str, str], Path]:
    """Check the inputs, make the folders and return the child's environment and its console file."""
    if not binary.exists():
        raise PlaygroundError(f"Playground CLI not found at {binary}; run `npm ci` in {binary.parents[2]}")
    if not config_path.exists():
        # Without the file the Playground silently falls back to its built-in sample people.
        raise PlaygroundError(f"Playground config {config_path} does not exist")
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The Playground appends to its log; start from an empty one so the port we read is this run's.
    log_path.write_text("", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key not in ("BOT_ENDPOINT", "TEAMSAPPTESTER_PORT")}
    env.update({
        "TEAMSAPPTESTER_BROWSER": "none",
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(config_path.resolve()),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(log_path.resolve()),
    })
    return env, log_path.with_name(log_path.name + ".console")


def _log_tail(log_path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log file)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def _listening_port(log_path: Path) -> int | None:
    try:
        match = _LISTENING.search(log_path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return int(match.group(1)) if match else None


async def _pong(session: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with session.get(f"http://127.0.0.1:{port}/_debug/ping") as response:
            return response.status == 200 and (await response.text()).strip() == "pong"
    except (aiohttp.ClientError, TimeoutError):
        return False


def _read_config(config_path: Path) -> dict[str, Any] | None:
    # Our configs are JSON-flavoured YAML; a hand-written YAML file simply leaves the convenience fields empty.
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) else None


async def start_playground(
    *,
    binary: Path,
    bot_endpoint: str,
    port: int,
    config_path: Path,
    log_path: Path,
    work_dir: Path,
    label: str = "playground",
    ready_seconds: float = 30.0,
) -> PlaygroundProcess:
    """Start one Playground for the bot at `bot_endpoint` and return it once it answers /_debug/ping.

    A taken port makes the Playground move silently to a random one; the port it really listens on is read
    from its own log, so `.port`/`.url` are always right and a stranger on the asked port is never mistaken
    for it. An invalid config makes it exit with the reason only in its log: that tail goes in the error.
    """
    env, console_path = _prepare_run(binary=binary, config_path=config_path, log_path=log_path, work_dir=work_dir)
    command = [str(binary), "-e", bot_endpoint, "-c", "msteams", "-p", str(port), "--disable-telemetry"]
    started = time.monotonic()
    with console_path.open("wb") as console:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=work_dir, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=console, stderr=console,
        )
    instance = PlaygroundProcess(process=process, port=port, config_path=config_path, log_path=log_path,
                                 config=_read_config(config_path), label=label)
    try:
        instance.port = await _wait_ready(instance, asked_port=port, ready_seconds=ready_seconds,
                                          console_path=console_path)
    except BaseException:
        await instance.stop()
        raise
    if instance.port != port:
        logger.warning("port %d was taken; Playground %s moved to port %d", port, label, instance.port)
    logger.info("Playground %s ready at %s in %.2f s (bot %s)", label, instance.url,
                time.monotonic() - started, bot_endpoint)
    return instance


async def _wait_ready(instance: PlaygroundProcess, *, asked_port: int, ready_seconds: float,
                      console_path: Path) -> int:
    deadline = time.monotonic() + ready_seconds
    client_timeout = aiohttp.ClientTimeout(total=1.0)
    async with aiohttp.ClientSession(timeout=client_timeout) as session:
        while True:
            if instance.process.returncode is not None:
                raise PlaygroundError(
                    f"Playground {instance.label} exited with code {instance.process.returncode} before it was "
                    f"ready (config {instance.config_path}). Its log:\n{_log_tail(instance.log_path)}\n"
                    f"Console:\n{_log_tail(console_path)}"
                )
            # Only the port this process's own log names is trusted: anything else answering on the asked
            # port (a stale Playground, say) would otherwise pass for this one.
            real_port = _listening_port(instance.log_path)
            if real_port is not None and await _pong(session, real_port):
                return real_port
            if time.monotonic() >= deadline:
                where = f"port {real_port}" if real_port else f"port {asked_port} (no 'Listening on' in its log)"
                raise PlaygroundError(
                    f"Playground {instance.label} did not answer /_debug/ping on {where} within {ready_seconds:.0f} s. "
                    f"Its log:\n{_log_tail(instance.log_path)}"
                )
            await asyncio.sleep(0.05)


async def announce_installation(instance: PlaygroundProcess, conversation_id: str | None = None) -> None:
    """Make the Playground send the bot `installationUpdate` (add) and `conversationUpdate` (membersAdded).

    That is what opening the window does, so calling it right after start hands the bot each person's
    conversation reference (serviceUrl, personal chat id) before anyone opens a browser.
    """
    target = conversation_id or instance.personal_chat_id
    if target is None:
        raise PlaygroundError(f"Playground {instance.label}: no conversation id to install the bot in")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, session.post(
        f"{instance.url}/_debug/conversation/{target}/installation"
    ) as response:
        if response.status != 200:
            raise PlaygroundError(f"Playground {instance.label}: installation answered {response.status}: "
                                  f"{await response.text()}")


async def start_demo_playgrounds(
    *,
    seed: Any,
    bot_endpoint: str,
    bot_app_id: str,
    tenant_id: str,
    base_dir: Path,
    employee_port: int = 56150,
    admin_port: int = 56151,
    binary: Path | None = None,
) -> list[PlaygroundProcess]:
    """Two windows on one bot: the demo employee's and the demo admin's, in that order.

    Empty when the Playground cannot be installed (the demo then runs the desk and emulator alone).
    """
    if binary is None:
        binary = await ensure_installed(demo_dir())
        if binary is None:
            return []
    roles = (("employee", _field(seed, "demo_employee"), employee_port),
             ("admin", _field(seed, "demo_admin"), admin_port))
    starts = []
    for label, person, port in roles:
        config = playground_config(seed=seed, current_user=person, others=demo_people(seed, person),
                                   bot_app_id=bot_app_id, tenant_id=tenant_id)
        config_path = write_config(config, base_dir / f"{label}.m365agentsplayground.yml")
        starts.append(start_playground(
            binary=binary, bot_endpoint=bot_endpoint, port=port, config_path=config_path,
            log_path=base_dir / f"{label}.log", work_dir=base_dir / label, label=label,
        ))
    results = await asyncio.gather(*starts, return_exceptions=True)
    started = [result for result in results if isinstance(result, PlaygroundProcess)]
    failure = next((result for result in results if isinstance(result, BaseException)), None)
    if failure is not None:
        # Half a demo (one window) would only confuse: stop whatever did start and report the reason.
        for instance in started:
            await instance.stop()
        raise failure
    return started

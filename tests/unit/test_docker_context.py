"""The production image: what .dockerignore lets into the build context (always), and the image itself (with docker).

The context check reads .dockerignore with Docker's own rules (patterns are Go filepath.Match with ``**``, matched
against each path and its parent folders; the last matching pattern decides, ``!`` re-includes) over the files on
disk, which is what `docker build .` sends, .demo/ and .venv included.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FORBIDDEN_TOPS = {"devtenant", "demo", "tests", "bench", "manifest", ".demo", ".venv", ".git", ".ci", "node_modules"}
FIRST_PARTY = ("app", "settings", "desk_logging", "bot", "cards", "handlers", "kinds", "m365", "runtime", "storage",
               "devtenant", "demo", "bench", "manifest", "tests")


def _pattern(raw: str) -> tuple[re.Pattern[str], bool]:
    """One .dockerignore line as (regex, exclusion?), as moby's patternmatcher compiles it."""
    negate = raw.startswith("!")
    text = os.path.normpath(raw[1:] if negate else raw).lstrip("/")
    out, i = "", 0
    while i < len(text):
        if text.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif text.startswith("**", i):
            out, i = out + ".*", i + 2
        elif text[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif text[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(text[i]), i + 1
    return re.compile(f"^{out}$"), negate


def _rules() -> list[tuple[re.Pattern[str], bool]]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [_pattern(line.strip()) for line in lines if line.strip() and not line.strip().startswith("#")]


def _excluded(path: str, rules: list[tuple[re.Pattern[str], bool]]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for regex, negate in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def build_context() -> list[str]:
    """Every file `docker build .` would send, relative to the repository, with / separators."""
    rules = _rules()
    reincluded = [regex.pattern for regex, negate in rules if negate]
    files = []
    for folder, dirs, names in os.walk(ROOT):
        rel_folder = Path(folder).relative_to(ROOT).as_posix()
        rel_folder = "" if rel_folder == "." else rel_folder + "/"
        # Skip walking (not judging) folders that are excluded and that no "!" rule could reach into: .venv is big.
        def reachable(folder: str) -> bool:
            return not _excluded(folder, rules) or any(p.startswith("^" + re.escape(folder)) for p in reincluded)

        dirs[:] = [d for d in dirs if reachable(rel_folder + d)]
        files += [rel_folder + name for name in names if not _excluded(rel_folder + name, rules)]
    return sorted(files)


def test_the_context_has_the_runtime_code_and_no_secrets_or_demo_data() -> None:
    context = build_context()
    for needed in ("app.py", "settings.py", "desk_logging.py", "pyproject.toml", "README.md", "config/prices.json",
                   "storage/migrations/versions/0001_initial.py", "storage/migrations/alembic.ini", "bot/agent.py"):
        assert needed in context, needed
    assert {path.split("/")[0] for path in context} & FORBIDDEN_TOPS == set()
    assert [p for p in context if p.endswith((".pem", ".key", ".env", ".pyc", ".db"))] == []

    from devtenant.server import CLIENT_SECRET

    leaking = [path for path in context if CLIENT_SECRET in (ROOT / path).read_text(errors="ignore")]
    assert leaking == []


def test_the_rules_are_read_as_docker_reads_them() -> None:
    rules = [_pattern("*"), _pattern("!bot"), _pattern("**/__pycache__"), _pattern("**/*.pem")]
    assert _excluded(".demo/devtenant/ca.pem", rules) and _excluded("devtenant/server.py", rules)
    assert not _excluded("bot/agent.py", rules)
    assert _excluded("bot/__pycache__/agent.cpython-311.pyc", rules) and _excluded("bot/x/ca.pem", rules)
    assert _excluded("bot.py", rules)  # "*" is one path segment: a file named like an allowed folder stays out


def test_the_context_runs_without_what_it_leaves_out(tmp_path: Path) -> None:
    """`import app` from a copy of the context alone: nothing at import time needs devtenant, demo or tests."""
    for path in build_context():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, target)
    probe = (
        "import sys, app, storage.migrate;"
        f"bad = [n for n, m in sys.modules.items() if n.split('.')[0] in {FIRST_PARTY!r}"
        " and not (getattr(m, '__file__', None) or '').startswith(sys.argv[1])];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stdout + result.stderr


def _docker_works() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    return None if info.returncode == 0 else "docker info failed (no engine reachable)"


@pytest.mark.skipif(_docker_works() is not None, reason=f"docker build needs an engine: {_docker_works()}")
def test_the_image_builds_runs_as_non_root_and_reports_healthy() -> None:
    tag = f"m365-desk-test:{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=1200)
    name = f"desk-{uuid.uuid4().hex[:8]}"
    try:
        uid = subprocess.run(["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, check=True)
        assert uid.stdout.strip() != "0"
        listing = subprocess.run(["docker", "run", "--rm", tag, "ls", "-A", "/app"], capture_output=True, text=True,
                                 check=True).stdout.split()
        assert set(listing) & FORBIDDEN_TOPS == set(), listing
        env = {"DESK_CLIENT_ID": "app", "DESK_CLIENT_SECRET": "secret-value", "DESK_TENANT_ID": "tenant",
               "DESK_ADMINS_GROUP_ID": "admins", "DESK_AUDIT_KEY": "k" * 40,
               "DESK_DATABASE_URL": "sqlite+aiosqlite:////tmp/desk.db"}
        args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        subprocess.run(["docker", "run", "-d", "--name", name, "--health-interval", "1s", *args, tag], check=True)
        status = ""
        for _ in range(60):
            status = subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", name],
                                    capture_output=True, text=True).stdout.strip()
            if status == "healthy":
                break
            time.sleep(1)
        assert status == "healthy"
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)

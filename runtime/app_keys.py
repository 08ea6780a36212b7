"""Where the composition root (app.py) keeps what it built on the aiohttp app: typed keys, and /readyz's Readiness."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from handlers.jobs import JobRunner
from handlers.services import Services
from m365.ports import Tenant
from settings import Settings
from storage.uow import UnitOfWorkFactory


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

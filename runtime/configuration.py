"""Settings checked and turned into the desk's policies at startup: prices, the SLA calendar and targets, license
reports and the service-URL allow-list, reading the files settings name. A bad value stops the desk with its name."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping

from bot.auth import TEAMS_SERVICE_URLS, ServiceUrlAllowList
from handlers.business_time import BusinessCalendar
from handlers.plans import PriceTable
from handlers.report_policy import ReportPolicy
from handlers.sla_targets import SlaTargets
from settings import Settings

logger = logging.getLogger("desk")


def price_table(settings: Settings) -> PriceTable:
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


def business_calendar(settings: Settings) -> BusinessCalendar:
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


def sla_targets(settings: Settings, kind_defaults: Mapping[str, float]) -> SlaTargets:
    """Each kind's own target (declared with the kind), overridden by the settings' (DESK_SLA_TARGETS)."""
    try:
        return SlaTargets.from_config({**kind_defaults, **settings.sla_targets})
    except ValueError as error:
        raise ValueError(f"SLA targets: {error}") from error


def report_policy(settings: Settings) -> ReportPolicy:
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


def service_url_allowlist(settings: Settings) -> ServiceUrlAllowList:
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

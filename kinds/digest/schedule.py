"""When a channel digest is due: the latest scheduled moment at or before now, in the service-hours time zone, and
the period it belongs to (the key that lets one replica post it once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY, WEEKLY = "daily", "weekly"


@dataclass(frozen=True, slots=True)
class Schedule:
    """Daily at ``at_minute`` (minutes after local midnight), or weekly on ``weekday`` (0 = Monday) at it."""

    cadence: str
    at_minute: int
    weekday: int | None = None


def _local_moment(day: date, at_minute: int, zone: ZoneInfo) -> datetime:
    """The instant the wall clock in ``zone`` reads ``at_minute`` on ``day``. On the night the clocks go forward a
    reading that does not exist (02:30) is taken an hour later, as a wall clock would show it; on the night they go
    back the first of the two readings counts (fold=0), so the digest goes once."""
    naive = datetime.combine(day, time(at_minute // 60, at_minute % 60))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def latest_due(schedule: Schedule, now: datetime, zone: ZoneInfo) -> datetime:
    """The latest scheduled instant at or before ``now`` (aware UTC)."""
    today = now.astimezone(zone).date()
    for back in range(8):  # a weekly schedule's last occurrence is at most 7 days back
        day = today - timedelta(days=back)
        if schedule.cadence == WEEKLY and day.weekday() != schedule.weekday:
            continue
        moment = _local_moment(day, schedule.at_minute, zone)
        if moment <= now:
            return moment
    raise AssertionError(f"no occurrence of {schedule!r} in the last eight days")  # pragma: no cover


def period_of(due: datetime, zone: ZoneInfo) -> str:
    """The local date of a due instant (YYYY-MM-DD): one digest per channel and period is claimed under it."""
    return due.astimezone(zone).date().isoformat()


def previous_due(schedule: Schedule, due: datetime, zone: ZoneInfo) -> datetime:
    """The occurrence before ``due``: the start of the period a digest reports on."""
    return latest_due(schedule, due - timedelta(seconds=1), zone)

"""The business calendar: when the desk is open, and how much service time lies between two instants.

The SLA targets per request kind, which this calendar turns into due times, are in handlers/sla_targets.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
# A calendar closed for this many consecutive days is treated as never opening again, so a misconfiguration
# (every weekday closed, or years of closed dates) raises instead of looping for ever.
_MAX_CLOSED_DAYS = 3 * 366
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
# Wall-clock offsets (timedelta) or instants (datetime): both are merged the same way.
_Point = TypeVar("_Point", datetime, timedelta)


def _parse_clock(text: str) -> timedelta:
    match = _CLOCK.match(text)
    if not match:
        raise ValueError(f"a time of day is written HH:MM, got {text!r}")
    hours, minutes = int(match[1]), int(match[2])
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"not a time of day: {text!r}")
    return timedelta(hours=hours, minutes=minutes)


def _format_clock(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True, order=True)
class ClockRange:
    """A half-open wall-clock range [start, end) within one local day, as offsets from local midnight."""

    start: timedelta
    end: timedelta

    def __post_init__(self) -> None:
        if not timedelta(0) <= self.start < self.end <= _DAY:
            raise ValueError(f"a clock range must satisfy 00:00 <= start < end <= 24:00, got {self}")

    @classmethod
    def of(cls, start: str, end: str) -> ClockRange:
        return cls(_parse_clock(start), _parse_clock(end))

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{_format_clock(self.start)}-{_format_clock(self.end)}"


WeeklyRanges = tuple[tuple[ClockRange, ...], ...]
"""Seven tuples of ranges, Monday first (`date.weekday()` order)."""

_WORKDAY = (ClockRange.of("08:00", "20:00"),)
_EVENING_MAINTENANCE = (ClockRange.of("18:30", "22:30"),)
DEFAULT_SERVICE_HOURS: WeeklyRanges = (_WORKDAY,) * 5 + ((), ())
DEFAULT_MAINTENANCE: WeeklyRanges = (_EVENING_MAINTENANCE,) * 5 + ((ClockRange.of("06:00", "10:00"),), ())


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When service time runs: service hours minus maintenance windows, on days that are not holidays.

    An instant is open when its local wall-clock reading (in `timezone`) falls inside one of that weekday's
    service ranges and outside its maintenance windows, and its local date is neither a public holiday of
    `holiday_country` (from the maintained `holidays` library) nor in `closed_dates`. Defining openness by the
    wall-clock reading makes DST exact: a day whose clock springs forward has an hour less of 24h service, one
    that falls back has the repeated hour twice, and a 24h/7 calendar counts plain elapsed time.

    "One business day" is the open time of a full regular service day: the longest open weekday of the calendar
    (Mon–Fri 08:00–20:00 minus the 18:30–20:00 maintenance overlap = 10.5 h by default), unless `business_day`
    overrides it. Counting service time rather than "same time on the next open day" keeps due times additive and
    makes a request made at 17:00 on Friday due at 17:00 on Monday, as people expect.
    """

    timezone: str = "Europe/Warsaw"
    service_hours: WeeklyRanges = DEFAULT_SERVICE_HOURS
    maintenance: WeeklyRanges = DEFAULT_MAINTENANCE
    holiday_country: str | None = "PL"
    closed_dates: frozenset[date] = frozenset()
    business_day: timedelta | None = None
    # Derived in __post_init__ from the fields above; not part of equality or the repr.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _open: WeeklyRanges = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("service_hours", "maintenance"):
            if len(getattr(self, name)) != 7:
                raise ValueError(f"{name} needs seven entries, Monday first")
        if self.business_day is not None and self.business_day <= timedelta(0):
            raise ValueError("business_day must be positive")
        if self.holiday_country is not None and self.holiday_country not in holidays.list_supported_countries():
            raise ValueError(f"the holidays library has no country {self.holiday_country!r}")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        # Frozen: the derived values are set once here, which is why object.__setattr__ is used.
        object.__setattr__(self, "_zone", zone)
        opened = tuple(_subtract(s, m) for s, m in zip(self.service_hours, self.maintenance, strict=True))
        if not any(opened):
            raise ValueError("the calendar has no open time on any weekday")
        object.__setattr__(self, "_open", opened)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> BusinessCalendar:
        """Build a calendar from settings; any key left out keeps its default.

        Keys: "timezone"; "service_hours" and "maintenance", each a mapping from "mon".."sun" (or a span such as
        "mon-fri") to "HH:MM-HH:MM" ranges (a string, comma-separated ranges, a list, or null/"" for none; a
        weekday not named has none; a range ending before it starts runs past midnight into the next day);
        "holiday_country" (ISO code or null); "closed_dates" (ISO dates); "business_day" ("HH:MM" or hours).
        """
        unknown = set(config) - {
            "timezone",
            "service_hours",
            "maintenance",
            "holiday_country",
            "closed_dates",
            "business_day",
        }
        if unknown:
            raise ValueError(f"unknown business calendar settings: {', '.join(sorted(unknown))}")
        values: dict[str, object] = {}
        if "timezone" in config:
            values["timezone"] = str(config["timezone"])
        for key in ("service_hours", "maintenance"):
            if key in config:
                weekly = config[key]
                if not isinstance(weekly, Mapping):
                    raise ValueError(f"{key} must map weekdays to ranges")
                values[key] = parse_weekly(weekly)
        if "holiday_country" in config:
            country = config["holiday_country"]
            values["holiday_country"] = str(country) if country else None
        if "closed_dates" in config:
            raw = config["closed_dates"] or ()
            if isinstance(raw, str) or not isinstance(raw, Sequence | frozenset | set):
                raise ValueError("closed_dates must be a list of ISO dates")
            values["closed_dates"] = frozenset(d if isinstance(d, date) else date.fromisoformat(str(d)) for d in raw)
        if "business_day" in config:
            values["business_day"] = _parse_duration(config["business_day"])
        return cls(**values)  # type: ignore[arg-type]  # each key was checked and converted above

    # -- what one day looks like ------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def is_closed_date(self, day: date) -> bool:
        """A public holiday or an extra closed date: no service time at all that day."""
        if day in self.closed_dates:
            return True
        return self.holiday_country is not None and day in _holidays(self.holiday_country, day.year)

    def open_ranges(self, day: date) -> tuple[ClockRange, ...]:
        """The wall-clock ranges of `day` that count as service time."""
        return () if self.is_closed_date(day) else self._open[day.weekday()]

    def business_days(self, n: float) -> timedelta:
        """`n` business days as service time (see the class docstring for what one business day is)."""
        if self.business_day is not None:
            return self.business_day * n
        return max(sum((r.length for r in ranges), timedelta(0)) for ranges in self._open) * n

    # -- questions about instants -----------------------------------------------------------------------------

    def is_open(self, moment: datetime) -> bool:
        local = _require_aware(moment).astimezone(self._zone)
        wall = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
        return any(r.start <= wall < r.end for r in self.open_ranges(local.date()))

    def next_opening(self, moment: datetime) -> datetime:
        """The earliest open instant at or after `moment` (`moment` itself when open), in the calendar's zone."""
        instant = to_utc(moment)
        for start, _ in self._intervals_from(instant):
            return max(start, instant).astimezone(self._zone)
        raise AssertionError("unreachable: _intervals_from raises when nothing opens")  # pragma: no cover

    def business_seconds_between(self, start: datetime, end: datetime) -> float:
        """Service time from `start` to `end` in seconds; negative when `end` is before `start`."""
        return self.business_time_between(start, end).total_seconds()

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Service time from `start` to `end`, exact to the microsecond; negative when `end` is before `start`."""
        lo, hi = to_utc(start), to_utc(end)
        if hi < lo:
            return -self.business_time_between(end, start)
        total = timedelta(0)
        for day in _dates(self._local_date(lo) - _DAY, self._local_date(hi) + _DAY):
            for a, b in self._day_intervals(day):
                a, b = max(a, lo), min(b, hi)
                if a < b:
                    total += b - a
        return total

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which `duration` of service time has passed since `start`, in the calendar's zone.

        Before opening, counting starts at the next opening. A positive duration that runs out exactly at a
        closing time gives that closing time (not the next opening), so the result is always open or the end of
        an open stretch; a zero duration gives `start` itself.
        """
        instant = to_utc(start)
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        if not duration:
            return instant.astimezone(self._zone)
        remaining = duration
        for a, b in self._intervals_from(instant):
            a = max(a, instant)
            if remaining <= b - a:
                return (a + remaining).astimezone(self._zone)
            remaining -= b - a
        raise AssertionError("unreachable: _intervals_from raises when nothing opens")  # pragma: no cover

    # -- open intervals as UTC instants -----------------------------------------------------------------------

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self._zone).date()

    def _intervals_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals (UTC, half-open) that end after `instant`, in order; raises if none opens in years."""
        day = self._local_date(instant) - _DAY  # a day earlier: a local date can reach past the next midnight
        closed_run = 0
        while closed_run <= _MAX_CLOSED_DAYS:
            found = False
            for a, b in self._day_intervals(day):
                if b > instant:
                    found = True
                    yield a, b
            closed_run = 0 if found else closed_run + 1
            day += _DAY
        raise ValueError(f"the calendar has no service time for {_MAX_CLOSED_DAYS} days after {instant.isoformat()}")

    def _day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The instants whose local reading lies in `day`'s open ranges, as sorted disjoint UTC intervals.

        Within a stretch where the UTC offset `o` is constant, wall time w maps to the instant w - o, so each open
        range maps to one interval per stretch, clipped to it; the stretches of a day are found by locating its
        offset changes (at most one or two a day in practice).
        """
        ranges = self.open_ranges(day)
        if not ranges:
            return []
        midnight = datetime.combine(day, time(), tzinfo=UTC)  # the wall-clock midnight, held in a UTC datetime
        first = min(self._wallto_utc(midnight, fold) for fold in (0, 1))
        last = max(self._wallto_utc(midnight + _DAY, fold) for fold in (0, 1))
        out: list[tuple[datetime, datetime]] = []
        for seg_start, seg_end, offset in _offset_stretches(self._zone, first, last):
            for r in ranges:
                a, b = max(midnight + r.start - offset, seg_start), min(midnight + r.end - offset, seg_end)
                if a < b:
                    out.append((a, b))
        return _merge(out)

    def _wallto_utc(self, wall: datetime, fold: int) -> datetime:
        local = wall.replace(tzinfo=self._zone, fold=fold)
        offset = local.utcoffset()
        assert offset is not None  # a ZoneInfo always has an offset
        return wall - offset


# -- helpers ------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    # Cached per (country, year) because building a year's holidays is slow next to the arithmetic that asks;
    # the library knows moving feasts (Easter Monday, Corpus Christi) and law changes (24 December from 2025).
    return frozenset(holidays.country_holidays(country, years=year))


def parse_weekly(config: Mapping[str, object]) -> WeeklyRanges:
    """{"mon-fri": "08:00-20:00", "sat": "06:00-10:00"} → seven tuples of ranges; overnight ranges are split."""
    days: list[list[ClockRange]] = [[] for _ in WEEKDAYS]
    for key, value in config.items():
        for weekday in _weekday_span(key):
            for text in _range_texts(value):
                start_text, sep, end_text = text.partition("-")
                if not sep:
                    raise ValueError(f"a range is written HH:MM-HH:MM, got {text!r}")
                start, end = _parse_clock(start_text), _parse_clock(end_text)
                if start < end:
                    days[weekday].append(ClockRange(start, end))
                elif start > end:  # e.g. "22:00-02:00": the rest of this day and the start of the next
                    days[weekday].append(ClockRange(start, _DAY))
                    if end:
                        days[(weekday + 1) % 7].append(ClockRange(timedelta(0), end))
                else:
                    raise ValueError(f"an empty range: {text!r}")
    return tuple(tuple(sorted(ranges)) for ranges in days)


def _weekday_span(key: str) -> list[int]:
    first, _, last = key.strip().lower().partition("-")
    try:
        i, j = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    except ValueError:
        raise ValueError(f"weekdays are named {', '.join(WEEKDAYS)} (or a span like mon-fri), got {key!r}") from None
    return [(i + k) % 7 for k in range((j - i) % 7 + 1)]


def _range_texts(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, Sequence):
        return [text for item in value for text in _range_texts(item)]
    raise ValueError(f"ranges are strings like '08:00-20:00', got {value!r}")


def _parse_duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(hours=value)
    return _parse_clock(str(value))


def _subtract(ranges: Sequence[ClockRange], holes: Sequence[ClockRange]) -> tuple[ClockRange, ...]:
    """Wall-clock set difference: the parts of `ranges` outside every range in `holes`."""
    pieces = [(r.start, r.end) for r in ranges]
    for hole in holes:
        pieces = [
            part
            for start, end in pieces
            for part in ((start, min(end, hole.start)), (max(start, hole.end), end))
            if part[0] < part[1]
        ]
    merged = _merge(sorted(pieces))
    return tuple(ClockRange(start, end) for start, end in merged)


def _merge(pieces: list[tuple[_Point, _Point]]) -> list[tuple[_Point, _Point]]:
    """Sorted, overlapping or touching pieces joined into disjoint ones."""
    out: list[tuple[_Point, _Point]] = []
    for start, end in sorted(pieces):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _offset_stretches(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime, datetime, timedelta]]:
    """[first, last) cut where the zone's UTC offset changes, each piece with its offset.

    Offset changes are found by bisection to the microsecond; it assumes the offset at `last` differs from the one
    before whenever a change happened in between, which holds for windows a day long (changes are months apart).
    """
    stretches: list[tuple[datetime, datetime, timedelta]] = []
    start, offset = first, _offset(zone, first)
    while _offset(zone, last) != offset:
        lo, hi = start, last  # offset(lo) == offset, offset(hi) != offset
        while hi - lo > _MICROSECOND:
            mid = lo + (hi - lo) // 2
            if _offset(zone, mid) == offset:
                lo = mid
            else:
                hi = mid
        stretches.append((start, hi, offset))
        start, offset = hi, _offset(zone, hi)
    stretches.append((start, last, offset))
    return stretches


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    return offset


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += _DAY


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return moment


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime raises (business time is only counted between real instants)."""
    return _require_aware(moment).astimezone(UTC)

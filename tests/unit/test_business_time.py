"""The SLA clock counts only open service time: worked examples with exact due times, and its laws as properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.business_time import BusinessCalendar, ClockRange, parse_weekly
from handlers.sla_targets import SlaTargets

WARSAW = ZoneInfo("Europe/Warsaw")
CALENDAR = BusinessCalendar()
DAY = CALENDAR.business_days(1)
HOUR = timedelta(hours=1)
US = timedelta(microseconds=1)

# Open all day, every day, no holidays and no maintenance: service time is plain elapsed time.
ALWAYS = BusinessCalendar(
    service_hours=parse_weekly({"mon-sun": "00:00-24:00"}), maintenance=parse_weekly({}), holiday_country=None
)
# Open only in the small hours, with a maintenance window inside the hour that DST skips or repeats.
NIGHT = BusinessCalendar.from_config(
    {"service_hours": {"mon-sun": "00:00-04:00"}, "maintenance": {"mon-sun": "02:15-02:45"}, "holiday_country": None}
)

# Property tests stay fast and leave no example database in the work tree.
PROPERTY = settings(max_examples=200, deadline=None, database=None)


def warsaw(*args: int) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def utc(moment: datetime) -> datetime:
    # Python compares two datetimes of one zone by their wall clocks, blind to `fold`: compare instants in UTC.
    return moment.astimezone(UTC)


def due(start: datetime, duration: timedelta = DAY) -> datetime:
    return CALENDAR.add_business_time(start, duration)


# -- one business day, worked out by hand ---------------------------------------------------------------------------


def test_one_business_day_is_a_full_service_day_less_the_evening_maintenance() -> None:
    # Mon–Fri 08:00–20:00, of which 18:30–20:00 is maintenance: 10.5 h.
    assert timedelta(hours=10, minutes=30) == DAY
    assert CALENDAR.business_days(3) == timedelta(hours=31, minutes=30)
    assert ALWAYS.business_days(1) == timedelta(hours=24)


def test_friday_afternoon_request_is_due_monday_at_the_same_time() -> None:
    # Friday 17:00–18:30 gives 1.5 h, the weekend nothing, Monday 08:00 + 9 h = 17:00.
    assert due(warsaw(2026, 5, 15, 17)) == warsaw(2026, 5, 18, 17)


def test_result_is_in_the_calendar_zone_whatever_the_input_zone() -> None:
    result = due(datetime(2026, 5, 15, 15, tzinfo=UTC))  # 17:00 in Warsaw (CEST)
    assert result == warsaw(2026, 5, 18, 17)
    assert result.tzinfo == WARSAW
    assert result.utcoffset() == timedelta(hours=2)


def test_saturday_request_starts_counting_on_monday_morning() -> None:
    assert due(warsaw(2026, 5, 16, 11)) == warsaw(2026, 5, 18, 18, 30)
    assert due(warsaw(2026, 5, 16, 11), CALENDAR.business_days(3)) == warsaw(2026, 5, 20, 18, 30)


def test_request_in_the_evening_maintenance_window_starts_counting_next_morning() -> None:
    assert not CALENDAR.is_open(warsaw(2026, 5, 19, 19))
    assert due(warsaw(2026, 5, 19, 19)) == warsaw(2026, 5, 20, 18, 30)
    # Half an hour before maintenance, then the rest the next morning.
    assert due(warsaw(2026, 5, 19, 18), HOUR) == warsaw(2026, 5, 20, 8, 30)


def test_saturday_maintenance_is_outside_service_hours_anyway() -> None:
    assert due(warsaw(2026, 5, 16, 7)) == warsaw(2026, 5, 18, 18, 30)


def test_duration_ending_exactly_at_closing_gives_the_closing_time() -> None:
    assert due(warsaw(2026, 5, 18, 8)) == warsaw(2026, 5, 18, 18, 30)
    assert due(warsaw(2026, 5, 18, 18), timedelta(minutes=30)) == warsaw(2026, 5, 18, 18, 30)
    assert due(warsaw(2026, 5, 18, 18), timedelta(0)) == warsaw(2026, 5, 18, 18)


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        (warsaw(2026, 12, 23, 17), warsaw(2026, 12, 28, 17), "24 (from 2025), 25 and 26 December"),
        (warsaw(2024, 12, 23, 17), warsaw(2024, 12, 24, 17), "24 December was a working day before 2025"),
        (warsaw(2026, 4, 3, 10), warsaw(2026, 4, 7, 10), "Easter Monday, 6 April 2026"),
        (warsaw(2024, 5, 2, 12), warsaw(2024, 5, 6, 12), "Constitution Day, Friday 3 May 2024"),
        (warsaw(2024, 10, 31, 12), warsaw(2024, 11, 4, 12), "All Saints' Day, Friday 1 November 2024"),
        (warsaw(2027, 4, 30, 12), warsaw(2027, 5, 4, 12), "Labour Day on a Saturday, 3 May on Monday (2027)"),
    ],
)
def test_polish_public_holidays_do_not_count(start: datetime, expected: datetime, why: str) -> None:
    assert due(start) == expected, why


def test_closed_dates_come_from_the_holidays_library_and_the_calendar() -> None:
    assert CALENDAR.is_closed_date(date(2026, 12, 24))
    assert not CALENDAR.is_closed_date(date(2024, 12, 24))
    assert CALENDAR.is_closed_date(date(2026, 6, 4))  # Corpus Christi, a moving feast
    extra = BusinessCalendar(closed_dates=frozenset({date(2026, 5, 18)}))
    assert extra.add_business_time(warsaw(2026, 5, 15, 17), DAY) == warsaw(2026, 5, 19, 17)


def test_is_open_and_next_opening() -> None:
    assert CALENDAR.is_open(warsaw(2026, 5, 18, 8))
    assert CALENDAR.is_open(warsaw(2026, 5, 18, 18, 29, 59))
    assert not CALENDAR.is_open(warsaw(2026, 5, 18, 18, 30))
    assert not CALENDAR.is_open(warsaw(2026, 5, 18, 7, 59, 59))
    assert not CALENDAR.is_open(warsaw(2026, 5, 16, 12))
    assert not CALENDAR.is_open(warsaw(2026, 12, 24, 12))
    assert CALENDAR.next_opening(warsaw(2026, 5, 15, 19)) == warsaw(2026, 5, 18, 8)
    assert CALENDAR.next_opening(warsaw(2026, 5, 18, 9, 15)) == warsaw(2026, 5, 18, 9, 15)
    assert CALENDAR.next_opening(warsaw(2026, 12, 23, 18, 45)) == warsaw(2026, 12, 28, 8)


def test_business_time_between() -> None:
    friday, monday = warsaw(2026, 5, 15, 17), warsaw(2026, 5, 18, 17)
    assert CALENDAR.business_seconds_between(friday, monday) == 10.5 * 3600
    assert CALENDAR.business_seconds_between(monday, friday) == -10.5 * 3600
    assert CALENDAR.business_seconds_between(warsaw(2026, 5, 16), warsaw(2026, 5, 17)) == 0.0
    # A whole week: five days of 10.5 h.
    assert CALENDAR.business_time_between(warsaw(2026, 5, 11), warsaw(2026, 5, 18)) == 5 * DAY


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.add_business_time(datetime(2026, 5, 15, 17), DAY)
    with pytest.raises(ValueError, match="negative"):
        CALENDAR.add_business_time(warsaw(2026, 5, 15, 17), -DAY)


# -- the DST weekends of 2026 ---------------------------------------------------------------------------------------


def test_spring_forward_weekend_2026() -> None:
    # Friday 17:00 CET to Monday 17:00 CEST is one business day, though the weekend had an hour less.
    assert due(warsaw(2026, 3, 27, 17)) == warsaw(2026, 3, 30, 17)
    assert due(warsaw(2026, 3, 27, 17)).utcoffset() == timedelta(hours=2)
    assert due(warsaw(2026, 3, 28, 23)) == warsaw(2026, 3, 30, 18, 30)
    assert ALWAYS.business_seconds_between(warsaw(2026, 3, 29), warsaw(2026, 3, 30)) == 23 * 3600
    # Open 00:00–04:00 less 02:15–02:45: the clock goes from 02:00 to 03:00, so only 00:00–02:00 and 03:00–04:00.
    assert NIGHT.business_time_between(warsaw(2026, 3, 29), warsaw(2026, 3, 29, 12)) == 3 * HOUR
    assert NIGHT.is_open(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))  # 01:59 CET
    assert NIGHT.is_open(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST
    assert NIGHT.add_business_time(warsaw(2026, 3, 29, 1), 90 * timedelta(minutes=1)) == warsaw(2026, 3, 29, 3, 30)


def test_fall_back_weekend_2026() -> None:
    assert due(warsaw(2026, 10, 23, 17)) == warsaw(2026, 10, 26, 17)
    assert due(warsaw(2026, 10, 23, 17)).utcoffset() == timedelta(hours=1)
    assert ALWAYS.business_seconds_between(warsaw(2026, 10, 25), warsaw(2026, 10, 26)) == 25 * 3600
    # 02:00–03:00 happens twice, so 02:00–02:15 and 02:45–03:00 each count twice: 3.5 h + 0.5 h.
    assert NIGHT.business_time_between(warsaw(2026, 10, 24), warsaw(2026, 10, 24, 12)) == 3.5 * HOUR
    assert NIGHT.business_time_between(warsaw(2026, 10, 25), warsaw(2026, 10, 25, 12)) == 4 * HOUR
    second_pass = datetime(2026, 10, 25, 2, 10, tzinfo=WARSAW, fold=1)  # 02:10 CET, after the clock went back
    assert second_pass.astimezone(UTC) == datetime(2026, 10, 25, 1, 10, tzinfo=UTC)
    assert NIGHT.is_open(second_pass)
    # From 02:10 on the first pass: 02:10–02:15 CEST, 02:45 CEST to the change, then on from 02:00 CET.
    first_pass = warsaw(2026, 10, 25, 2, 10)
    assert utc(NIGHT.add_business_time(first_pass, 20 * timedelta(minutes=1))) == datetime(2026, 10, 25, 1, tzinfo=UTC)
    assert utc(NIGHT.add_business_time(first_pass, 21 * timedelta(minutes=1))) == utc(second_pass.replace(minute=1))
    assert utc(NIGHT.add_business_time(first_pass, 35 * timedelta(minutes=1))) == utc(second_pass.replace(minute=15))
    assert utc(NIGHT.add_business_time(first_pass, 36 * timedelta(minutes=1))) == utc(second_pass.replace(minute=46))


# -- SLA targets per request kind -----------------------------------------------------------------------------------


def test_sla_targets_per_kind() -> None:
    sla = SlaTargets()
    submitted = warsaw(2026, 5, 15, 17)
    assert sla.due_at("license.assign", submitted, CALENDAR) == warsaw(2026, 5, 20, 17)  # activation: 3 days
    assert sla.due_at("license.seats", submitted, CALENDAR) == warsaw(2026, 5, 18, 17)  # order: 1 day
    assert sla.due_at("dl.join", submitted, CALENDAR) == warsaw(2026, 5, 18, 17)  # default: 1 day
    assert not sla.breached("license.seats", submitted, warsaw(2026, 5, 18, 17), CALENDAR)
    assert sla.breached("license.seats", submitted, warsaw(2026, 5, 18, 17) + US, CALENDAR)
    assert not sla.breached("license.assign", submitted, warsaw(2026, 5, 19, 9), CALENDAR)


def test_sla_targets_from_config() -> None:
    sla = SlaTargets.from_config({"license.assign": 2, "dl.join": 0.5, "default": 4})
    assert sla.target("license.assign", CALENDAR) == 2 * DAY
    assert sla.target("dl.join", CALENDAR) == DAY / 2
    assert sla.target("license.seats", CALENDAR) == 4 * DAY
    with pytest.raises(ValueError, match="positive"):
        SlaTargets.from_config({"dl.join": 0})


# -- configuration ----------------------------------------------------------------------------------------------------


def test_from_config_reproduces_the_default_calendar() -> None:
    config = {
        "timezone": "Europe/Warsaw",
        "service_hours": {"mon-fri": "08:00-20:00"},
        "maintenance": {"mon-fri": "18:30-22:30", "sat": "06:00-10:00"},
        "holiday_country": "PL",
    }
    assert BusinessCalendar.from_config(config) == CALENDAR
    assert BusinessCalendar.from_config({}) == CALENDAR


def test_from_config_ranges_lists_overnight_and_overrides() -> None:
    calendar = BusinessCalendar.from_config(
        {
            "service_hours": {"mon": "08:00-12:00, 13:00-17:00", "tue": ["09:00-10:00"], "fri": "22:00-02:00"},
            "maintenance": {"sun": None},
            "holiday_country": None,
            "closed_dates": ["2026-05-19"],
            "business_day": "07:30",
        }
    )
    assert calendar.service_hours[0] == (ClockRange.of("08:00", "12:00"), ClockRange.of("13:00", "17:00"))
    assert calendar.service_hours[1] == (ClockRange.of("09:00", "10:00"),)
    assert calendar.service_hours[4] == (ClockRange.of("22:00", "24:00"),)
    assert calendar.service_hours[5] == (ClockRange.of("00:00", "02:00"),)
    assert calendar.closed_dates == frozenset({date(2026, 5, 19)})
    assert calendar.business_days(2) == timedelta(hours=15)
    # Friday 23:00 + 2 h: one hour to midnight, one after it on Saturday.
    assert calendar.add_business_time(warsaw(2026, 5, 15, 23), 2 * HOUR) == warsaw(2026, 5, 16, 1)


@pytest.mark.parametrize(
    "config",
    [
        {"hours": {}},
        {"service_hours": {"monday": "08:00-20:00"}},
        {"service_hours": {"mon": "8-20"}},
        {"service_hours": {"mon": "08:00-25:00"}},
        {"service_hours": {"mon": "08:00-08:00"}},
        {"service_hours": {}},
        {"closed_dates": "2026-05-19"},
        {"timezone": "Europe/Nowhere"},
        {"holiday_country": "XX"},
    ],
)
def test_from_config_refuses_bad_settings(config: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar.from_config(config)


# -- properties -----------------------------------------------------------------------------------------------------

ZONES = st.sampled_from([WARSAW, ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")])
ANY_TIME = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=ZONES, allow_imaginary=False
)
# Europe's clock changes, 01:00 UTC on the last Sundays of March and October: random instants seldom land near
# them, so half the starts are drawn within two days of one.
EU_CHANGES = [
    datetime(year, month, 31, 1, tzinfo=UTC) - timedelta(days=(date(year, month, 31).weekday() + 1) % 7)
    for year in range(2024, 2029)
    for month in (3, 10)
]
NEAR_A_CHANGE = st.builds(
    lambda change, shift, zone: (change + shift).astimezone(zone),
    st.sampled_from(EU_CHANGES),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    ZONES,
)
STARTS = st.one_of(ANY_TIME, NEAR_A_CHANGE)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12))
POSITIVE = st.timedeltas(min_value=US, max_value=timedelta(days=12))
CALENDARS = st.sampled_from([CALENDAR, NIGHT, ALWAYS])


@PROPERTY
@given(calendar=CALENDARS, start=STARTS, duration=DURATIONS)
def test_service_time_to_the_due_time_is_the_duration(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    result = calendar.add_business_time(start, duration)
    assert utc(result) >= utc(start)
    assert calendar.business_time_between(start, result) == duration
    assert abs(calendar.business_seconds_between(start, result) - duration.total_seconds()) <= 1e-6


@PROPERTY
@given(calendar=CALENDARS, first=STARTS, second=STARTS, duration=DURATIONS)
def test_a_later_start_is_never_due_earlier(
    calendar: BusinessCalendar, first: datetime, second: datetime, duration: timedelta
) -> None:
    early, late = sorted((first, second), key=utc)
    assert utc(calendar.add_business_time(early, duration)) <= utc(calendar.add_business_time(late, duration))


@PROPERTY
@given(calendar=CALENDARS, start=STARTS, a=DURATIONS, b=DURATIONS)
def test_adding_in_two_steps_equals_adding_once(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    stepwise = calendar.add_business_time(calendar.add_business_time(start, a), b)
    assert utc(stepwise) == utc(calendar.add_business_time(start, a + b))


@PROPERTY
@given(calendar=CALENDARS, start=STARTS, duration=POSITIVE)
def test_due_time_is_open_or_the_end_of_an_open_stretch(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    result = calendar.add_business_time(start, duration)
    assert calendar.is_open(utc(result) - US)
    opening = calendar.next_opening(start)
    assert calendar.is_open(opening)
    assert calendar.business_time_between(start, opening) == timedelta(0)


@PROPERTY
@given(calendar=CALENDARS, moment=STARTS)
def test_is_open_agrees_with_the_counted_time(calendar: BusinessCalendar, moment: datetime) -> None:
    counted = calendar.business_time_between(moment, utc(moment) + US)  # in UTC: wall arithmetic would drop `fold`
    assert counted == (US if calendar.is_open(moment) else timedelta(0))


@PROPERTY
@given(start=STARTS, duration=DURATIONS)
def test_an_always_open_calendar_counts_plain_elapsed_time_across_dst(start: datetime, duration: timedelta) -> None:
    # Compare in UTC: subtracting two datetimes of one zone in Python ignores a DST change between them.
    result = ALWAYS.add_business_time(start, duration)
    assert result.astimezone(UTC) == start.astimezone(UTC) + duration
    assert ALWAYS.business_time_between(start, result) == duration


def test_the_clock_changes_are_where_the_strategy_thinks() -> None:
    assert datetime(2026, 3, 29, 1, tzinfo=UTC) in EU_CHANGES
    assert datetime(2026, 10, 25, 1, tzinfo=UTC) in EU_CHANGES
    for change in EU_CHANGES:
        assert (change - US).astimezone(WARSAW).utcoffset() != change.astimezone(WARSAW).utcoffset()


@PROPERTY
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31)))
def test_an_always_open_local_day_lasts_as_long_as_the_clock_says(day: date) -> None:
    midnight = datetime(day.year, day.month, day.day, tzinfo=WARSAW)
    following = midnight + timedelta(days=1)  # wall-clock arithmetic: the next local midnight
    elapsed = following.astimezone(UTC) - midnight.astimezone(UTC)
    assert elapsed in (timedelta(hours=23), timedelta(hours=24), timedelta(hours=25))
    assert ALWAYS.business_time_between(midnight, following) == elapsed

"""Due times on calendar days and Chinese working days (2026 from chinese-calendar, 2027 by rule)."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.services.time_limits.business_calendar import BusinessCalendar, CalendarError, YearSchedule, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKING = BusinessCalendar("working")
CALENDAR = BusinessCalendar("calendar")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def due(calendar, start, duration, **kwargs) -> datetime:
    return calendar.add(start, duration, **kwargs).astimezone(SHANGHAI)


def test_calendar_days_keep_the_wall_clock_time():
    assert due(CALENDAR, local(2026, 11, 24, 9, 0), "P3D") == local(2026, 11, 27, 9, 0)
    assert due(CALENDAR, local(2026, 9, 30, 10, 0), "P3D") == local(2026, 10, 3, 10, 0)


def test_one_working_day_after_friday_evening_is_monday_evening():
    assert due(WORKING, local(2026, 11, 20, 17, 30), "P1D") == local(2026, 11, 23, 17, 30)


def test_three_working_days_from_friday_evening():
    assert due(WORKING, local(2026, 11, 20, 17, 30), "P3D") == local(2026, 11, 25, 17, 30)


def test_the_eve_of_national_day_waits_for_the_holiday_to_end():
    # 1-7 October 2026 are off; the first working day after them is Thursday 8 October.
    assert due(WORKING, local(2026, 9, 30, 10, 0), "P1D") == local(2026, 10, 8, 10, 0)


def test_an_adjusted_working_saturday_counts():
    # Saturday 10 October 2026 is a working day (调休上班).
    assert WORKING.is_working_day(date(2026, 10, 10))
    assert due(WORKING, local(2026, 10, 9, 10, 0), "P1D") == local(2026, 10, 10, 10, 0)
    assert due(WORKING, local(2026, 9, 30, 10, 0), "P3D") == local(2026, 10, 10, 10, 0)


def test_hours_are_clock_hours_even_on_working_days():
    assert due(WORKING, local(2026, 11, 20, 17, 30), "PT24H") == local(2026, 11, 21, 17, 30)
    assert due(WORKING, local(2026, 9, 30, 23, 0), "P1DT2H") == local(2026, 10, 9, 1, 0)


def test_natural_timers_count_calendar_days_on_a_working_day_calendar():
    assert due(WORKING, local(2026, 9, 30, 10, 0), "P30D", natural=True) == local(2026, 10, 30, 10, 0)


def test_weeks_and_months():
    assert due(WORKING, local(2026, 11, 23, 9, 0), "P1W") == local(2026, 11, 30, 9, 0)
    assert due(CALENDAR, local(2026, 1, 31, 9, 0), "P1M") == local(2026, 2, 28, 9, 0)


def test_a_year_the_package_does_not_know_uses_the_statutory_holidays_by_rule():
    assert not WORKING.covers(2027) and WORKING.covers(2026)
    assert WORKING.uncovered_years(date(2026, 11, 24)) == [2027]
    assert WORKING.year_table(2027).provisional and not WORKING.year_table(2026).provisional
    assert not WORKING.is_working_day(date(2027, 1, 1))  # New Year's Day, by rule
    assert not WORKING.is_working_day(date(2027, 2, 8))  # Spring Festival, computed from the lunar calendar
    # Tuesday 29 December 2026 + 3 working days: Wed 30, Thu 31, (Fri 1 Jan off), Mon 4 Jan.
    assert due(WORKING, local(2026, 12, 29, 10, 0), "P3D") == local(2027, 1, 4, 10, 0)
    assert due(WORKING, local(2026, 12, 30, 10, 0), "P3D") == local(2027, 1, 5, 10, 0)


def test_due_times_across_an_unknown_year_are_provisional():
    now = local(2026, 12, 29, 10, 0)
    assert WORKING.is_provisional(local(2027, 1, 4, 10, 0), now)
    assert not WORKING.is_provisional(local(2026, 12, 31, 10, 0), now)
    assert not CALENDAR.is_provisional(local(2027, 1, 4, 10, 0), now)
    entered = BusinessCalendar("working", schedules=[YearSchedule(2027, holidays=frozenset({date(2027, 1, 1)}))])
    assert not entered.is_provisional(local(2027, 1, 4, 10, 0), now)


@pytest.mark.parametrize(("start", "working", "calendar"), [
    (local(2026, 9, 30, 0, 0), local(2026, 10, 10, 0, 0), local(2026, 10, 3, 0, 0)),
    (local(2026, 9, 30, 23, 59), local(2026, 10, 10, 23, 59), local(2026, 10, 3, 23, 59)),
    # Thursday 1 October is a holiday: the clock starts at 00:00 on Thursday 8 October and runs
    # whole working days, so it ends at 24:00 on Saturday 10 October (an adjusted working day).
    (local(2026, 10, 1, 0, 0), local(2026, 10, 11, 0, 0), local(2026, 10, 4, 0, 0)),
    (local(2026, 10, 1, 23, 59), local(2026, 10, 11, 0, 0), local(2026, 10, 4, 23, 59)),
])
def test_a_clock_started_on_a_rest_day_starts_with_the_next_working_day(start, working, calendar):
    assert due(WORKING, start, "P3D") == working
    assert due(CALENDAR, start, "P3D") == calendar


def test_later_starts_never_fall_due_earlier():
    starts = [local(2026, 9, 30, 23, 0) + timedelta(minutes=30 * step) for step in range(24 * 20)]
    dues = [WORKING.add(start, "P3D") for start in starts]
    assert dues == sorted(dues)


def test_working_time_counts_whole_working_days_only():
    assert WORKING.working_time_between(local(2026, 9, 30, 10, 0), local(2026, 10, 8, 10, 0)) == timedelta(hours=24)
    assert WORKING.working_time_between(local(2026, 11, 27, 18, 0), local(2026, 11, 30, 8, 0)) == timedelta(hours=14)
    assert WORKING.working_time_between(local(2026, 10, 3, 0, 0), local(2026, 10, 4, 0, 0)) == timedelta(0)
    assert WORKING.add_working_time(local(2026, 10, 9, 10, 0), timedelta(hours=24)) == local(2026, 10, 10, 10, 0)
    assert WORKING.add_working_time(local(2026, 10, 4, 12, 0), timedelta(hours=1)) == local(2026, 10, 8, 1, 0)


def test_the_jurisdictions_zone_counts_not_the_servers():
    shanghai = BusinessCalendar("working", timezone="Asia/Shanghai")
    utc = datetime(2026, 11, 20, 16, 30, tzinfo=ZoneInfo("UTC"))  # Saturday 00:30 in Shanghai
    assert due(shanghai, utc, "P1D") == local(2026, 11, 24, 0, 0)
    assert shanghai.local_date(utc) == date(2026, 11, 21)


def test_an_entered_schedule_takes_precedence():
    schedule = YearSchedule(2027, holidays=frozenset({date(2027, 1, 1)}), working_days=frozenset({date(2027, 1, 9)}))
    calendar = BusinessCalendar("working", schedules=[schedule])
    assert calendar.covers(2027) and calendar.uncovered_years(date(2026, 11, 24)) == []
    assert due(calendar, local(2026, 12, 30, 10, 0), "P3D") == local(2027, 1, 5, 10, 0)
    assert calendar.is_working_day(date(2027, 1, 9))  # a Saturday entered as a working day


def test_an_entered_year_replaces_the_package_for_that_year():
    """The admin enters the whole official schedule; days it does not list follow the weekday rule."""
    schedule = YearSchedule(2026, holidays=frozenset({date(2026, 11, 25)}))
    calendar = BusinessCalendar("working", schedules=[schedule])
    assert not calendar.is_working_day(date(2026, 11, 25))
    assert calendar.is_working_day(date(2026, 10, 1))  # a Thursday the entry does not list
    assert not calendar.is_working_day(date(2026, 10, 10))  # a Saturday the entry does not list


@pytest.mark.parametrize("text", ["", "P", "PT", "3D", "P3", "P1.5D", "PT-1H", "P3DT", "every day"])
def test_invalid_durations_are_refused(text):
    with pytest.raises(CalendarError):
        parse_duration(text)


def test_durations_parse():
    assert parse_duration("P1Y2M3W4DT5H6M7S").__dict__ == {
        "years": 1, "months": 2, "weeks": 3, "days": 4, "hours": 5, "minutes": 6, "seconds": 7}

"""The business calendar: how a time limit written as an ISO 8601 duration becomes a due time.

One module for every due-date computation (the BPMN timers included):
- hours and minutes are clock time, always (police matters: 24 h means 24 h);
- days are calendar days, or Chinese working days when the setting says so. On working days
  "P1D" means the next working day at the same local time, not 24 working hours: a limit set on
  Friday 17:30 falls due on Monday 17:30 (or later, across a holiday);
- weeks are 7 calendar days, or 5 working days; months and years are calendar months and years;
- a timer marked `calendar=natural` in the diagram (the legal 30-day clocks) counts calendar days.

Working days follow the State Council's schedule: a year an admin entered in the app wins; else
the `chinese-calendar` package; for a year neither knows, weekends only (and `uncovered_years`
lets pages warn admins and supervisors).
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from flask_babel import gettext as _

DAY_COUNTING = ("calendar", "working")
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
MAX_WORKING_DAYS = 3660


class CalendarError(ValueError):
    """A duration the calendar cannot read."""


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0


def parse_duration(text: str) -> Duration:
    """An ISO 8601 duration such as P3D, PT24H or P1M2DT3H (whole numbers only)."""
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if match is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise CalendarError(_("“%(value)s” 不是 ISO 8601 时长（例如 P3D、PT24H）", value=text))
    return Duration(**{name: int(value) for name, value in match.groupdict().items() if value})


@dataclass(frozen=True)
class YearSchedule:
    """A year's official schedule as an admin entered it: days off and adjusted working days."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)


class BusinessCalendar:
    def __init__(self, day_counting: str = "calendar", timezone: str = "Asia/Shanghai",
                 schedules: Iterable[YearSchedule] = ()):
        if day_counting not in DAY_COUNTING:
            raise CalendarError(f"day counting must be one of {DAY_COUNTING}")
        self.day_counting = day_counting
        self.zone = ZoneInfo(timezone)
        self.schedules = {schedule.year: schedule for schedule in schedules}

    def add(self, start: datetime, duration: str | Duration, natural: bool = False) -> datetime:
        """The due time of a limit of `duration` that starts at `start` (aware; returned in UTC)."""
        if isinstance(duration, str):
            duration = parse_duration(duration)
        local = start.astimezone(self.zone)
        months = duration.years * 12 + duration.months
        if months:
            local = _add_months(local, months)
        if self.day_counting == "working" and not natural:
            local = self._add_working_days(local, duration.weeks * 5 + duration.days)
        else:
            local = _wall_clock_plus_days(local, duration.weeks * 7 + duration.days)
        clock_time = timedelta(hours=duration.hours, minutes=duration.minutes, seconds=duration.seconds)
        return (local + clock_time).astimezone(ZoneInfo("UTC"))

    def is_working_day(self, day: date) -> bool:
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            if day in schedule.holidays:
                return False
            if day in schedule.working_days:
                return True
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            return day.weekday() < 5

    def covers(self, year: int) -> bool:
        """Whether the official schedule of `year` is known (entered by an admin or in the package)."""
        if year in self.schedules:
            return True
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def uncovered_years(self, around: date) -> list[int]:
        """This year and next, where the schedule is unknown and weekends alone are used."""
        return [year for year in (around.year, around.year + 1) if not self.covers(year)]

    def _add_working_days(self, local: datetime, days: int) -> datetime:
        if days > MAX_WORKING_DAYS:
            raise CalendarError(_("时限过长"))
        day = local.date()
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return _at_wall_clock(day, local)


def _wall_clock_plus_days(local: datetime, days: int) -> datetime:
    return _at_wall_clock(local.date() + timedelta(days=days), local)


def _at_wall_clock(day: date, local: datetime) -> datetime:
    return datetime.combine(day, local.timetz().replace(tzinfo=None), local.tzinfo)


def _add_months(local: datetime, months: int) -> datetime:
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day))

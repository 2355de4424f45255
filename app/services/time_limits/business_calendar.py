"""The business calendar: how a time limit written as an ISO 8601 duration becomes a due time.

One module for every due-date computation (the BPMN timers included), counted in the
jurisdiction's time zone (`JIEFEN_TIMEZONE`), whatever zone times are displayed in:
- hours and minutes are clock time, always (police matters: 24 h means 24 h);
- days are calendar days, or Chinese working days when the setting says so. Working days count
  as *working time*: each working day counts whole, from 00:00 to 24:00, rest days not at all.
  So "P1D" set on a working day falls due on the next working day at the same time of day (Friday
  17:30 → Monday 17:30), and a clock started on a rest day starts at 00:00 of the next working day,
  so it ends at 24:00 of its last working day. A paused clock is measured the same way;
- weeks are 7 calendar days, or 5 working days; months and years are calendar months and years;
- a timer marked `calendar=natural` in the diagram (the legal 30-day clocks) counts calendar days.

Working days follow the State Council's schedule: a year an admin entered in the app wins; else
the `chinese-calendar` package; for a year neither knows, the statutory holidays computed by rule
(`holidays.China`, public category) plus weekends — provisional, so pages say so and admins are
warned (`uncovered_years`) until they enter the year. Year tables are built once per process.
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
from flask_babel import gettext as _

DAY_COUNTING = ("calendar", "working")
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
MAX_WORKING_DAYS = 3660
DAY = timedelta(days=1)
UTC = ZoneInfo("UTC")


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


@dataclass(frozen=True)
class YearTable:
    """Which days of a year differ from the weekday rule, and where that knowledge comes from."""

    days_off: frozenset[date]
    working_days: frozenset[date]
    source: str  # "entered" (by an admin), "package" (chinese-calendar) or "rule" (holidays.China)

    @property
    def provisional(self) -> bool:
        return self.source == "rule"


@lru_cache(maxsize=64)
def package_year_table(year: int) -> YearTable:
    """The State Council's schedule from chinese-calendar, or the statutory holidays by rule."""
    first, days = date(year, 1, 1), []
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        by_rule = holidays.China(years=year, categories=("public",))
        return YearTable(frozenset(day for day in by_rule if day.year == year), frozenset(), "rule")
    day = first
    while day.year == year:
        days.append((day, chinese_calendar.is_workday(day)))
        day += DAY
    return YearTable(
        frozenset(day for day, working in days if not working and day.weekday() < 5),
        frozenset(day for day, working in days if working and day.weekday() >= 5),
        "package",
    )


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
        if self.counts_working_days(duration, natural):
            days = duration.weeks * 5 + duration.days
            if days > MAX_WORKING_DAYS:
                raise CalendarError(_("时限过长"))
            local = self._add_working_time(local, days * DAY)
        else:
            local = _wall_clock_plus_days(local, duration.weeks * 7 + duration.days)
        clock_time = timedelta(hours=duration.hours, minutes=duration.minutes, seconds=duration.seconds)
        return (local + clock_time).astimezone(UTC)

    def counts_working_days(self, duration: Duration, natural: bool = False) -> bool:
        """Whether a limit of `duration` runs on working time (else on clock time)."""
        return self.day_counting == "working" and not natural and bool(duration.weeks or duration.days)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest moment at which `amount` of working time has run from `start` (UTC)."""
        return self._add_working_time(start.astimezone(self.zone), amount).astimezone(UTC)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much working time runs from `start` to `end` (nothing if end is not later)."""
        start, end = _naive(start.astimezone(self.zone)), _naive(end.astimezone(self.zone))
        total, day = timedelta(0), start.date()
        while day <= end.date():
            if self.is_working_day(day):
                midnight = datetime.combine(day, time())
                total += max(timedelta(0), min(end, midnight + DAY) - max(start, midnight))
            day += DAY
        return total

    def local_date(self, moment: datetime) -> date:
        """The date in the jurisdiction at `moment`."""
        return moment.astimezone(self.zone).date()

    def year_table(self, year: int) -> YearTable:
        schedule = self.schedules.get(year)
        if schedule is not None:
            return YearTable(frozenset(schedule.holidays), frozenset(schedule.working_days), "entered")
        return package_year_table(year)

    def is_working_day(self, day: date) -> bool:
        table = self.year_table(day.year)
        if day in table.days_off:
            return False
        return day in table.working_days or day.weekday() < 5

    def covers(self, year: int) -> bool:
        """Whether the official schedule of `year` is known (entered by an admin or in the package)."""
        return not self.year_table(year).provisional

    def is_provisional(self, due_at: datetime, now: datetime) -> bool:
        """Whether a working-day due time counts across a year whose official schedule is unknown."""
        if self.day_counting != "working":
            return False
        first, last = self.local_date(min(now, due_at)).year, self.local_date(max(now, due_at)).year
        return any(not self.covers(year) for year in range(first, last + 1))

    def uncovered_years(self, around: date) -> list[int]:
        """This year and next, where the schedule is unknown and computed by rule."""
        return [year for year in (around.year, around.year + 1) if not self.covers(year)]

    def _add_working_time(self, local: datetime, amount: timedelta) -> datetime:
        moment, budget = _naive(local), amount
        for _day in range(MAX_WORKING_DAYS * 3):
            day = moment.date()
            if self.is_working_day(day):
                available = datetime.combine(day + DAY, time()) - moment
                if budget <= available:
                    return (moment + budget).replace(tzinfo=local.tzinfo)
                budget -= available
            moment = datetime.combine(day + DAY, time())
        raise CalendarError(_("时限过长"))


def _naive(local: datetime) -> datetime:
    return local.replace(tzinfo=None)


def _wall_clock_plus_days(local: datetime, days: int) -> datetime:
    return datetime.combine(local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None), local.tzinfo)


def _add_months(local: datetime, months: int) -> datetime:
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last_day = (next_month - timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day))

"""The business calendar in force: the day-counting setting plus the schedules admins entered."""
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.extensions import db
from app.models import ScheduledDay, ScheduleYear, User
from app.services.errors import InvalidInputError
from app.services.people import access
from app.services.time_limits import clock
from app.services.time_limits.business_calendar import BusinessCalendar, YearSchedule
from app.services.transaction import transaction


def current_calendar() -> BusinessCalendar:
    """The calendar every due-date computation uses (one small query for the entered years)."""
    schedules: dict[int, tuple[set, set]] = {}
    for year in db.session.scalars(select(ScheduleYear.year)):
        schedules[year] = (set(), set())
    for day in db.session.scalars(select(ScheduledDay)):
        schedules[day.year][1 if day.is_working else 0].add(day.day)
    return BusinessCalendar(
        current_app.config["DAY_COUNTING"],
        current_app.config["DISPLAY_TIMEZONE"],
        [YearSchedule(year, frozenset(off), frozenset(working)) for year, (off, working) in schedules.items()],
    )


def year_schedule(year: int) -> YearSchedule | None:
    return current_calendar().schedules.get(year)


@transaction
def enter_year_schedule(actor: User, year: int, holidays: list[date], working_days: list[date]) -> ScheduleYear:
    """Record a year's official schedule (replacing an earlier entry); it takes precedence from now on."""
    access.ensure_can_administer(actor)
    errors = [_("%(day)s 不在 %(year)s 年", day=day, year=year) for day in [*holidays, *working_days] if day.year != year]
    errors += [_("%(day)s 既是假日又是调休工作日", day=day) for day in set(holidays) & set(working_days)]
    if errors:
        raise InvalidInputError(_("节假日安排有误。"), {"days": errors})
    entry = db.session.get(ScheduleYear, year)
    if entry is None:
        entry = ScheduleYear(year=year)
        db.session.add(entry)
    entry.entered_at, entry.entered_by_id = clock.now(), actor.id
    db.session.flush()
    db.session.execute(delete(ScheduledDay).where(ScheduledDay.year == year))
    db.session.add_all([ScheduledDay(day=day, year=year, is_working=False) for day in sorted(set(holidays))])
    db.session.add_all([ScheduledDay(day=day, year=year, is_working=True) for day in sorted(set(working_days))])
    db.session.flush()
    return entry

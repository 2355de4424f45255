"""The business calendar in force: the day-counting setting, the jurisdiction's zone and the schedules
admins entered. Entering or changing a year's schedule recomputes the running clocks in that year."""
from datetime import date, datetime, time
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import DisputeCase, PendingTimer, ScheduledDay, ScheduleYear, User
from app.services import engine
from app.services.cases.mirror import lock_workflow, record_step, saved_state
from app.services.errors import InvalidInputError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.time_limits.business_calendar import BusinessCalendar, YearSchedule
from app.services.transaction import transaction

DUE_MOVED_MESSAGE = _l("案件 {number}「{title}」的时限因 {year} 年节假日安排录入而调整：{changes}。")
DUE_MOVED_CHANGE = _l("“{timer}”由 {before} 调整为 {after}")
_CACHE_KEY = "jiefen.calendar"


def current_calendar() -> BusinessCalendar:
    """The calendar every due-date computation uses.

    Kept per process: one tiny query checks whether an admin changed a schedule since (in any
    process); only then are the entered years loaded again. Package and rule years are built once.
    """
    stamp = tuple(db.session.execute(_stamp_statement()).one())
    config = current_app.config
    key = (stamp, config["DAY_COUNTING"], config["JURISDICTION_TIMEZONE"])
    cached = current_app.extensions.get(_CACHE_KEY)
    if cached is None or cached[0] != key:
        cached = (key, _load_calendar())
        current_app.extensions[_CACHE_KEY] = cached
    return cached[1]


@cache
def _stamp_statement():
    """What changes when an admin enters or changes a schedule. Built once: it runs per step."""
    return select(func.count(ScheduleYear.year), func.max(ScheduleYear.entered_at),
                  select(func.count()).select_from(ScheduledDay).scalar_subquery())


def local_today() -> date:
    """Today's date in the jurisdiction (not in UTC, not in the display zone)."""
    return current_calendar().local_date(clock.now())


def year_schedule(year: int) -> YearSchedule | None:
    return current_calendar().schedules.get(year)


@transaction
def enter_year_schedule(actor: User, year: int, holidays: list[date], working_days: list[date]) -> ScheduleYear:
    """Record a year's official schedule (replacing an earlier entry); it takes precedence from now on.

    Running clocks that count working days into that year get their due times recomputed: each
    change goes into the case's trail, and the people holding the case are told.
    """
    access.ensure_can_administer(actor)
    errors = [_("%(day)s 不在 %(year)s 年", day=day, year=year) for day in [*holidays, *working_days] if day.year != year]
    errors += [_("%(day)s 既是假日又是调休工作日", day=day) for day in set(holidays) & set(working_days)]
    if errors:
        raise InvalidInputError(_("节假日安排有误。"), {"days": errors})
    before = _load_calendar()
    entry = db.session.get(ScheduleYear, year)
    if entry is None:
        entry = ScheduleYear(year=year)
        db.session.add(entry)
    now = clock.now()
    entry.entered_at, entry.entered_by_id = now, actor.id
    db.session.flush()
    db.session.execute(delete(ScheduledDay).where(ScheduledDay.year == year))
    db.session.add_all([ScheduledDay(day=day, year=year, is_working=False) for day in sorted(set(holidays))])
    db.session.add_all([ScheduledDay(day=day, year=year, is_working=True) for day in sorted(set(working_days))])
    db.session.flush()
    current_app.extensions.pop(_CACHE_KEY, None)
    _recompute_running_clocks(actor, year, before, _load_calendar(), now)
    return entry


def _load_calendar() -> BusinessCalendar:
    schedules: dict[int, tuple[set, set]] = {}
    for year in db.session.scalars(select(ScheduleYear.year)):
        schedules[year] = (set(), set())
    for day in db.session.scalars(select(ScheduledDay)):
        schedules[day.year][1 if day.is_working else 0].add(day.day)
    return BusinessCalendar(
        current_app.config["DAY_COUNTING"],
        current_app.config["JURISDICTION_TIMEZONE"],
        [YearSchedule(year, frozenset(off), frozenset(working)) for year, (off, working) in schedules.items()],
    )


def _recompute_running_clocks(actor: User, year: int, before: BusinessCalendar, after: BusinessCalendar,
                              now: datetime) -> None:
    """Re-apply each working-day clock's remaining working time (as counted before) on the new calendar,
    from now (or from the moment a paused clock stopped). A clock that ends before the year is unchanged."""
    year_start = datetime.combine(date(year, 1, 1), time(), after.zone)
    case_ids = db.session.scalars(
        select(PendingTimer.case_id).join(DisputeCase, DisputeCase.id == PendingTimer.case_id)
        .where(DisputeCase.status == "open", PendingTimer.statutory.is_(False), PendingTimer.due_at >= year_start)
        .distinct().order_by(PendingTimer.case_id)
    ).all()
    for case_id in case_ids:
        workflow = lock_workflow(case_id)
        case = db.session.get_one(DisputeCase, case_id)  # the workflow row's case
        anchor = case.clock_paused_at or now
        moved = []

        def new_due(timer, unit):
            if unit != "working" or timer.due_at <= anchor:
                return None
            due = after.add_working_time(anchor, before.working_time_between(anchor, timer.due_at))
            if due != timer.due_at:
                moved.append((timer.name, timer.due_at, due))
            return due

        result = engine.reschedule_timers(saved_state(workflow), after, new_due)
        if result is None:
            continue
        notice = ("due_time_moved", lambda: str(DUE_MOVED_MESSAGE).format(
            number=case.number, title=case.title, year=year, changes=_("；").join(
                str(DUE_MOVED_CHANGE).format(timer=name, before=_local_text(old, after), after=_local_text(new, after))
                for name, old, new in moved)))
        record_step(case, workflow, result, actor=actor, now=now, notices=[notice])
        for name, old, new in moved:
            append_event(case.id, TrailEventType.DUE_TIME_RECOMPUTED, actor=actor, at=now,
                         data={"timer": name, "year": year, "from": old.isoformat(), "to": new.isoformat()})

def _local_text(moment: datetime, calendar: BusinessCalendar) -> str:
    return moment.astimezone(calendar.zone).strftime("%Y-%m-%d %H:%M")

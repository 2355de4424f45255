"""Time limits on the business calendar, paused clocks, cards, notifications and the sweep."""
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DisputeCase, Notification, PendingTimer, TrailEvent
from app.services import engine
from app.services.errors import AccessDeniedError, InvalidInputError
from app.services.time_limits import pauses as clocks
from app.services.time_limits.timers import fire_due_timers
from app.services.time_limits.year_schedules import enter_year_schedule
from tests import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def timers(case) -> dict[str, datetime]:
    return {t.bpmn_id: t.due_at.astimezone(SHANGHAI)
            for t in db.session.scalars(select(PendingTimer).where(PendingTimer.case_id == case.id))}


def fired(case) -> list[str]:
    return [e.data["signal"] for e in db.session.scalars(
        select(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.event == "timer_fired")
        .order_by(TrailEvent.seq))]


@pytest.fixture
def working_days(day_counting):
    day_counting("working")


def test_cards_count_working_days_from_friday_evening(world, clock, working_days):
    clock.move_to(local(2026, 11, 20, 17, 30))
    case = f.open_case(world)
    assert timers(case) == {"yellow_card": local(2026, 11, 25, 17, 30), "red_card": local(2026, 11, 30, 17, 30),
                            "triage_deadline": local(2026, 11, 23, 17, 30)}


def test_cards_count_calendar_days_when_so_set(world, clock):
    clock.move_to(local(2026, 11, 20, 17, 30))
    case = f.open_case(world)
    assert timers(case) == {"yellow_card": local(2026, 11, 23, 17, 30), "red_card": local(2026, 11, 26, 17, 30),
                            "triage_deadline": local(2026, 11, 21, 17, 30)}


def test_across_national_day_and_an_adjusted_working_saturday(world, clock, working_days):
    clock.move_to(local(2026, 9, 30, 10, 0))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    # 1-7 October off; 8, 9 and Saturday 10 October are working days.
    assert timers(case)["yellow_card"] == local(2026, 10, 10, 10, 0)
    assert timers(case)["on_site_deadline"] == local(2026, 10, 10, 10, 0)
    assert f.current_task(case).due_at == local(2026, 10, 10, 10, 0)
    clock.move_to(local(2026, 10, 7, 23, 0))
    assert fire_due_timers().timers_fired == 0
    clock.move_to(local(2026, 10, 10, 10, 1))
    fire_due_timers()
    assert sorted(fired(case)) == ["escalated", "yellow_card"]
    assert f.current_task(case).bpmn_id == "assess_four_accounts"


def test_police_matters_count_clock_hours_on_working_days(world, clock, working_days):
    clock.move_to(local(2026, 11, 20, 17, 30))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_RISK)
    assert f.current_task(case).due_at == local(2026, 11, 21, 17, 30)
    clock.move_to(local(2026, 11, 21, 17, 31))
    fire_due_timers()
    assert fired(case) == ["police_overdue"]


def test_a_limit_set_before_an_unknown_year_skips_its_new_years_day(world, clock, working_days):
    clock.move_to(local(2026, 12, 29, 10, 0))  # Tuesday; chinese-calendar 1.11 does not know 2027
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    # Wed 30, Thu 31 December, (Fri 1 January 2027: New Year's Day by rule), Mon 4 January.
    assert timers(case)["yellow_card"] == local(2027, 1, 4, 10, 0)
    assert f.current_task(case).due_at == local(2027, 1, 4, 10, 0)
    # 30, 31 Dec, 4, 5, 6, 7 Jan
    assert timers(case)["red_card"] == local(2027, 1, 7, 10, 0)


def test_a_limit_set_before_an_unknown_year_on_calendar_days(world, clock):
    clock.move_to(local(2026, 12, 29, 10, 0))
    case = f.open_case(world)
    assert timers(case)["yellow_card"] == local(2027, 1, 1, 10, 0)  # calendar days count every day


def test_entering_a_years_schedule_recomputes_the_running_clocks_in_it(world, clock, working_days):
    clock.move_to(local(2026, 12, 21, 10, 0))
    done_before = f.open_case(world, "年内到期")  # yellow Thu 24, red Tue 29 December: untouched
    clock.move_to(local(2026, 12, 29, 10, 0))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    untouched = timers(done_before)
    clock.move_to(local(2026, 12, 30, 9, 0))
    # A (made-up) official schedule: 1 and 4 January off, Saturday 9 January worked.
    enter_year_schedule(world["admin"], 2027, holidays=[date(2027, 1, 1), date(2027, 1, 4)],
                        working_days=[date(2027, 1, 9)])
    assert timers(case)["yellow_card"] == local(2027, 1, 5, 10, 0)
    assert timers(case)["red_card"] == local(2027, 1, 8, 10, 0)
    assert f.current_task(case).due_at == local(2027, 1, 5, 10, 0)
    assert f.reload(case).next_due_at == local(2027, 1, 5, 10, 0)
    assert timers(done_before) == untouched
    changes = db.session.scalars(select(TrailEvent).where(
        TrailEvent.case_id == case.id, TrailEvent.event == "due_time_recomputed")).all()
    assert {(e.data["timer"], e.data["to"]) for e in changes} == {
        ("3日黄牌", local(2027, 1, 5, 10, 0).astimezone(ZoneInfo("UTC")).isoformat()),
        ("6日红牌", local(2027, 1, 8, 10, 0).astimezone(ZoneInfo("UTC")).isoformat()),
        ("网格事项3日时限", local(2027, 1, 5, 10, 0).astimezone(ZoneInfo("UTC")).isoformat()),
    }
    told = db.session.scalars(select(Notification).where(
        Notification.case_id == case.id, Notification.kind == "due_time_moved")).all()
    assert world["grid_worker"].id in {n.user_id for n in told}
    assert "2027-01-05 10:00" in told[0].message
    assert not db.session.scalars(select(TrailEvent).where(
        TrailEvent.case_id == done_before.id, TrailEvent.event == "due_time_recomputed")).all()
    later = f.open_case(world, "录入安排之后")  # counted on the entered schedule from the start
    assert timers(later)["yellow_card"] == local(2027, 1, 6, 9, 0)
    # Changing the entry again recomputes again: 4 January is a working day after all.
    enter_year_schedule(world["admin"], 2027, holidays=[date(2027, 1, 1)], working_days=[])
    assert timers(case)["yellow_card"] == local(2027, 1, 4, 10, 0)


def test_a_weekend_pause_does_not_push_a_card_onto_a_rest_day(world, clock, working_days):
    clock.move_to(local(2026, 11, 24, 15, 0))  # Tuesday
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    assert timers(case)["red_card"] == local(2026, 12, 2, 15, 0)
    clock.move_to(local(2026, 11, 27, 18, 0))  # Friday evening
    clocks.pause_case_clock(world["dispatcher"], case.number, "周末当事人不在")
    clock.move_to(local(2026, 11, 30, 8, 0))  # Monday morning: 14 working hours paused
    clocks.resume_case_clock(world["dispatcher"], case.number)
    assert timers(case)["red_card"] == local(2026, 12, 3, 5, 0)  # Thursday, not Saturday 5 December
    assert timers(case)["red_card"].weekday() < 5
    assert timers(case)["mediation_limit"] == local(2026, 12, 24, 15, 0)  # a legal clock never stops


def test_a_weekend_pause_on_calendar_days_moves_limits_by_the_paused_time(world, clock):
    clock.move_to(local(2026, 11, 24, 15, 0))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    assert timers(case)["red_card"] == local(2026, 11, 30, 15, 0)
    clock.move_to(local(2026, 11, 27, 18, 0))
    clocks.pause_case_clock(world["dispatcher"], case.number, "周末当事人不在")
    clock.move_to(local(2026, 11, 30, 8, 0))
    clocks.resume_case_clock(world["dispatcher"], case.number)
    assert timers(case)["red_card"] == local(2026, 12, 3, 5, 0)  # 62 calendar hours later


def test_a_pause_across_national_day_counts_working_time(world, clock, working_days):
    clock.move_to(local(2026, 9, 29, 10, 0))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    assert timers(case)["yellow_card"] == local(2026, 10, 9, 10, 0)
    assert timers(case)["red_card"] == local(2026, 10, 13, 10, 0)
    clock.move_to(local(2026, 9, 30, 10, 0))
    clocks.pause_case_clock(world["dispatcher"], case.number, "当事人外出")
    clock.move_to(local(2026, 10, 8, 10, 0))  # one working day paused
    assert fire_due_timers().timers_fired == 0
    clocks.resume_case_clock(world["dispatcher"], case.number)
    assert timers(case)["yellow_card"] == local(2026, 10, 10, 10, 0)  # Saturday 10 October is worked
    assert timers(case)["red_card"] == local(2026, 10, 14, 10, 0)
    assert f.current_task(case).due_at == local(2026, 10, 10, 10, 0)  # the four-accounts step too
    assert timers(case)["mediation_limit"] == local(2026, 10, 29, 10, 0)


def test_a_pause_across_national_day_on_calendar_days(world, clock):
    clock.move_to(local(2026, 9, 29, 10, 0))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    clock.move_to(local(2026, 9, 30, 10, 0))
    clocks.pause_case_clock(world["dispatcher"], case.number, "当事人外出")
    clock.move_to(local(2026, 10, 8, 10, 0))
    assert fire_due_timers().timers_fired == 0  # the yellow card (2 October) waits
    clocks.resume_case_clock(world["dispatcher"], case.number)
    assert timers(case)["yellow_card"] == local(2026, 10, 10, 10, 0)
    assert timers(case)["red_card"] == local(2026, 10, 13, 10, 0)


@pytest.mark.parametrize(("opened", "working_due", "calendar_due"), [
    (local(2026, 9, 30, 0, 0), local(2026, 10, 10, 0, 0), local(2026, 10, 3, 0, 0)),
    (local(2026, 9, 30, 23, 59), local(2026, 10, 10, 23, 59), local(2026, 10, 3, 23, 59)),
    (local(2026, 10, 1, 0, 0), local(2026, 10, 11, 0, 0), local(2026, 10, 4, 0, 0)),  # 24:00 on Sat 10 Oct
    (local(2026, 10, 1, 23, 59), local(2026, 10, 11, 0, 0), local(2026, 10, 4, 23, 59)),
])
def test_cases_opened_at_midnight_around_national_day(world, clock, day_counting, opened, working_due, calendar_due):
    clock.move_to(opened)
    day_counting("calendar")
    assert timers(f.open_case(world, "自然日"))["yellow_card"] == calendar_due
    day_counting("working")
    assert timers(f.open_case(world, "工作日"))["yellow_card"] == working_due


def test_deadlines_do_not_depend_on_the_display_zone(app, world, clock, working_days):
    clock.move_to(local(2026, 11, 20, 17, 30))
    app.config["DISPLAY_TIMEZONE"] = "UTC"
    try:
        case = f.open_case(world)
    finally:
        app.config["DISPLAY_TIMEZONE"] = "Asia/Shanghai"
    assert timers(case)["yellow_card"] == local(2026, 11, 25, 17, 30)


def test_the_case_number_year_is_the_local_year(world, clock):
    clock.move_to(local(2027, 1, 1, 7, 0))  # 23:00 on 31 December in UTC
    assert f.open_case(world).number.startswith("JF-2027-")


def test_only_an_admin_enters_a_schedule_and_days_must_be_in_the_year(world):
    with pytest.raises(AccessDeniedError):
        enter_year_schedule(world["supervisor"], 2027, [date(2027, 1, 1)], [])
    with pytest.raises(InvalidInputError):
        enter_year_schedule(world["admin"], 2027, [date(2028, 1, 1)], [])


def test_a_paused_clock_fires_nothing_and_moves_due_times_on(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    before = timers(case)
    clock.shift(timedelta(days=1))
    clocks.pause_case_clock(world["dispatcher"], case.number, "申请人外出务工，下周返回")
    clock.shift(timedelta(days=5))
    assert fire_due_timers().timers_fired == 0
    assert f.reload(case).card == "none"
    clocks.resume_case_clock(world["dispatcher"], case.number)
    assert timers(case) == {name: due + timedelta(days=5) for name, due in before.items()}
    assert f.current_task(case).due_at == before["on_site_deadline"] + timedelta(days=5)
    events = db.session.scalars(select(TrailEvent.event).where(TrailEvent.case_id == case.id)).all()
    assert "clock_paused" in events and "clock_resumed" in events
    clock.shift(timedelta(days=2, minutes=1))  # 3 days of running clock in all
    fire_due_timers()
    assert sorted(fired(case)) == ["escalated", "yellow_card"]


def test_pausing_needs_a_reason_a_role_and_an_open_clock(world, clock):
    case = f.open_case(world)
    with pytest.raises(InvalidInputError):
        clocks.pause_case_clock(world["dispatcher"], case.number, "  ")
    with pytest.raises(AccessDeniedError):
        clocks.pause_case_clock(world["grid_worker"], case.number, "外出")
    with pytest.raises(InvalidInputError):
        clocks.resume_case_clock(world["dispatcher"], case.number)
    clocks.pause_case_clock(world["dispatcher"], case.number, "外出")
    with pytest.raises(InvalidInputError):
        clocks.pause_case_clock(world["dispatcher"], case.number, "再次")


def test_a_card_notifies_the_supervisor_and_the_people_who_can_act(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    clock.shift(timedelta(days=3, minutes=1))
    fire_due_timers()
    notified = {(n.user_id, n.kind) for n in db.session.scalars(select(Notification).where(Notification.case_id == case.id))}
    # the on-site task was escalated to the mediation room: its mediators hear of it
    assert (world["supervisor"].id, "yellow_card") in notified
    assert (world["mediator"].id, "escalated") in notified
    assert (world["mediator"].id, "yellow_card") in notified
    assert not any(user_id == world.outsider.id for user_id, _ in notified)


@pytest.mark.commits  # two threads, two connections
def test_two_sweeps_at_once_fire_each_timer_exactly_once(app, world, clock):
    cases = [f.open_case(world, f"并发 {i}") for i in range(6)]
    for case in cases:
        f.step(world, case, "triage_case", f.TRIAGE_L1)
    clock.shift(timedelta(days=3, minutes=1))
    case_ids = [case.id for case in cases]
    db.session.remove()
    barrier = threading.Barrier(2)
    reports = []

    def sweep():
        with app.app_context():
            barrier.wait()
            reports.append(fire_due_timers())
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.timers_fired for r in reports) == 2 * len(cases)
    assert all(r.failed_case_ids == () for r in reports)
    for case in (db.session.get(DisputeCase, case_id) for case_id in case_ids):
        assert sorted(fired(case)) == ["escalated", "yellow_card"]
        assert f.current_task(case).bpmn_id == "assess_four_accounts"


def test_a_sweep_that_crashes_halfway_loses_nothing_and_the_next_one_completes(world, clock, monkeypatch):
    first, second = f.open_case(world, "第一件"), f.open_case(world, "第二件")
    clock.shift(timedelta(days=3, minutes=1))
    original = engine.fire_due_timers
    calls = []

    def crash_on_second(state, calendar, **options):
        calls.append(state)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return original(state, calendar, **options)

    monkeypatch.setattr(engine, "fire_due_timers", crash_on_second)
    report = fire_due_timers()  # the 1-day triage limit and the yellow card of each case
    assert report.timers_fired == 2 and len(report.failed_case_ids) == 1 and report.remaining == 1
    crashed = f.reload(first) if report.failed_case_ids[0] == first.id else f.reload(second)
    assert crashed.card == "none" and fired(crashed) == []
    assert db.session.scalar(select(func.count()).select_from(PendingTimer).where(
        PendingTimer.case_id == crashed.id)) == 3
    monkeypatch.setattr(engine, "fire_due_timers", original)
    assert fire_due_timers().timers_fired == 2
    assert f.reload(first).card == f.reload(second).card == "yellow"


def test_timers_that_fell_due_while_down_fire_on_the_first_sweep(app, world, clock):
    from scheduler import build_scheduler
    from scheduler.jobs import sweep

    case = f.open_case(world)
    clock.shift(timedelta(days=10))  # the system was down for ten days
    job = build_scheduler(app).get_job("sweep")
    assert job.next_run_time <= datetime.now(ZoneInfo("UTC"))  # runs as soon as the scheduler starts
    sweep(app)
    assert sorted(fired(case)) == ["red_card", "step_overdue", "yellow_card"]
    assert f.reload(case).card == "red"


def test_the_red_card_comes_on_the_sixth_working_day(world, clock, working_days):
    clock.move_to(local(2026, 9, 29, 10, 0))  # Tuesday before National Day
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    # working days: 30 Sep, 8, 9, 10 (adjusted Saturday), 12, 13 October
    assert timers(case)["red_card"] == local(2026, 10, 13, 10, 0)
    clock.move_to(local(2026, 10, 13, 9, 59))
    fire_due_timers()
    assert f.reload(case).card == "yellow"
    clock.move_to(local(2026, 10, 13, 10, 1))
    fire_due_timers()
    assert f.reload(case).card == "red"


def test_police_matters_count_clock_hours_on_calendar_days_too(world, clock):
    clock.move_to(local(2026, 9, 30, 20, 0))
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_RISK)
    assert f.current_task(case).due_at == local(2026, 10, 1, 20, 0)


def test_the_calendar_is_kept_per_process_until_an_admin_changes_a_schedule(world):
    from app.services.time_limits.year_schedules import current_calendar

    calendar = current_calendar()
    assert current_calendar() is calendar and 2027 not in calendar.schedules
    enter_year_schedule(world["admin"], 2027, holidays=[date(2027, 1, 1)], working_days=[])
    fresh = current_calendar()
    assert fresh is not calendar and fresh.schedules[2027].holidays == {date(2027, 1, 1)}
    assert current_calendar() is fresh

"""The time-limit record: every user task on the clock, breaches recorded once when they happen, on-time
flags at completion and closure, the earliest pending due time kept on the case."""
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import PendingTimer, Task, TrailEvent
from app.services.intake.handoffs import IncomingHandoff, hand_off_case
from app.services.time_limits import pauses as clocks
from app.services.time_limits.timers import fire_due_timers
from tests import factories as f
from tests.conftest import START


def breaches(case) -> list[TrailEvent]:
    return list(db.session.scalars(select(TrailEvent).where(
        TrailEvent.case_id == case.id, TrailEvent.event == "limit_breached").order_by(TrailEvent.seq)))


def all_tasks(case) -> list[Task]:
    db.session.expire_all()
    return list(db.session.scalars(select(Task).where(Task.case_id == case.id).order_by(Task.id)))


def test_every_user_task_has_a_due_time(world, clock):
    walks = [
        [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_FAILED), ("assess_four_accounts", f.FOUR_ACCOUNTS),
         ("hold_mediation_session", f.SESSION_CONFIRM), ("refer_judicial_confirmation", f.JUDICIAL),
         ("follow_up_visit", f.FOLLOW_UP)],
        [("triage_case", f.TRIAGE_L3), ("consult_jointly", f.CONSULT_RISK), ("handle_violence_risk", f.POLICE_TAKEN_OVER)],
    ]
    seen = set()
    for walk in walks:
        case = f.open_case(world)
        for bpmn_id, data in walk:
            assert f.current_task(case).due_at is not None, bpmn_id
            f.step(world, case, bpmn_id, data)
        assert f.reload(case).status == "closed"
        assert all(task.due_at is not None and task.on_time is True for task in all_tasks(case))
        seen.update(task.bpmn_id for task in all_tasks(case))
    assert seen == {"triage_case", "mediate_on_site", "assess_four_accounts", "hold_mediation_session",
                    "refer_judicial_confirmation", "follow_up_visit", "consult_jointly", "handle_violence_risk"}


def test_a_police_hand_off_gets_the_24_hour_clock(world, clock):
    result = hand_off_case(world["police_officer"], IncomingHandoff(
        system="web", incident_number="110-0001", title="邻里噪音纠纷", grid_code="G1"))
    assert f.current_task(result.case).due_at == START + timedelta(hours=24)
    assert f.current_task(f.open_case(world)).due_at == START + timedelta(days=1)  # calendar days here


def test_a_breach_is_recorded_at_completion_between_sweeps(world, clock):
    case = f.open_case(world)
    clock.shift(timedelta(days=1, hours=1))  # the 1-day triage limit passed; no sweep ran
    triage = f.step(world, case, "triage_case", f.TRIAGE_L1)
    db.session.expire_all()
    assert (triage.breached_at, triage.on_time) == (START + timedelta(days=1), False)
    [event] = breaches(case)
    assert event.task_id == triage.id and event.occurred_at == START + timedelta(days=1, hours=1)
    clock.shift(timedelta(days=2))  # past the yellow card (day 3), still no sweep
    f.step(world, case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    case = f.reload(case)
    assert case.breached_at == START + timedelta(days=3)  # handling ended after its closing limit
    assert case.due_at == START + timedelta(days=3)
    assert fire_due_timers().timers_fired == 0  # the dropped timers never fire later
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    case = f.reload(case)
    assert (case.status, case.on_time) == ("closed", False)
    assert len(breaches(case)) == 2  # the triage task and the case, once each


def test_a_breach_is_recorded_by_the_sweep_when_the_limit_passes_and_only_once(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    clock.shift(timedelta(days=3, minutes=1))
    fire_due_timers()  # the yellow card and the four-accounts limit
    task = f.current_task(case)
    assert task.breached_at == START + timedelta(days=3)
    assert f.reload(case).breached_at == START + timedelta(days=3)
    clock.shift(timedelta(days=3))
    fire_due_timers()  # the red card: nothing breached twice
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    assert len(breaches(case)) == 2
    assert db.session.get(Task, task.id).on_time is False


def test_an_on_time_case_closes_on_time(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    clock.shift(timedelta(days=1))
    f.step(world, case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    clock.shift(timedelta(days=5))  # the follow-up visit comes later, within its own 15 days
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    case = f.reload(case)
    assert (case.status, case.on_time, case.breached_at, case.due_at) == ("closed", True, None, START + timedelta(days=3))
    assert breaches(case) == [] and case.next_due_at is None


def test_nothing_is_breached_while_the_clock_is_paused(world, clock):
    case = f.open_case(world)
    clocks.pause_case_clock(world["dispatcher"], case.number, "当事人外出")
    clock.shift(timedelta(days=2))
    triage = f.step(world, case, "triage_case", f.TRIAGE_L1)
    assert (triage.breached_at, triage.on_time) == (None, True)


def test_the_case_keeps_its_earliest_pending_due_time(world, clock):
    case = f.open_case(world)
    assert f.reload(case).next_due_at == START + timedelta(days=1)  # triage
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    assert f.reload(case).next_due_at == START + timedelta(days=3)  # the four accounts and the yellow card
    clock.shift(timedelta(days=3, minutes=1))
    fire_due_timers()
    due = db.session.scalars(select(PendingTimer.due_at).where(PendingTimer.case_id == case.id)).all()
    assert f.reload(case).next_due_at == min(due) == START + timedelta(days=6)


def test_the_judicial_confirmation_window_is_the_tasks_limit_and_both_clocks_show(client, auth, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    auth.login("mediator")
    page = client.get(f"/tasks/{f.current_task(case).id}").get_data(as_text=True)
    assert 'data-timer="mediation_limit"' in page and "2026-12-24 09:00" in page  # the 30-day mediation limit
    f.step(world, case, "hold_mediation_session", f.SESSION_CONFIRM)
    task = f.current_task(case)
    assert task.bpmn_id == "refer_judicial_confirmation" and task.due_at == START + timedelta(days=30)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-timer="confirmation_reminder"' in page and 'data-timer="confirmation_window"' in page
    assert "2026-12-19 09:00" in page and "2026-12-24 09:00" in page
    assert 'data-timer="confirmation_window"' in client.get(f"/cases/{case.number}").get_data(as_text=True)


def test_a_pause_does_not_stop_the_statutory_clocks(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    clock.shift(timedelta(days=1))
    clocks.pause_case_clock(world["mediator"], case.number, "当事人住院")
    clock.shift(timedelta(days=29, minutes=1))
    report = fire_due_timers()
    assert report.timers_fired == 1 and report.remaining == 0
    fired = db.session.scalars(select(TrailEvent.data).where(
        TrailEvent.case_id == case.id, TrailEvent.event == "timer_fired")).all()
    assert [data["signal"] for data in fired] == ["mediation_overdue"]
    assert f.reload(case).card == "none"  # the cards wait for the clock to run again
    clocks.resume_case_clock(world["mediator"], case.number)
    assert db.session.scalar(select(PendingTimer.due_at).where(
        PendingTimer.case_id == case.id, PendingTimer.bpmn_id == "yellow_card")) == START + timedelta(days=32, minutes=1)

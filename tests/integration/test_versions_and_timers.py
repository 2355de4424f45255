"""Definition versions, and timers fired through fire_due_timers with a moved clock."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PendingTimer, ProcessDefinition, TrailEvent, WorkflowState
from app.services.design.processes import deploy_processes
from app.services.time_limits.timers import fire_due_timers
from forms.tasks import TASK_FORMS
from tests import factories as f
from tests.conftest import PROCESSES_DIR, START


def deploy_renamed_triage(tmp_path, name="研判分流（新版）"):
    bpmn = (PROCESSES_DIR / "dispute_mediation.bpmn").read_text(encoding="utf-8")
    (tmp_path / "dispute_mediation.bpmn").write_text(bpmn.replace('name="研判分流"', f'name="{name}"'),
                                                     encoding="utf-8")
    return deploy_processes(tmp_path, TASK_FORMS)


def events(case, name):
    return list(db.session.scalars(
        select(TrailEvent).where(TrailEvent.case_id == case.id, TrailEvent.event == name).order_by(TrailEvent.seq)
    ))


def test_deploying_an_unchanged_file_keeps_the_version(app, deployed):
    assert [(d.key, d.version, d.created) for d in deployed] == [("dispute_mediation", 1, True)]
    again = deploy_processes(PROCESSES_DIR, TASK_FORMS)
    assert [(d.version, d.created) for d in again] == [(1, False)]


def test_a_case_keeps_its_definition_version_after_a_new_one_is_deployed(world, clock, tmp_path):
    old_case = f.open_case(world, "旧版本案件")
    assert 'name="研判分流"' in (PROCESSES_DIR / "dispute_mediation.bpmn").read_text(encoding="utf-8")
    [deployment] = deploy_renamed_triage(tmp_path)
    assert (deployment.version, deployment.created) == (2, True)
    new_case = f.open_case(world, "新版本案件")
    assert f.current_task(new_case).name == "研判分流（新版）"
    versions = {
        case.id: db.session.scalar(select(ProcessDefinition.version).join(
            WorkflowState, WorkflowState.definition_id == ProcessDefinition.id).where(WorkflowState.case_id == case.id))
        for case in (old_case, new_case)
    }
    assert versions == {old_case.id: 1, new_case.id: 2}
    f.step(world, old_case, "triage_case", f.TRIAGE_L1)
    f.step(world, old_case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    f.step(world, old_case, "follow_up_visit", f.FOLLOW_UP)
    assert f.reload(old_case).status == "closed"
    assert db.session.scalars(select(WorkflowState.definition_id).where(WorkflowState.case_id == old_case.id)).one() \
        == db.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.version == 1))


def test_pending_timers_are_mirrored_with_their_due_times(world, clock):
    case = f.open_case(world)
    timers = {t.bpmn_id: t.due_at for t in db.session.scalars(select(PendingTimer).where(PendingTimer.case_id == case.id))}
    assert timers == {"yellow_card": START + timedelta(days=3), "red_card": START + timedelta(days=6),
                      "triage_deadline": START + timedelta(days=1)}


def test_nothing_fires_before_its_time(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    clock.shift(timedelta(days=3) - timedelta(minutes=1))
    report = fire_due_timers()
    assert (report.cases_advanced, report.timers_fired) == (0, 0)
    assert f.current_task(case).bpmn_id == "mediate_on_site"


def test_three_days_on_site_escalate_to_the_mediation_room_and_raise_a_yellow_card(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    on_site = f.current_task(case)
    clock.shift(timedelta(days=3, minutes=1))
    report = fire_due_timers()
    assert (report.cases_advanced, report.timers_fired, report.failed_case_ids) == (1, 2, ())
    case = f.reload(case)
    assert (case.card, case.tier, case.status) == ("yellow", 2, "open")
    db.session.refresh(on_site)
    assert on_site.state == "cancelled"
    assert f.current_task(case).bpmn_id == "assess_four_accounts"
    assert {e.data["signal"] for e in events(case, "timer_fired")} == {"escalated", "yellow_card"}
    assert [e.data["card"] for e in events(case, "card_raised")] == ["yellow"]
    assert fire_due_timers().timers_fired == 0  # fired once, not again


def test_six_days_raise_a_red_card_and_the_case_runs_on(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    clock.shift(timedelta(days=3, minutes=1))
    fire_due_timers()
    clock.shift(timedelta(days=3))
    report = fire_due_timers()
    assert report.timers_fired == 1
    case = f.reload(case)
    assert case.card == "red"
    assert [e.data["card"] for e in events(case, "card_raised")] == ["yellow", "red"]
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    f.step(world, case, "hold_mediation_session", f.SESSION_AGREEMENT)
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    assert f.reload(case).status == "closed"
    assert db.session.scalars(select(PendingTimer).where(PendingTimer.case_id == case.id)).all() == []


def test_the_police_24_hour_limit_fires_without_taking_the_task_away(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_RISK)
    police_task = f.current_task(case)
    assert police_task.due_at == START + timedelta(hours=24)
    clock.shift(timedelta(hours=24, minutes=1))
    assert fire_due_timers().timers_fired == 1
    assert [e.data["signal"] for e in events(case, "timer_fired")] == ["police_overdue"]
    assert f.current_task(case).id == police_task.id
    assert f.reload(case).card == "none"


def test_a_sweep_only_loads_cases_with_due_timers(world, clock, monkeypatch):
    due, not_due = f.open_case(world, "到期"), None
    clock.shift(timedelta(days=2, hours=12))
    not_due = f.open_case(world, "未到期")  # its 1-day triage limit falls due after the sweep
    clock.shift(timedelta(hours=12, minutes=1))
    loaded = []
    from app.services import engine
    original = engine.fire_due_timers
    monkeypatch.setattr(engine, "fire_due_timers", lambda state, calendar, **options: loaded.append(state) or original(state, calendar, **options))
    report = fire_due_timers()
    assert (len(loaded), report.cases_advanced) == (1, 1)
    assert (f.reload(due).card, f.reload(not_due).card) == ("yellow", "none")


def test_a_file_deploy_is_validated_like_a_designers(app, deployed, tmp_path):
    from app.services.errors import DefinitionInvalidError

    bpmn = (PROCESSES_DIR / "dispute_mediation.bpmn").read_text(encoding="utf-8")
    (tmp_path / "dispute_mediation.bpmn").write_text(bpmn.replace('camunda:formKey="triage"', 'camunda:formKey="nope"'),
                                                     encoding="utf-8")
    with pytest.raises(DefinitionInvalidError) as refused:
        deploy_processes(tmp_path, TASK_FORMS)
    assert [problem.element_id for problem in refused.value.problems] == ["triage_case"]
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) == 1

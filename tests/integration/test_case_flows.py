"""Cases driven through the real BPMN in processes/ by the service layer, one test per path."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Category, Task, TrailEvent, WorkflowState
from app.services.cases.documents import render_pending_documents
from app.services.supervision import trail
from tests import factories as f
from tests.conftest import START


def trail_events(case) -> list[str]:
    return list(db.session.scalars(
        select(TrailEvent.event).where(TrailEvent.case_id == case.id).order_by(TrailEvent.seq)
    ))


def completed_steps(case) -> list[str]:
    return list(db.session.scalars(
        select(Task.bpmn_id).where(Task.case_id == case.id, Task.state == "completed").order_by(Task.id)
    ))


def test_opening_a_case_numbers_it_routes_it_to_triage_and_traces_it(world, clock):
    case = f.open_case(world)
    assert case.number == "JF-2026-000001"
    assert f.open_case(world, "第二件").number == "JF-2026-000002"
    task = f.current_task(case)
    assert (task.bpmn_id, task.roles, task.grid_id) == ("triage_case", ["dispatcher"], world.grid.id)
    assert case.status == "open" and case.card == "none"
    assert trail_events(case) == ["case_opened", "task_created"]
    state = db.session.get(WorkflowState, case.id)
    assert state.serializer_version.startswith("spiff-") and state.version == 1


def test_level_one_agreement_closes_after_the_follow_up_visit(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    assert f.reload(case).tier == 1
    f.step(world, case, "mediate_on_site", f.ON_SITE_AGREEMENT)
    assert f.current_task(case).bpmn_id == "follow_up_visit"
    assert f.reload(case).status == "open"
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    case = f.reload(case)
    assert (case.status, case.outcome, case.closed_at is not None) == ("closed", "agreement", True)
    assert case.close_seconds == (case.closed_at - case.opened_at).total_seconds()  # the dashboard's percentiles
    assert f.ready_tasks(case) == []
    assert completed_steps(case) == ["triage_case", "mediate_on_site", "follow_up_visit"]
    # Closing is the step's last entry; the documents it asked for are rendered after its commit, each
    # entered in the same chain.
    assert trail_events(case)[-1] == "case_closed"
    render_pending_documents()
    assert trail_events(case)[-8:] == ["case_closed"] + ["document_generated"] * 7
    assert trail.verify_trails(case.number).breaks == []


def test_level_one_failure_goes_to_the_mediation_room_which_settles_it(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    f.step(world, case, "mediate_on_site", f.ON_SITE_FAILED)
    assert f.reload(case).tier == 2
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    f.step(world, case, "hold_mediation_session", f.SESSION_CONTINUE)
    f.step(world, case, "hold_mediation_session", f.SESSION_AGREEMENT)
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    case = f.reload(case)
    assert (case.status, case.outcome, case.tier) == ("closed", "agreement", 2)
    assert completed_steps(case) == ["triage_case", "mediate_on_site", "assess_four_accounts",
                                     "hold_mediation_session", "hold_mediation_session", "follow_up_visit"]
    assert "tier_changed" in trail_events(case)


def test_mediation_room_agreement_with_judicial_confirmation_is_referred_to_court(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L2)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    f.step(world, case, "hold_mediation_session", f.SESSION_CONFIRM)
    assert f.current_task(case).bpmn_id == "refer_judicial_confirmation"
    f.step(world, case, "refer_judicial_confirmation", f.JUDICIAL)
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    assert f.reload(case).outcome == "agreement"


@pytest.mark.parametrize("consultation, outcome", [
    (f.CONSULT_AGREEMENT, "agreement"),
    (f.CONSULT_ENDED, "mediation_ended"),
])
def test_levels_one_two_three_reach_each_outcome(world, clock, consultation, outcome):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    f.step(world, case, "mediate_on_site", f.ON_SITE_FAILED)
    f.step(world, case, "assess_four_accounts", f.FOUR_ACCOUNTS)
    f.step(world, case, "hold_mediation_session", f.SESSION_FAILED)
    assert f.reload(case).tier == 3
    f.step(world, case, "consult_jointly", consultation)
    f.step(world, case, "follow_up_visit", f.FOLLOW_UP)
    case = f.reload(case)
    assert (case.status, case.outcome) == ("closed", outcome)


def test_level_three_judicial_confirmation_referral(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L3)
    f.step(world, case, "consult_jointly", {**f.CONSULT_AGREEMENT, "judicial_confirmation": True})
    f.step(world, case, "refer_judicial_confirmation", f.JUDICIAL)
    assert f.current_task(case).bpmn_id == "follow_up_visit"


def test_violence_risk_at_triage_goes_to_the_police_who_take_it_over(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_RISK)
    task = f.current_task(case)
    assert (task.bpmn_id, task.roles) == ("handle_violence_risk", ["police_officer"])
    assert task.due_at == START + timedelta(hours=24)
    case = f.reload(case)
    assert case.violence_risk is True
    f.step(world, case, "handle_violence_risk", f.POLICE_TAKEN_OVER)
    case = f.reload(case)
    assert (case.status, case.outcome) == ("closed", "transferred_to_police")
    assert "follow_up_visit" not in completed_steps(case)


@pytest.mark.parametrize("reach_tier, failing_step", [
    (1, [("mediate_on_site", f.ON_SITE_RISK)]),
    (3, [("consult_jointly", f.CONSULT_RISK)]),
])
def test_violence_risk_from_any_tier_goes_to_the_police_and_back(world, clock, reach_tier, failing_step):
    case = f.open_case(world)
    f.step(world, case, "triage_case", {**f.TRIAGE_L1, "tier": reach_tier})
    for bpmn_id, data in failing_step:
        f.step(world, case, bpmn_id, data)
    assert f.current_task(case).bpmn_id == "handle_violence_risk"
    f.step(world, case, "handle_violence_risk", f.POLICE_RETURNED)
    assert f.current_task(case).bpmn_id == "assess_four_accounts"
    assert f.reload(case).tier == 2


def test_triage_category_updates_the_case(world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", {**f.TRIAGE_L1, "category": "family"})
    family = db.session.scalar(select(Category.id).where(Category.code == "family"))
    assert f.reload(case).category_id == family
    assert "category_changed" in trail_events(case)

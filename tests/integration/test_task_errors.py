"""Bad input, stale and concurrent submissions change nothing."""
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PendingTimer, Task, TrailEvent, WorkflowState
from app.services.cases import tasks
from app.services.design.processes import add_version
from app.services.errors import (
    AccessDeniedError,
    ConcurrentUpdateError,
    InvalidInputError,
    NotFoundError,
    ProcessError,
    TaskNotReadyError,
)
from tests import factories as f
from tests.conftest import PROCESSES_DIR


def snapshot(case):
    """Everything a step writes, to compare before and after a refused step."""
    db.session.expire_all()
    return (
        db.session.get(WorkflowState, case.id).state,
        db.session.get(WorkflowState, case.id).version,
        db.session.scalar(select(func.count()).select_from(TrailEvent).where(TrailEvent.case_id == case.id)),
        [(t.id, t.state) for t in db.session.scalars(select(Task).where(Task.case_id == case.id).order_by(Task.id))],
        [(t.bpmn_id, t.due_at) for t in db.session.scalars(select(PendingTimer).where(PendingTimer.case_id == case.id)
                                                           .order_by(PendingTimer.bpmn_id))],
        f.reload(case).status,
    )


def test_completing_a_task_twice_is_refused_and_changes_nothing(world, clock):
    case = f.open_case(world)
    task = f.step(world, case, "triage_case", f.TRIAGE_L1)
    before = snapshot(case)
    with pytest.raises(TaskNotReadyError):
        tasks.submit_task(world["dispatcher"], task.id, f.TRIAGE_L2)
    assert snapshot(case) == before


def test_an_unsafe_data_key_is_refused_and_changes_nothing(world, clock):
    case = f.open_case(world)
    before = snapshot(case)
    task = f.current_task(case)
    with pytest.raises(InvalidInputError):
        tasks.submit_task(world["dispatcher"], task.id, {**f.TRIAGE_L1, "__builtins__": {}})
    assert snapshot(case) == before


def test_a_step_the_process_cannot_run_is_a_process_error_and_changes_nothing(world, clock):
    """A gateway condition naming data no form sets fails mid-step: the whole step rolls back.
    (Deploys refuse such a diagram after a dry run; one stored before that check existed still runs.)"""
    bpmn = (PROCESSES_DIR / "dispute_mediation.bpmn").read_text(encoding="utf-8")
    add_version(bpmn.replace("violence_risk == True", "violence_risk == risk_level_never_set"), None)
    case = f.open_case(world)
    before = snapshot(case)
    with pytest.raises(ProcessError, match="risk_level_never_set"):
        tasks.submit_task(world["dispatcher"], f.current_task(case).id, f.TRIAGE_L1)
    assert snapshot(case) == before


def test_a_user_without_the_role_is_refused(world, clock):
    case = f.open_case(world)
    task = f.current_task(case)
    before = snapshot(case)
    with pytest.raises(AccessDeniedError):
        tasks.submit_task(world["grid_worker"], task.id, f.TRIAGE_L1)
    assert snapshot(case) == before


def test_a_user_outside_the_grid_does_not_see_the_task(world, clock):
    case = f.open_case(world)
    task = f.current_task(case)
    with pytest.raises(NotFoundError):
        tasks.submit_task(world.outsider, task.id, f.TRIAGE_L1)


@pytest.mark.commits  # two threads, two connections
def test_two_users_completing_the_same_task_at_once_only_one_wins(app, world, clock):
    case = f.open_case(world)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    task_id = f.current_task(case).id
    user_ids = [world["grid_worker"].id, world["police_officer"].id]
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(user_id):
        with app.app_context():
            from app.models import User
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                tasks.submit_task(user, task_id, f.ON_SITE_AGREEMENT)
                outcomes.append("ok")
            except (TaskNotReadyError, ConcurrentUpdateError) as error:
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "ok" and outcomes.count("ok") == 1, outcomes
    completed = db.session.scalars(select(Task).where(Task.case_id == case.id, Task.bpmn_id == "mediate_on_site")).all()
    assert [t.state for t in completed] == ["completed"]
    assert f.current_task(case).bpmn_id == "follow_up_visit"
    events = db.session.scalars(select(TrailEvent.event).where(TrailEvent.case_id == case.id)).all()
    assert events.count("task_completed") == 2  # triage + the one winning on-site submission

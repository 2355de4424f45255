"""Task lists and completing a user task: the step that moves a case."""
from typing import Any

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import DisputeCase, Task, User
from app.services import engine
from app.services.cases import lists as listing
from app.services.cases.documents import check_step_data, request_step_documents
from app.services.cases.mirror import lock_task_workflow, record_step, saved_state
from app.services.cases.submissions import record_submission
from app.services.errors import JiefenError, NotFoundError, TaskNotReadyError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.time_limits.year_schedules import current_calendar
from app.services.transaction import transaction


def get_task(actor: User, task_id: int) -> Task:
    task = db.session.get(Task, task_id)
    if task is None:
        raise NotFoundError(_("没有找到该任务。"))
    access.ensure_case_visible(actor, task.case)
    return task


def can_do_task(actor: User, task: Task) -> bool:
    if task.state != "ready":
        return False
    try:
        access.ensure_can_do_task(actor, task)
    except JiefenError:
        return False
    return True


def list_my_tasks(actor: User, wanted: listing.ListFilter | None = None) -> Pagination:
    """Ready tasks claimed by the actor or claimable by their role in their scope; due first."""
    return _ready_tasks(access.actionable_tasks(actor), wanted or listing.ListFilter(sort="due"))


def list_team_tasks(actor: User, wanted: listing.ListFilter | None = None) -> Pagination:
    """Ready tasks of every case the actor may see, whoever may do or holds them; due first."""
    return _ready_tasks(access.team_tasks(actor), wanted or listing.ListFilter(sort="due"))


@transaction
def submit_task(actor: User, task_id: int, data: dict[str, Any], client_id: str | None = None) -> Task:
    """Complete a ready task with validated form data, run the process on and mirror the result.

    The workflow row is locked (found through the task, in one statement) before the task is read,
    so a double or concurrent submission finds the task no longer ready and changes nothing.
    """
    workflow = lock_task_workflow(task_id)
    # Read under the lock (found by it), in one statement with its roles, its case and the case's category (which
    # the step compares with the category the process data names).
    task = db.session.get_one(Task, task_id, populate_existing=True, options=[
        joinedload(Task.candidate_roles), joinedload(Task.case).joinedload(DisputeCase.category)])
    case = access.ensure_case_visible(actor, task.case)
    if task.state != "ready":
        raise TaskNotReadyError(_("该任务已办理或已不在当前环节，请刷新后查看案件的最新状态。"))
    access.ensure_can_do_task(actor, task)
    check_step_data(case, task, data)
    result = engine.complete_task(saved_state(workflow), task.engine_task_id, data, current_calendar(),
                                  paused=case.clock_paused_at is not None)
    now = clock.now()
    task.state, task.completed_at, task.completed_by_id = "completed", now, actor.id
    task.submitted_data = dict(data)
    append_event(case.id, TrailEventType.TASK_COMPLETED, actor=actor, at=now, task_id=task.id,
                 data={"task": task.name, "bpmn_id": task.bpmn_id, "form": dict(data)})
    record_step(case, workflow, result, actor=actor, now=now, completed_task=task)
    record_submission(actor, client_id, "task", case.id, task.id, now)
    request_step_documents(case, task, actor, now)
    return task


def _ready_tasks(condition, wanted: listing.ListFilter) -> Pagination:
    """Outer-joined to their cases, which never adds or drops a row (every task has its case): a join a list does
    not filter on is then left out by the database (PostgreSQL does not leave out an inner one). The page's cases
    and grids come in the page's statement, by primary key, rather than in two more (a dispatcher's page on
    PostgreSQL at 100,000 cases: 41-45 -> 35-37 ms); the holders, whom few tasks have, apart: joined too, the plan
    cost PostgreSQL more to make than the statement saved (a grid worker's page 13 -> 16-19 ms)."""
    query = (
        select(Task)
        .outerjoin(DisputeCase, DisputeCase.id == Task.case_id)
        .where(condition)
        .options(joinedload(Task.case).joinedload(DisputeCase.grid), selectinload(Task.assignee),
                 selectinload(Task.candidate_roles))
    )
    if wanted.tier:
        query = query.where(Task.tier == wanted.tier)
    if wanted.due_state:
        query = query.where(listing.due_state_condition(Task.due_at, wanted.due_state))
    query = listing.filter_cases(query, listing.ListFilter(
        category_id=wanted.category_id, grid_id=wanted.grid_id, text=wanted.text))
    if wanted.sort == "newest":
        query = query.order_by(Task.created_at.desc(), Task.id.desc())
    else:
        query = query.order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
    return listing.paginate(query, wanted.page)

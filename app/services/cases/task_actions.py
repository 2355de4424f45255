"""Tasklist actions on a ready task: claim, unclaim, assign to a colleague, hand back.

Each public function is one transaction: it locks the case's workflow row, re-reads the task, checks
access (services/access.py), changes the assignee with a conditional UPDATE (so a racing action
cannot be silently overwritten) and appends to the trail.
"""
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update

from app.extensions import db
from app.models import Task, User
from app.services.cases.mirror import lock_workflow
from app.services.errors import AccessDeniedError, TaskConflictError, TaskNotReadyError
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.transaction import transaction

MAX_REASON_LENGTH = 500
# "Whatever the page showed": assign/hand back without a stale check.
ANY = object()


@transaction
def claim_task(actor: User, task_id: int) -> Task:
    """Take a ready task from the group: it leaves colleagues' "my tasks" lists."""
    task = _lock_ready_task(actor, task_id)
    if task.assignee_id == actor.id:
        raise TaskConflictError(_("您已认领该任务。"))
    if (holder := task.assignee) is not None:
        raise TaskConflictError(_("该任务刚被%(assignee)s认领，请刷新后查看。", assignee=holder.display_name))
    access.ensure_can_do_task(actor, task, access.CLAIM_TASK)
    _set_assignee(task, expected=None, new=actor)
    append_event(task.case_id, TrailEventType.TASK_CLAIMED, actor=actor, at=clock.now(), task_id=task.id,
                 data={"task": task.name})
    return task


@transaction
def unclaim_task(actor: User, task_id: int) -> Task:
    """Release my own claim: the task goes back to the group."""
    task = _lock_ready_task(actor, task_id)
    if task.assignee_id != actor.id:
        raise TaskConflictError(_("该任务当前不由您认领，无需取消。"))
    _set_assignee(task, expected=actor.id, new=None)
    append_event(task.case_id, TrailEventType.TASK_UNCLAIMED, actor=actor, at=clock.now(), task_id=task.id,
                 data={"task": task.name})
    return task


@transaction
def assign_task(actor: User, task_id: int, assignee_id: int, seen_assignee_id=ANY) -> Task:
    """Give a ready task to a colleague who serves its grid in a role that does it.

    `seen_assignee_id` is the holder the actor's page showed (None: unclaimed); if the task changed
    hands since, nothing is changed and the actor is told so.
    """
    task = _lock_ready_task(actor, task_id)
    if seen_assignee_id is not ANY and task.assignee_id != seen_assignee_id:
        raise TaskConflictError(_("该任务的认领人刚刚变化，请刷新后再转派。"))
    assignee = access.ensure_can_assign_task(actor, task, db.session.get(User, assignee_id))
    if task.assignee_id == assignee.id:
        raise TaskConflictError(_("该任务已由%(assignee)s认领。", assignee=assignee.display_name))
    previous = task.assignee
    _set_assignee(task, expected=task.assignee_id, new=assignee)
    append_event(task.case_id, TrailEventType.TASK_ASSIGNED, actor=actor, at=clock.now(), task_id=task.id, data={
        "task": task.name, "assignee_id": assignee.id, "assignee": assignee.display_name,
        "previous": previous.display_name if previous else None,
    })
    return task


@transaction
def hand_back_task(actor: User, task_id: int, reason: str = "") -> Task:
    """Return a claimed task to its group (the holder, or a dispatcher for an absent holder)."""
    task = _lock_ready_task(actor, task_id)
    holder = task.assignee
    if holder is None:
        raise TaskConflictError(_("该任务未被认领，已在待办组中。"))
    access.ensure_can_hand_back_task(actor, task)
    _set_assignee(task, expected=holder.id, new=None)
    append_event(task.case_id, TrailEventType.TASK_HANDED_BACK, actor=actor, at=clock.now(), task_id=task.id, data={
        "task": task.name, "from": holder.display_name, "reason": reason.strip()[:MAX_REASON_LENGTH],
    })
    return task


def assignable_users(actor: User, task: Task) -> list[User]:
    """Colleagues the actor may give the task to (empty if they may not assign it)."""
    if task.state != "ready":
        return []
    query = select(User).where(access.users_serving_grid(task.grid_id, task.roles), User.id != actor.id)
    if task.assignee_id is not None:
        query = query.where(User.id != task.assignee_id)
    candidates = list(db.session.scalars(query.order_by(User.role, User.display_name)))
    try:
        access.ensure_can_assign_task(actor, task, candidates[0] if candidates else None)
    except AccessDeniedError:
        return []
    return candidates


def _lock_ready_task(actor: User, task_id: int) -> Task:
    task = access.ensure_task_visible(actor, db.session.get(Task, task_id))
    lock_workflow(task.case_id)
    db.session.refresh(task)
    if task.state != "ready":
        raise TaskNotReadyError(_("该任务已办理或已不在当前环节，请刷新后查看案件的最新状态。"))
    return task


def _set_assignee(task: Task, *, expected: int | None, new: User | None) -> None:
    """Change the holder only if it is still `expected`: a racing claim makes this fail loudly."""
    holder = Task.assignee_id.is_(None) if expected is None else Task.assignee_id == expected
    # An UPDATE's result is a CursorResult (with its rowcount); Session.execute is typed for any statement.
    changed = cast(CursorResult[Any], db.session.execute(
        update(Task).where(Task.id == task.id, Task.state == "ready", holder)
        .values(assignee_id=new.id if new else None)
        .execution_options(synchronize_session=False)
    )).rowcount
    if changed != 1:
        raise TaskConflictError(_("该任务刚被其他人处理，请刷新后查看。"))
    db.session.refresh(task)

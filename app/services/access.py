"""Who may see and do what: every access rule lives here, as SQL filters and checks."""
from sqlalchemy import ColumnElement, select, true

from app.models import ROLE_LABELS, DisputeCase, Task, User, user_grid
from app.services.errors import AccessDeniedError, NotFoundError

ROLES_THAT_REGISTER_CASES = frozenset({"grid_worker", "police_officer", "dispatcher", "mediator", "admin"})


def _grid_ids_of(actor: User):
    return select(user_grid.c.grid_id).where(user_grid.c.user_id == actor.id).scalar_subquery()


def visible_cases(actor: User) -> ColumnElement[bool]:
    """Cases an actor may see: those in the grids they serve (an admin sees all)."""
    if actor.role == "admin":
        return true()
    return DisputeCase.grid_id.in_(_grid_ids_of(actor))


def actionable_tasks(actor: User) -> ColumnElement[bool]:
    """Ready tasks an actor may do: their role is a candidate, in their grids, unclaimed or theirs."""
    return (
        (Task.state == "ready")
        & Task.candidate_roles.contains(f",{actor.role},")
        & Task.grid_id.in_(_grid_ids_of(actor))
        & ((Task.assignee_id.is_(None)) | (Task.assignee_id == actor.id))
    )


def team_tasks(actor: User) -> ColumnElement[bool]:
    """Ready tasks in the grids an actor serves, whoever may do them."""
    return (Task.state == "ready") & visible_tasks(actor)


def visible_tasks(actor: User) -> ColumnElement[bool]:
    if actor.role == "admin":
        return true()
    return Task.grid_id.in_(_grid_ids_of(actor))


def ensure_case_visible(actor: User, case: DisputeCase | None) -> DisputeCase:
    """A case outside the actor's scope answers as if it did not exist."""
    if case is None or not _serves_grid(actor, case.grid_id):
        raise NotFoundError("没有找到该案件。")
    return case


def ensure_can_do_task(actor: User, task: Task) -> None:
    if not _serves_grid(actor, task.grid_id):
        raise NotFoundError("没有找到该任务。")
    if actor.role not in task.roles:
        raise AccessDeniedError(f"“{task.name}”需要由 {'或'.join(ROLE_LABELS.get(role, role) for role in task.roles)} 角色办理。")
    if task.assignee_id is not None and task.assignee_id != actor.id:
        raise AccessDeniedError("该任务已由其他人认领。")


def ensure_can_register_case(actor: User, grid_id: int) -> None:
    if actor.role not in ROLES_THAT_REGISTER_CASES:
        raise AccessDeniedError("您的角色不能登记案件。")
    if not _serves_grid(actor, grid_id):
        raise AccessDeniedError("您不能为不属于您的网格登记案件。")


def _serves_grid(actor: User, grid_id: int) -> bool:
    return actor.role == "admin" or any(grid.id == grid_id for grid in actor.grids)

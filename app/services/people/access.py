"""Who may see and do what: every access rule lives here, as SQL filters and checks.

Two tables decide everything:
- SCOPES: where a role acts. A case routes automatically address → grid → the people serving that
  grid: the grid workers of the grid, the police officer of its police grid (警格), the mediation room
  serving it, the dispatchers, panel members and supervisors of its town.
- ALLOWED: what a role may do inside its scope. Outside the scope a case does not exist for the user
  (404); inside it, an action the role may not do is refused (403).
Task actions add the process's own rule: the task's candidate roles (camunda:candidateGroups) and
its assignee.
"""
from collections.abc import Callable, Sequence

from flask_babel import gettext as _
from sqlalchemy import BindParameter, ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    ROLE_LABELS,
    CaseRoute,
    Community,
    DisputeCase,
    Grid,
    Task,
    TaskCandidateRole,
    User,
    mediation_room_grid,
    user_grid,
)
from app.services.errors import AccessDeniedError, NotFoundError
from app.services.sql import LIKELY, likelihood, one_of

# Where each role acts.
SCOPES = {
    "grid_worker": "grids",          # the grids the user is assigned to (user_grid)
    "police_officer": "police_grid",  # every grid of the user's police grid
    "dispatcher": "town",
    "mediator": "room",               # the grids the user's mediation room serves
    "panel_member": "town",
    "supervisor": "town",
    "designer": "none",               # designs processes; sees no cases
    "admin": "all",
}
# Town roles whose area a set of grids can narrow: a grid's supervisor (网格督办) is a supervisor of the
# town who also serves grids (user_grid) and then sees only those grids.
NARROWED_BY_GRIDS = frozenset({"supervisor"})
# Roles that see, inside their area, only the cases routed to them: a case reaches a mediation room
# (or the joint consultation) when the process creates a task for the role — or, for a walk-in, when
# the user registered it.
ROUTED_ONLY = frozenset({"mediator", "panel_member"})

VIEW_CASE = "view_case"
VIEW_TASK = "view_task"
REGISTER_CASE = "register_case"
COMPLETE_TASK = "complete_task"
CLAIM_TASK = "claim_task"
ASSIGN_TASK = "assign_task"
HAND_BACK_TASK = "hand_back_task"
ADD_COMMENT = "add_comment"
ADD_ATTACHMENT = "add_attachment"
DOWNLOAD_ATTACHMENT = "download_attachment"
AUDIT_TRAIL = "audit_trail"  # be warned on the case page when its trail does not verify
PAUSE_CLOCK = "pause_clock"  # pause and resume a case's clock (a party away, an expert opinion awaited)
EXTEND_MEDIATION = "extend_mediation"  # extend the 30-day mediation limit, with both parties' consent
ACTIONS = (VIEW_CASE, VIEW_TASK, REGISTER_CASE, COMPLETE_TASK, CLAIM_TASK, ASSIGN_TASK, HAND_BACK_TASK,
           ADD_COMMENT, ADD_ATTACHMENT, DOWNLOAD_ATTACHMENT, AUDIT_TRAIL, PAUSE_CLOCK, EXTEND_MEDIATION)

_READ = {VIEW_CASE, VIEW_TASK, DOWNLOAD_ATTACHMENT}
_WORK = _READ | {COMPLETE_TASK, CLAIM_TASK, ASSIGN_TASK, HAND_BACK_TASK, ADD_COMMENT, ADD_ATTACHMENT}
# The clock and the mediation limit are kept by those who run the mediation (the town's dispatcher,
# the mediation room, the joint consultation), never by the field roles or the read-only supervisors.
_CLOCK = {PAUSE_CLOCK, EXTEND_MEDIATION}
# What each role may do inside its scope (the authorization matrix).
ALLOWED: dict[str, frozenset[str]] = {
    "grid_worker": frozenset(_WORK | {REGISTER_CASE}),
    "police_officer": frozenset(_WORK | {REGISTER_CASE}),
    "dispatcher": frozenset(_WORK | {REGISTER_CASE} | _CLOCK),
    "mediator": frozenset(_WORK | {REGISTER_CASE} | _CLOCK),
    "panel_member": frozenset(_WORK | _CLOCK),
    "supervisor": frozenset(_READ | {AUDIT_TRAIL}),  # read-only: watches time limits and audits trails
    "designer": frozenset(),
    "admin": frozenset(_WORK | {REGISTER_CASE, AUDIT_TRAIL} | _CLOCK),
}
# Roles that hand out work: they may assign or hand back any ready task in their scope, not only the
# tasks their own role does.
ASSIGNERS = frozenset({"dispatcher", "admin"})
# Task actions done *as a candidate* of the task (the process names the roles).



def may(actor: User, action: str) -> bool:
    """Whether the actor's role may do `action` at all (inside its scope)."""
    return action in ALLOWED.get(actor.role, frozenset())


# --- SQL filters -------------------------------------------------------------------------------

def area_grid_ids(actor: User) -> Select | None:
    """The ids of the grids an actor serves, as a subquery; None means everywhere."""
    kind = SCOPES.get(actor.role, "none")
    if kind == "all":
        return None
    if kind == "grids":
        return select(user_grid.c.grid_id).where(user_grid.c.user_id == actor.id)
    if kind == "police_grid":
        return select(Grid.id).where(Grid.police_grid_id == actor.police_grid_id)
    if kind == "room":
        return select(mediation_room_grid.c.grid_id).where(mediation_room_grid.c.room_id == actor.mediation_room_id)
    if kind == "town":
        town = select(Grid.id).join(Community, Community.id == Grid.community_id).where(
            Community.town_id == actor.town_id)
        if _narrowed_by_grids(actor):
            town = town.where(Grid.id.in_(select(user_grid.c.grid_id).where(user_grid.c.user_id == actor.id)))
        return town
    return select(Grid.id).where(false())


def _narrowed_by_grids(actor: User) -> bool:
    """Whether the actor's town is narrowed to the grids they serve (asked once per transaction): decided
    here rather than in SQL, so that a whole town's list is planned as one (see `_likely`)."""
    if actor.role not in NARROWED_BY_GRIDS:
        return False
    known = _transaction_memo()
    if ("grids", actor.id) not in known:
        known[("grids", actor.id)] = bool(db.session.scalar(
            select(exists().where(user_grid.c.user_id == actor.id))))
    return known[("grids", actor.id)]


def in_area(actor: User, grid_id_column) -> ColumnElement[bool]:
    grid_ids = area_grid_ids(actor)
    return true() if grid_ids is None else grid_id_column.in_(grid_ids.scalar_subquery())


def visible_cases(actor: User) -> ColumnElement[bool]:
    """Cases an actor may see: in their area, and routed to them where the role needs that. On PostgreSQL the area
    is its grids' ids, bound (`_bound_area`): asked as a subquery, PostgreSQL drove a town's lists from its 212
    grids, reading each grid's cases (the town's weekly supervision list 61 -> 29-39 ms, its dashboard 190 -> 120
    ms at 100,000 cases)."""
    if not may(actor, VIEW_CASE):
        return false()
    condition = in_area(actor, DisputeCase.grid_id)
    if SCOPES.get(actor.role) == "town" and not _narrowed_by_grids(actor):
        condition = _likely(condition)
    condition = _bound_area(actor, DisputeCase.grid_id, condition)
    if actor.role in ROUTED_ONLY:
        # One primary-key probe of the case's routes (kept with its tasks) per case. OFFSET 0 keeps it a
        # probe on PostgreSQL, which otherwise hashed the role's routes in the whole county first.
        routed = (select(CaseRoute.case_id).where(CaseRoute.case_id == DisputeCase.id, CaseRoute.role == actor.role)
                  .offset(0).exists())
        # The area first: a list walked in its order then checks each case's grid (bound, in the index entry)
        # before it probes the case's routes. With the area a subquery, PostgreSQL probed the routes of every case
        # of the county it passed (a panel member's "12" by urgency: 29,616 probes).
        condition = and_(condition, or_(routed, DisputeCase.opened_by_id == actor.id))
    return condition


def _bound_area(actor: User, grid_id_column, area: ColumnElement[bool]) -> ColumnElement[bool]:
    """`area` on PostgreSQL as the actor's grids' ids, read once per transaction and bound (`one_of`): PostgreSQL
    then checks them in the index entries it walks, and weighs them with its statistics of each grid."""
    grid_ids = area_grid_ids(actor)
    if grid_ids is None or db.engine.dialect.name != "postgresql":
        return area
    known = _transaction_memo()
    if ("area", actor.id) not in known:
        known[("area", actor.id)] = list(db.session.scalars(grid_ids))
    return one_of(grid_id_column, known[("area", actor.id)])


def _likely(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A town's cases are an eighth of the county's: SQLite, told so (likely()), walks a list's sort
    index and keeps the town's cases, a page within a few hundred rows, instead of reading and sorting
    the town's 12,000. Not for an area narrowed to a user's grids (a grid's supervisor): walking the
    county for a few grids' cases would read all of it. PostgreSQL weighs that from its statistics."""
    return likelihood(condition, LIKELY)


def visible_tasks(actor: User) -> ColumnElement[bool]:
    """Tasks of visible cases (the query must join DisputeCase on Task.case_id).

    A task carries its case's grid (mirror.py writes it; a case never changes grid): the area asked of the task
    reads a town's ready tasks through `ix_task_state_grid` instead of every ready task of the county, each
    joined to its case. Asked of the case as well, PostgreSQL hashed the town's 12,500 cases to join 630 tasks;
    only a reader of routed cases needs the case's own check (its routes)."""
    if actor.role in ROUTED_ONLY or not may(actor, VIEW_CASE):
        return and_(bound_area(actor, Task.grid_id), visible_cases(actor))
    return bound_area(actor, Task.grid_id)


def actionable_tasks(actor: User) -> ColumnElement[bool]:
    """"My tasks": ready tasks claimed by me, or unclaimed ones my role does in my area."""
    if not may(actor, COMPLETE_TASK):
        return false()
    return and_(
        Task.state == "ready",
        _has_candidate(actor.role),
        bound_area(actor, Task.grid_id),
        or_(Task.assignee_id.is_(None), Task.assignee_id == actor.id),
    )


def bound_area(actor: User, grid_id_column) -> ColumnElement[bool]:
    """`in_area`, on PostgreSQL with the grids' ids bound (`_bound_area`): asked as a subquery, a town's "my tasks"
    walked the county's ready tasks in their order joining each to its grid and community (the page 39 -> 12 ms)."""
    return _bound_area(actor, grid_id_column, in_area(actor, grid_id_column))


def team_tasks(actor: User) -> ColumnElement[bool]:
    """"My team's tasks": every ready task of the cases I may see, whoever does or holds it."""
    return and_(Task.state == "ready", visible_tasks(actor))


def users_serving_grid(grid_id: int | BindParameter[int], roles: Sequence[str]) -> ColumnElement[bool]:
    """Active users of `roles` whose scope covers the grid: whom a task on that grid may go to."""
    grid = select(Grid.police_grid_id, Community.town_id).join(
        Community, Community.id == Grid.community_id).where(Grid.id == grid_id).subquery()
    by_kind: dict[str, Callable[[], ColumnElement[bool]]] = {  # built for the roles asked only (a sweep asks often)
        "grids": lambda: exists().where(user_grid.c.user_id == User.id, user_grid.c.grid_id == grid_id),
        "police_grid": lambda: User.police_grid_id == select(grid.c.police_grid_id).scalar_subquery(),
        "room": lambda: User.mediation_room_id == select(mediation_room_grid.c.room_id).where(
            mediation_room_grid.c.grid_id == grid_id).scalar_subquery(),
        "town": lambda: User.town_id == select(grid.c.town_id).scalar_subquery(),
        "all": true,
    }
    per_role = [and_(User.role == role, by_kind[SCOPES[role]]()) for role in roles if SCOPES.get(role) in by_kind]
    return and_(User.active.is_(True), or_(false(), *per_role))


# Aliases are made once: a fresh one builds its columns afresh each time it is used (0.5 ms; 1.5 ms for a user).
_CANDIDATE = aliased(TaskCandidateRole, name="candidate")


def _has_candidate(role: str, task=Task) -> ColumnElement[bool]:
    """The task names the role among its candidates: one primary-key lookup per task."""
    return exists().where(_CANDIDATE.task_id == task.id, _CANDIDATE.role == role)


# --- Checks ------------------------------------------------------------------------------------

def can_see_case(actor: User, case_id: int) -> bool:
    """Asked once per transaction for an actor and a case, however many checks of a request need it."""
    known = _transaction_memo()
    if (actor.id, case_id) not in known:
        known[(actor.id, case_id)] = bool(db.session.scalar(
            select(exists().where(DisputeCase.id == case_id, visible_cases(actor)))))
    return known[(actor.id, case_id)]


def _transaction_memo() -> dict:
    """Answers kept for the session's current transaction only: a new transaction starts afresh."""
    current = db.session().get_transaction()
    held = db.session.info.get("access_memo")
    if held is None or held[0] is not current:
        held = db.session.info["access_memo"] = (current, {})
    return held[1]


def ensure_case_visible(actor: User, case: DisputeCase | None) -> DisputeCase:
    """A case outside the actor's scope answers as if it did not exist."""
    if case is None or not can_see_case(actor, case.id):
        raise NotFoundError(_("没有找到该案件。"))
    return case


def ensure_task_visible(actor: User, task: Task | None) -> Task:
    if task is None or not can_see_case(actor, task.case_id):
        raise NotFoundError(_("没有找到该任务。"))
    return task


def ensure_may(actor: User, action: str, case: DisputeCase | None) -> DisputeCase:
    """The case must be in scope (else 404) and the role allowed the action (else 403); returns the case."""
    visible = ensure_case_visible(actor, case)
    if not may(actor, action):
        raise AccessDeniedError(_("%(role)s不能执行此操作。", role=ROLE_LABELS.get(actor.role, actor.role)))
    return visible


def ensure_can_do_task(actor: User, task: Task, action: str = COMPLETE_TASK) -> None:
    """Complete or claim: in scope, a candidate role, and not held by someone else."""
    ensure_task_visible(actor, task)
    _ensure_candidate(actor, task, action)
    if (holder := task.assignee) is not None and holder.id != actor.id:
        raise AccessDeniedError(_("该任务已由%(assignee)s认领。", assignee=holder.display_name))


def ensure_can_assign_task(actor: User, task: Task, assignee: User | None) -> User:
    """Assign to a colleague: an assigner, or a candidate holding (or free to take) the task; the
    colleague must be able to do it — a candidate role, serving the task's grid. Returns the colleague."""
    ensure_task_visible(actor, task)
    if actor.role not in ASSIGNERS:
        _ensure_candidate(actor, task, ASSIGN_TASK)
        if (holder := task.assignee) is not None and holder.id != actor.id:
            raise AccessDeniedError(_("该任务已由%(assignee)s认领，只有认领人或调度员可以转派。", assignee=holder.display_name))
    elif not may(actor, ASSIGN_TASK):
        raise AccessDeniedError(_("您不能转派任务。"))
    if assignee is None or not db.session.scalar(select(exists().where(
            User.id == assignee.id, users_serving_grid(task.grid_id, task.roles)))):
        raise AccessDeniedError(_("只能转派给服务该网格、且可办理该任务的同事。"))
    return assignee


def ensure_can_hand_back_task(actor: User, task: Task) -> None:
    """Return a claimed task to its group: the holder, or an assigner."""
    ensure_task_visible(actor, task)
    if not may(actor, HAND_BACK_TASK):
        raise AccessDeniedError(_("%(role)s不能退回任务。", role=ROLE_LABELS.get(actor.role, actor.role)))
    if actor.role not in ASSIGNERS and task.assignee_id != actor.id:
        raise AccessDeniedError(_("只有认领人或调度员可以退回该任务。"))


def ensure_can_register_case(actor: User, grid_id: int) -> None:
    if not may(actor, REGISTER_CASE):
        raise AccessDeniedError(_("您的角色不能登记案件。"))
    grid_ids = area_grid_ids(actor)
    if grid_ids is not None and not db.session.scalar(select(exists().where(
            Grid.id == grid_id, Grid.id.in_(grid_ids.scalar_subquery())))):
        raise AccessDeniedError(_("您不能为不属于您的网格登记案件。"))


def _ensure_candidate(actor: User, task: Task, action: str) -> None:
    """The role may do the task. Its area is not asked again: the task is on its case's grid, and the caller
    has found the case visible, which asks the area."""
    if not may(actor, action) or actor.role not in task.roles:
        labels = _("或").join(str(ROLE_LABELS.get(role, role)) for role in task.roles)
        raise AccessDeniedError(_("“%(task)s”需要由 %(labels)s 角色办理。", task=task.name, labels=labels))


# --- Process design ---------------------------------------------------------------------------

# Who edits, deploys, rolls back and migrates processes; who watches where open cases wait.
DESIGNERS = frozenset({"designer", "admin"})
PROCESS_WATCHERS = DESIGNERS | {"supervisor"}


def can_design(actor: User) -> bool:
    return actor.role in DESIGNERS


def ensure_can_design(actor: User) -> None:
    if not can_design(actor):
        raise AccessDeniedError(_("只有流程设计员或系统管理员可以修改和部署流程。"))


def ensure_can_watch_processes(actor: User) -> None:
    if actor.role not in PROCESS_WATCHERS:
        raise AccessDeniedError(_("您没有权限查看流程。"))


def counted_cases(actor: User) -> ColumnElement[bool]:
    """Cases in a process's per-step counts: designers see totals of all, others what they may see."""
    return true() if actor.role in DESIGNERS else visible_cases(actor)


# --- Time limits ------------------------------------------------------------------------------

# Who reads the supervision lists (督办清单) and exports them.
SUPERVISORS = frozenset({"supervisor", "admin"})


def ensure_can_manage_clock(actor: User, action: str) -> None:
    """PAUSE_CLOCK (pause, resume) or EXTEND_MEDIATION, by the ALLOWED table (the case must be visible)."""
    if not may(actor, action):
        raise AccessDeniedError(_("您的角色不能暂停计时或延长期限。"))


def ensure_can_supervise(actor: User) -> None:
    if actor.role not in SUPERVISORS:
        raise AccessDeniedError(_("只有督办人员和系统管理员可以查看督办清单。"))


# --- Administration ---------------------------------------------------------------------------

# Who enters the working-day schedules (/admin/…).
ADMINISTRATORS = frozenset({"admin"})


def ensure_can_administer(actor: User) -> None:
    if actor.role not in ADMINISTRATORS:
        raise AccessDeniedError(_("只有系统管理员可以管理工作日历。"))


# --- Intake channels (police hand-offs, pushes to the police, door plates) ----------------------

ROLES_THAT_HAND_OFF = frozenset({"police_officer", "admin"})
ROLES_THAT_PUSH_TO_POLICE = frozenset({"dispatcher", "mediator", "admin"})
ROLES_THAT_PRINT_PLATES = frozenset({"grid_worker", "dispatcher", "admin"})


def ensure_can_hand_off(actor: User) -> None:
    """Handing a non-police call to mediation (the page, POST /api/v1/handoffs); the grid is checked
    when the case is registered."""
    if actor.role not in ROLES_THAT_HAND_OFF:
        raise AccessDeniedError(_("只有社区民警可以移交非警务警情。"))


def ensure_can_push_case(actor: User, case: DisputeCase | None) -> DisputeCase:
    """Pushing a case in scope to the police (双向推送); returns the case."""
    visible = ensure_case_visible(actor, case)
    if actor.role not in ROLES_THAT_PUSH_TO_POLICE:
        raise AccessDeniedError(_("只有调度员和人民调解员可以推送公安。"))
    return visible


def ensure_can_print_plates(actor: User) -> None:
    """The door-plate QR sheet of the addresses in the actor's area."""
    if actor.role not in ROLES_THAT_PRINT_PLATES:
        raise AccessDeniedError(_("您的角色不能打印门牌二维码。"))


# --- Accounts: sessions and log-in locks ---------------------------------------------------------

ACCOUNT_KEEPERS = frozenset({"admin"})


def ensure_can_manage_accounts(actor: User) -> None:
    """Seeing who is logged in and where log-ins fail, ending sessions, unlocking user names."""
    if actor.role not in ACCOUNT_KEEPERS:
        raise AccessDeniedError(_("只有系统管理员可以管理登录和会话。"))


# --- Dashboard --------------------------------------------------------------------------------

# Who reads the dashboard (一屏观全域) of their area and exports its tables.
DASHBOARD_VIEWERS = frozenset({"supervisor", "dispatcher", "admin"})


def ensure_can_view_dashboard(actor: User) -> None:
    if actor.role not in DASHBOARD_VIEWERS:
        raise AccessDeniedError(_("只有督办人员、调度员和系统管理员可以查看统计分析。"))


# --- What pages ask -----------------------------------------------------------------------------

# Actions not bound to a case, by the roles that may do them (the navigation and buttons ask `can`).
HAND_OFF = "hand_off"
PRINT_PLATES = "print_plates"
SUPERVISE = "supervise"
ADMINISTER = "administer"
DESIGN = "design"
WATCH_PROCESSES = "watch_processes"
VIEW_DASHBOARD = "view_dashboard"
MANAGE_ACCOUNTS = "manage_accounts"
HAND_OUT_WORK = "hand_out_work"  # assign or hand back any ready task in scope, not only one's own
ROLES_BY_ACTION = {
    HAND_OFF: ROLES_THAT_HAND_OFF,
    PRINT_PLATES: ROLES_THAT_PRINT_PLATES,
    SUPERVISE: SUPERVISORS,
    ADMINISTER: ADMINISTRATORS,
    DESIGN: DESIGNERS,
    WATCH_PROCESSES: PROCESS_WATCHERS,
    HAND_OUT_WORK: ASSIGNERS,
    VIEW_DASHBOARD: DASHBOARD_VIEWERS,
    MANAGE_ACCOUNTS: ACCOUNT_KEEPERS,
}


def can(actor: User, action: str, case: DisputeCase | None = None) -> bool:
    """Whether the actor may do `action` — on `case` if one is given (then it must also be visible).
    Templates ask this (`can('register_case')`) instead of listing roles."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if action in ROLES_BY_ACTION:
        allowed = actor.role in ROLES_BY_ACTION[action]
    elif action in ACTIONS:
        allowed = may(actor, action)
    else:
        raise ValueError(f"unknown action {action!r}")
    return allowed and (case is None or can_see_case(actor, case.id))

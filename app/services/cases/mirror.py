"""Writing an engine step into the database: state, task and timer mirrors, case fields, trail.

Helpers for the public service functions, which own the transaction: these only add and flush.
"""
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import CaseRoute, DisputeCase, PendingTimer, Task, TaskCandidateRole, User, WorkflowState
from app.models.dispute_case import CARDS
from app.services.cases.catalog import category_id_for
from app.services.design.processes import StoredSpecs, keep_specs
from app.services.engine import EngineResult, SavedState
from app.services.errors import NotFoundError
from app.services.sql import insert_on_conflict
from app.services.supervision.case_counts import counted, record_counts
from app.services.supervision.notifications import Notice, notify_case_people
from app.services.supervision.trail import TrailEventType, append_event

# What the last `result` of a closed workflow means for the case record.
OUTCOMES = {
    "agreement": "agreement",
    "ended": "mediation_ended",
    "taken_over": "transferred_to_police",
    "referred": "referred_to_sector_body",
}
CARD_SIGNALS = {"yellow_card": "yellow", "red_card": "red"}
# What people are told when a timer with this `signal` fires.
SIGNAL_MESSAGES = {
    "yellow_card": _l("案件 {number}「{title}」登记已满3日仍未办结，亮黄牌督办。"),
    "red_card": _l("案件 {number}「{title}」登记已满6日仍未办结，亮红牌，列入盯办。"),
    "police_overdue": _l("案件 {number}「{title}」的警务事项已超过24小时未处置完毕。"),
    "escalated": _l("案件 {number}「{title}」现场调解超过3日未化解，已自动上交人民调解室。"),
    "mediation_overdue": _l("案件 {number}「{title}」调解已满30日；如需延长，须经双方当事人同意并记录。"),
    "confirmation_window_closing": _l("案件 {number}「{title}」的调解协议申请司法确认期限（30日）即将届满。"),
    "confirmation_window_closed": _l("案件 {number}「{title}」的调解协议申请司法确认期限（30日）已届满。"),
    "step_overdue": _l("案件 {number}「{title}」有环节已超过时限，尚未办结。"),
}


def lock_workflow(case_id: int) -> WorkflowState:
    """Load a case's workflow row, locked against concurrent writers where the database can.

    SQLite has no row locks; there the version column makes the second writer fail instead.
    """
    state = db.session.scalars(select(WorkflowState).where(WorkflowState.case_id == case_id)
                               .with_for_update().execution_options(populate_existing=True)).first()
    if state is None:
        raise NotFoundError(str(_l("该案件没有流程实例。")))
    return state


def lock_task_workflow(task_id: int) -> WorkflowState:
    """`lock_workflow` for the case of a task, found in the same statement; NotFoundError without one."""
    state = db.session.scalars(
        select(WorkflowState)
        .where(WorkflowState.case_id == select(Task.case_id).where(Task.id == task_id).scalar_subquery())
        .with_for_update(of=WorkflowState)
        .execution_options(populate_existing=True)
    ).first()
    if state is None:
        raise NotFoundError(str(_l("没有找到该任务。")))
    return state


def saved_state(workflow: WorkflowState) -> SavedState:
    """A case's stored workflow as the engine loads it: the state, its format, its process version's specs."""
    return SavedState(workflow.state, workflow.serializer_version, StoredSpecs(workflow.definition_id))


def record_step(
    case: DisputeCase,
    workflow: WorkflowState,
    result: EngineResult,
    *,
    actor: User | None,
    now: datetime,
    completed_task: Task | None = None,
    notices: Sequence[Notice] = (),
) -> None:
    """Mirror an engine result: save the state, sync tasks and timers, update the case, trail it, and
    notify the case's people of the fired timers and of any other `notices` of the step.

    The case's ready tasks and pending timers are read once, before anything is written, and the writes
    go out together at the end: with autoflush on, each read flushed the writes so far (a statement per
    trail entry and notice, a unit of work per query)."""
    with db.session.no_autoflush:
        ready_rows = [row for row in db.session.scalars(_ready_tasks_statement(), {"case_id": case.id}).unique()
                      if row.state == "ready"]  # not the one completed now
        timer_rows = db.session.execute(_pending_timers_statement(), {"case_id": case.id}).all()
        workflow.state = result.state
        workflow.serializer_version = result.serializer_version
        _record_task_breaches(case, ready_rows, now, completed_task)
        if result.new_specs is not None:
            keep_specs(workflow.definition_id, result.new_specs)
        still_ready = _sync_tasks(case, ready_rows, result, now=now, completed_task=completed_task)
        _record_closing_limit(case, timer_rows, result, now)
        _sync_timers(case, timer_rows, result)
        fired = [_record_fired_timer(case, timer, now) for timer in result.fired_timers]
        notify_case_people(case, fired + list(notices), still_ready)
        _update_case(case, result, actor=actor, now=now)
        dues = [task.due_at for task in result.ready_tasks if task.due_at] + [timer.due_at for timer in result.timers]
        case.next_due_at = None if result.completed else min(dues, default=None)
    db.session.flush()


@cache
def _ready_tasks_statement():
    """A case's ready tasks with their roles (bound: case_id). Built once, as every statement a step runs
    per case: building and keying it cost more than running it."""
    return (select(Task).where(Task.case_id == bindparam("case_id"), Task.state == "ready")
            .options(joinedload(Task.candidate_roles)))


# What tells a pending timer from another: the mirror keeps a row as long as the engine has the same timer.
_TIMER_KEY = ("bpmn_id", "name", "signal", "due_at", "statutory", "closing")


@cache
def _pending_timers_statement():
    """A case's pending timers as plain rows, id and key (bound: case_id)."""
    return select(PendingTimer.id, *(getattr(PendingTimer, column) for column in _TIMER_KEY)).where(
        PendingTimer.case_id == bindparam("case_id"))


@cache
def _delete_timers_statement():
    return delete(PendingTimer).where(PendingTimer.id.in_(bindparam("ids", expanding=True)))


def _record_task_breaches(case, ready_rows, now, completed_task) -> None:
    """A task's limit is breached once: when it passes (at a sweep) or at completion, whichever is first.
    A paused clock stands still: nothing is breached while it is paused."""
    if case.clock_paused_at is not None:
        if completed_task is not None:
            completed_task.on_time = completed_task.breached_at is None
        return
    rows = [row for row in ready_rows if row.due_at is not None and row.due_at <= now and row.breached_at is None]
    if completed_task is not None and completed_task.due_at is not None and completed_task.breached_at is None \
            and completed_task.completed_at > completed_task.due_at:
        rows.append(completed_task)
    for row in rows:
        due_at = row.due_at
        if due_at is None:  # none here: the checks above take only tasks with a due time
            continue
        row.breached_at = due_at
        append_event(case.id, TrailEventType.LIMIT_BREACHED, actor=None, at=now, task_id=row.id,
                     data={"task": row.name, "bpmn_id": row.bpmn_id, "due_at": due_at.isoformat()})
    if completed_task is not None:
        completed_task.on_time = completed_task.breached_at is None


def _record_closing_limit(case, timer_rows, result, now) -> None:
    """Keep the case's closing limit; a breach once it passes (fired, or dropped when handling ended late)."""
    still_pending = {timer.bpmn_id for timer in result.timers if timer.closing}
    for timer in result.timers:
        if timer.closing:
            case.due_at = timer.due_at
    passed = [row for row in timer_rows if row.closing and row.due_at <= now]
    for row in passed:
        if row.bpmn_id not in still_pending and case.breached_at is None and case.clock_paused_at is None:
            case.breached_at = row.due_at
            append_event(case.id, TrailEventType.LIMIT_BREACHED, actor=None, at=now,
                         data={"limit": row.name, "bpmn_id": row.bpmn_id, "due_at": row.due_at.isoformat()})


def _sync_tasks(case, ready_rows, result, *, now, completed_task) -> list[Task]:
    """Cancel the rows the engine no longer has ready, add its new ready tasks; the rows now ready."""
    open_rows = {row.engine_task_id: row for row in ready_rows}
    still_ready = {task.engine_task_id for task in result.ready_tasks}
    for engine_task_id, row in open_rows.items():
        if engine_task_id not in still_ready and row is not completed_task:
            row.state, row.completed_at = "cancelled", now
            append_event(case.id, TrailEventType.TASK_CANCELLED, actor=None, at=now, task_id=row.id,
                         data={"task": row.name, "bpmn_id": row.bpmn_id})
    now_ready, new = [], []
    for ready in result.ready_tasks:
        existing = open_rows.get(ready.engine_task_id)
        if existing is not None:
            existing.due_at = ready.due_at
            now_ready.append(existing)
            continue
        row = Task(
            case_id=case.id,
            engine_task_id=ready.engine_task_id,
            bpmn_id=ready.bpmn_id,
            name=ready.name,
            form_key=ready.form_key,
            roles=ready.roles,
            tier=ready.tier,
            grid_id=case.grid_id,
            state="ready",
            created_at=now,
            due_at=ready.due_at,
        )
        db.session.add(row)
        new.append((row, ready))
    if new:
        db.session.flush()  # the new rows' ids, for their trail entries
        _add_routes(case.id, {role for _, ready in new for role in ready.roles}
                    - {role for row in ready_rows for role in row.roles})
    for row, ready in new:
        append_event(case.id, TrailEventType.TASK_CREATED, actor=None, at=now, task_id=row.id,
                     data={"task": row.name, "bpmn_id": row.bpmn_id, "roles": list(ready.roles),
                           "due_at": ready.due_at.isoformat() if ready.due_at else None})
        now_ready.append(row)
    return now_ready


def _add_routes(case_id: int, roles: set[str]) -> None:
    """Record that tasks of the case name these roles (those its ready tasks name are recorded already)."""
    if roles:
        db.session.connection().execute(_add_routes_statement(db.session.get_bind().dialect.name),
                                        [{"case_id": case_id, "role": role} for role in sorted(roles)])


@cache
def _add_routes_statement(dialect_name: str):
    return insert_on_conflict(CaseRoute, dialect_name).on_conflict_do_nothing()


def refresh_routes(case_id: int) -> None:
    """Helper: the case's routes afresh from its tasks, after a task's roles changed (a migrated version)."""
    db.session.flush()
    connection = db.session.connection()
    connection.execute(delete(CaseRoute).where(CaseRoute.case_id == case_id))
    connection.execute(insert(CaseRoute).from_select(
        ["case_id", "role"], select(Task.case_id, TaskCandidateRole.role).distinct()
        .join(TaskCandidateRole, TaskCandidateRole.task_id == Task.id).where(Task.case_id == case_id)))


def _sync_timers(case, timer_rows, result) -> None:
    """Update the timer mirror by difference (most steps leave the waiting timers as they were), in Core:
    nothing reads the rows back as objects, and the gone ones go in one DELETE."""
    wanted = [(timer.bpmn_id, timer.name, timer.signal, timer.due_at, timer.statutory, timer.closing)
              for timer in result.timers]
    gone = []
    for row in timer_rows:
        key = tuple(row[1:])
        if key in wanted:
            wanted.remove(key)
        else:
            gone.append(row.id)
    connection = db.session.connection()
    if gone:
        connection.execute(_delete_timers_statement(), {"ids": gone})
    if wanted:
        connection.execute(insert(PendingTimer), [{"case_id": case.id, **dict(zip(_TIMER_KEY, key))} for key in wanted])


def _record_fired_timer(case, timer, now) -> Notice:
    """Trail the firing and raise the card it signals; the notice for the case's people."""
    append_event(case.id, TrailEventType.TIMER_FIRED, actor=None, at=now,
                 data={"timer": timer.name, "bpmn_id": timer.bpmn_id, "signal": timer.signal})
    card = CARD_SIGNALS.get(timer.signal)
    if card and CARDS.index(card) > CARDS.index(case.card):
        case.card, case.card_raised_at = card, now
        append_event(case.id, TrailEventType.CARD_RAISED, actor=None, at=now, data={"card": card})
    template = SIGNAL_MESSAGES.get(timer.signal, _l("案件 {number}「{title}」的时限“{timer}”已到期。"))
    return timer.signal or "timer", lambda: str(template).format(number=case.number, title=case.title, timer=timer.name)


def _update_case(case, result, *, actor, now) -> None:
    data = result.data
    counted_before = counted(case)
    code = data.get("category") or ""
    category_id = case.category_id if case.category and case.category.code == code else category_id_for(code)
    if category_id is not None and category_id != case.category_id:
        append_event(case.id, TrailEventType.CATEGORY_CHANGED, actor=actor, at=now, data={"category": data["category"]})
        case.category_id = category_id
    if data.get("violence_risk") and not case.violence_risk:
        case.violence_risk = True
        append_event(case.id, TrailEventType.VIOLENCE_RISK_FLAGGED, actor=actor, at=now, data={})
    tiers = [task.tier for task in result.ready_tasks if task.tier is not None]
    if tiers and max(tiers) != case.tier:
        append_event(case.id, TrailEventType.TIER_CHANGED, actor=actor, at=now, data={"from": case.tier, "to": max(tiers)})
        case.tier = max(tiers)
    if result.completed and case.status != "closed":
        case.status, case.closed_at, case.close_seconds = "closed", now, (now - case.opened_at).total_seconds()
        case.outcome = OUTCOMES.get(data.get("result"), "closed")
        case.on_time = case.breached_at is None
        append_event(case.id, TrailEventType.CASE_CLOSED, actor=actor, at=now, data={"outcome": case.outcome})
    record_counts(case, counted_before)

"""Designing processes: drafts, validated deploys, versions, diffs, roll backs, case migration, heatmaps.

Only designers (and admins) change processes (access.ensure_can_design); every deploy, roll back and
migration is recorded in `process_event`, and a migration also in the case's trail. A deploy that
fails validation raises DefinitionInvalidError with every problem and changes nothing.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import case as sql_case
from sqlalchemy import delete, distinct, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    DisputeCase,
    ProcessDefinition,
    ProcessDraft,
    ProcessEvent,
    Task,
    User,
    WorkflowState,
)
from app.services import engine
from app.services.cases.mirror import lock_workflow, record_step, refresh_routes, saved_state
from app.services.design.processes import (
    Deployment,
    StoredSpecs,
    add_version,
    check_definition,
    check_key,
    newest_definition,
    replacement_of,
)
from app.services.errors import (
    ConfirmationRequiredError,
    InvalidInputError,
    NotFoundError,
    ProcessError,
)
from app.services.people import access
from app.services.supervision.trail import TrailEventType, append_event
from app.services.time_limits import clock
from app.services.time_limits.year_schedules import current_calendar
from app.services.transaction import transaction

MAX_DRAFT_BYTES = engine.MAX_BPMN_BYTES

BLANK_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" \
xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" \
xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_{key}" \
targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="started" name="{start}" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{key}">
    <bpmndi:BPMNPlane id="plane_{key}" bpmnElement="{key}">
      <bpmndi:BPMNShape id="started_di" bpmnElement="started">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@dataclass(frozen=True)
class VersionRow:
    id: int
    key: str
    version: int
    name: str
    checksum: str
    deployed_at: datetime
    deployed_by: str
    running_cases: int


@dataclass(frozen=True)
class ProcessSummary:
    key: str
    name: str
    versions: list[VersionRow]
    draft_saved_at: datetime | None


@dataclass(frozen=True)
class ProcessView:
    key: str
    name: str
    versions: list[VersionRow]
    events: list[ProcessEvent]
    draft: ProcessDraft | None


@dataclass(frozen=True)
class Design:
    """What the modeler opens: a draft, a deployed version, or a blank diagram."""

    key: str
    bpmn_xml: str
    source: str  # "draft", "version" or "blank"
    version: int | None


@dataclass(frozen=True)
class MigrationCandidate:
    """A case on a version. A designer sees no cases: its title is None unless the actor may see it."""

    case_id: int
    number: str
    title: str | None
    tasks: list[str]
    problem: str | None


@dataclass(frozen=True)
class MigrationStep:
    """How many cases wait at a step (their current tasks) and how many of them can move."""

    tasks: str
    cases: int
    movable: int


@dataclass(frozen=True)
class StepLoad:
    bpmn_id: str
    waiting: int
    yellow: int
    red: int


@dataclass(frozen=True)
class CaseDiagram:
    bpmn_xml: str
    version: int
    completed: list[str]
    current: list[str]
    timers: list[engine.WaitingTimer]


# --- Reading --------------------------------------------------------------------------------------

def list_processes(actor: User) -> list[ProcessSummary]:
    """Every deployed process with its versions, newest first, and whether a draft is waiting."""
    access.ensure_can_design(actor)
    rows = _version_rows(None)
    drafts = {draft.key: draft.saved_at for draft in db.session.scalars(select(ProcessDraft))}
    keys = list(dict.fromkeys([row.key for row in rows] + sorted(drafts)))
    return [
        ProcessSummary(
            key=key,
            name=next((row.name for row in rows if row.key == key), key),
            versions=[row for row in rows if row.key == key],
            draft_saved_at=drafts.get(key),
        )
        for key in keys
    ]


def get_process(actor: User, key: str) -> ProcessView:
    access.ensure_can_watch_processes(actor)
    versions = _version_rows(key)
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.key == key)).first()
    if not versions and draft is None:
        raise NotFoundError(_("流程 “%(key)s” 不存在。", key=key))
    events = db.session.scalars(
        select(ProcessEvent).where(ProcessEvent.key == key).order_by(ProcessEvent.id.desc()).limit(200)
    ).all()
    return ProcessView(key=key, name=versions[0].name if versions else key, versions=versions,
                       events=list(events), draft=draft)


def open_design(actor: User, key: str, version: int | None = None) -> Design:
    """The diagram to edit: a given version, else the draft, else the newest version, else a blank one."""
    access.ensure_can_design(actor)
    check_key(key)
    if version is not None:
        definition = _definition(key, version)
        return Design(key=key, bpmn_xml=definition.bpmn_xml, source="version", version=version)
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.key == key)).first()
    if draft is not None:
        return Design(key=key, bpmn_xml=draft.bpmn_xml, source="draft", version=None)
    newest = newest_definition(key)
    if newest is not None:
        return Design(key=key, bpmn_xml=newest.bpmn_xml, source="version", version=newest.version)
    return Design(key=key, bpmn_xml=BLANK_DIAGRAM.format(key=key, start=_("开始")), source="blank", version=None)


def get_version_xml(actor: User, key: str, version: int) -> str:
    access.ensure_can_watch_processes(actor)
    return _definition(key, version).bpmn_xml


def diff_versions(actor: User, key: str, old_version: int, new_version: int) -> engine.DefinitionDiff:
    access.ensure_can_design(actor)
    return engine.diff_definitions(_definition(key, old_version).bpmn_xml, _definition(key, new_version).bpmn_xml)


def list_migration_candidates(actor: User, key: str, from_version: int) -> tuple[int, list[MigrationCandidate]]:
    """Open cases on a version, each with why it cannot move to the next version (None if it can)."""
    access.ensure_can_design(actor)
    source, target = _definition(key, from_version), _definition(key, from_version + 1)
    visible_title = sql_case((access.visible_cases(actor), DisputeCase.title), else_=None).label("title")
    rows = db.session.execute(
        select(DisputeCase.id, DisputeCase.number, visible_title, WorkflowState)
        .join(WorkflowState, WorkflowState.case_id == DisputeCase.id)
        .where(WorkflowState.definition_id == source.id, DisputeCase.status != "closed")
        .order_by(DisputeCase.id)
    ).all()
    task_names: dict[int, list[str]] = {}
    for case_id, name in db.session.execute(
        select(Task.case_id, Task.name).where(Task.case_id.in_([row.id for row in rows]), Task.state == "ready")
    ):
        task_names.setdefault(case_id, []).append(name)
    return target.version, [
        MigrationCandidate(case_id=row.id, number=row.number, title=row.title, tasks=task_names.get(row.id, []),
                           problem=engine.migration_problem(saved_state(row.WorkflowState), StoredSpecs(target.id)))
        for row in rows
    ]


def migration_steps(candidates: list[MigrationCandidate]) -> list[MigrationStep]:
    """The candidates counted per step, in the order the steps first appear."""
    steps: dict[str, list[MigrationCandidate]] = {}
    for candidate in candidates:
        steps.setdefault(_("、").join(candidate.tasks) or "—", []).append(candidate)
    return [MigrationStep(tasks=name, cases=len(cases), movable=sum(1 for c in cases if c.problem is None))
            for name, cases in steps.items()]


def count_open_work(actor: User, key: str) -> tuple[str, list[StepLoad]]:
    """The newest diagram of a process and, per user task, how many ready tasks of open cases wait
    there and how many of those cases carry a yellow or red card: one GROUP BY over task × case."""
    access.ensure_can_watch_processes(actor)
    newest = newest_definition(key)
    if newest is None:
        raise NotFoundError(_("流程 “%(key)s” 不存在。", key=key))
    on_process = select(WorkflowState.case_id).join(
        ProcessDefinition, ProcessDefinition.id == WorkflowState.definition_id
    ).where(ProcessDefinition.key == key)
    rows = db.session.execute(
        select(
            Task.bpmn_id,
            func.count(Task.id),
            func.count(distinct(sql_case((DisputeCase.card == "yellow", DisputeCase.id)))),
            func.count(distinct(sql_case((DisputeCase.card == "red", DisputeCase.id)))),
        )
        .join(DisputeCase, DisputeCase.id == Task.case_id)
        .where(Task.state == "ready", DisputeCase.status != "closed", Task.case_id.in_(on_process),
               access.counted_cases(actor))
        .group_by(Task.bpmn_id)
        .order_by(Task.bpmn_id)
    ).all()
    return newest.bpmn_xml, [StepLoad(bpmn_id=b, waiting=w, yellow=y, red=r) for b, w, y, r in rows]


def get_case_diagram(actor: User, number: str) -> CaseDiagram:
    """A case's own process version with its finished steps, current tasks and waiting timers."""
    case = access.ensure_case_visible(
        actor, db.session.scalars(select(DisputeCase).where(DisputeCase.number == number)).first())
    row = db.session.execute(
        select(WorkflowState, ProcessDefinition.bpmn_xml, ProcessDefinition.version)
        .join(ProcessDefinition, ProcessDefinition.id == WorkflowState.definition_id)
        .where(WorkflowState.case_id == case.id)
    ).first()
    if row is None:
        raise NotFoundError(_("该案件没有流程实例。"))
    position = engine.diagram_position(saved_state(row.WorkflowState))
    return CaseDiagram(bpmn_xml=row.bpmn_xml, version=row.version, completed=list(position.completed),
                       current=list(position.ready), timers=list(position.timers))


# --- Changing -------------------------------------------------------------------------------------

@transaction
def save_draft(actor: User, key: str, bpmn_xml: str) -> ProcessDraft:
    """Keep the diagram a designer is working on (one draft per process); nothing is validated yet."""
    access.ensure_can_design(actor)
    check_key(key)
    _check_size(bpmn_xml)
    return _keep_draft(actor, key, bpmn_xml)


def _keep_draft(actor: User, key: str, bpmn_xml: str) -> ProcessDraft:
    draft = db.session.scalars(select(ProcessDraft).where(ProcessDraft.key == key)).first()
    if draft is None:
        draft = ProcessDraft(key=key, bpmn_xml=bpmn_xml, saved_at=clock.now(), saved_by_id=actor.id)
        db.session.add(draft)
    else:
        draft.bpmn_xml, draft.saved_at, draft.saved_by_id = bpmn_xml, clock.now(), actor.id
    db.session.flush()
    return draft


@transaction
def import_draft(actor: User, key: str, bpmn_xml: str) -> ProcessDraft:
    """Take a .bpmn file drawn in another tool as the process's draft, after the size and XML safety
    checks a deploy makes; the designer then fixes it in the modeler and deploys it."""
    access.ensure_can_design(actor)
    check_key(key)
    _check_size(bpmn_xml)
    engine.check_diagram_file(bpmn_xml)
    return _keep_draft(actor, key, bpmn_xml)


@transaction
def deploy_design(actor: User, key: str, bpmn_xml: str, forms: Mapping[str, type],
                  confirmed_checksum: str | None = None) -> Deployment:
    """Validate a diagram and make it the newest version of its process; its draft is then done.

    A diagram that would replace the live version dropping user tasks, forms or roles, or changing
    the start form, raises ConfirmationRequiredError (with the diff and what happens to new and
    running cases) unless `confirmed_checksum` is this diagram's checksum: the designer saw that one.
    """
    access.ensure_can_design(actor)
    check_key(key)
    _check_size(bpmn_xml)
    check_definition(key, bpmn_xml, forms)
    if confirmed_checksum != engine.checksum(bpmn_xml):
        replacement = replacement_of(key, bpmn_xml)
        if replacement is not None:
            raise ConfirmationRequiredError(
                _("新版本会替换正在运行的 v%(version)s：请查看变化并确认。", version=replacement.from_version),
                replacement)
    outcome = _deploy(actor, key, bpmn_xml, "definition_deployed", {})
    db.session.execute(delete(ProcessDraft).where(ProcessDraft.key == key))
    return outcome


@transaction
def roll_back(actor: User, key: str, version: int, forms: Mapping[str, type]) -> Deployment:
    """Deploy an older version's diagram again as the newest version (running cases stay where they are).
    Choosing the version on the process page is the confirmation; the diagram is checked again."""
    access.ensure_can_design(actor)
    old = _definition(key, version)
    check_definition(key, old.bpmn_xml, forms)
    return _deploy(actor, key, old.bpmn_xml, "definition_rolled_back", {"from_version": version})


@transaction
def migrate_case(actor: User, case_id: int, key: str, to_version: int) -> DisputeCase:
    """Move one running case to a newer version of its process; raise ProcessError with the reason if it
    cannot move. Its ready tasks stay (by BPMN id) and its timers keep their due times."""
    access.ensure_can_design(actor)
    target = _definition(key, to_version)
    workflow = lock_workflow(case_id)
    case = db.session.get_one(DisputeCase, case_id)  # the workflow row's case
    current = db.session.get_one(ProcessDefinition, workflow.definition_id)
    if current.key != key:
        raise ProcessError(_("案件 %(number)s 不在流程 “%(key)s” 上。", number=case.number, key=key))
    if current.version >= target.version:
        raise ProcessError(_("案件 %(number)s 已在 v%(version)s，不能迁移到 v%(version2)s。", number=case.number, version=current.version, version2=target.version))
    if case.status == "closed":
        raise ProcessError(_("案件 %(number)s 已结案。", number=case.number))
    result = engine.migrate_workflow(saved_state(workflow), StoredSpecs(target.id), current_calendar())
    now = clock.now()
    workflow.definition_id = target.id
    append_event(case.id, TrailEventType.CASE_MIGRATED, actor=actor, at=now,
                 data={"process": key, "from": current.version, "to": target.version})
    record_step(case, workflow, result, actor=actor, now=now)
    _refresh_task_rows(case.id, result)
    _record(actor, key, target.version, "case_migrated",
            {"case": case.number, "from": current.version, "to": target.version}, now)
    return case


# --- Helpers --------------------------------------------------------------------------------------

def _deploy(actor: User, key: str, bpmn_xml: str, event: str, data: dict) -> Deployment:
    deployment = add_version(bpmn_xml, actor)
    if deployment.created:
        _record(actor, key, deployment.version, event, {**data, "checksum": engine.checksum(bpmn_xml)}, clock.now())
    return deployment


def _record(actor: User, key: str, version: int, event: str, data: dict, now: datetime) -> None:
    db.session.add(ProcessEvent(key=key, version=version, event=event, actor_id=actor.id,
                                actor_name=actor.display_name, occurred_at=now, data=data))
    db.session.flush()


def _refresh_task_rows(case_id: int, result: engine.EngineResult) -> None:
    """A migrated task keeps its row; the new version may have renamed it or changed its form or roles."""
    ready = {task.engine_task_id: task for task in result.ready_tasks}
    for row in db.session.scalars(select(Task).where(Task.case_id == case_id, Task.state == "ready")):
        task = ready.get(row.engine_task_id)
        if task is not None:
            row.bpmn_id, row.name, row.form_key, row.tier = task.bpmn_id, task.name, task.form_key, task.tier
            row.roles = task.roles
    refresh_routes(case_id)


_DEPLOYER = aliased(User, name="deployer")  # made once, as access.py's aliases


def _version_rows(key: str | None) -> list[VersionRow]:
    deployer = _DEPLOYER
    running = (
        select(WorkflowState.definition_id, func.count().label("running"))
        .join(DisputeCase, DisputeCase.id == WorkflowState.case_id)
        .where(DisputeCase.status != "closed")
        .group_by(WorkflowState.definition_id)
        .subquery()
    )
    query = (
        select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name,
               ProcessDefinition.checksum, ProcessDefinition.deployed_at, deployer.display_name,
               func.coalesce(running.c.running, 0))
        .outerjoin(deployer, deployer.id == ProcessDefinition.deployed_by_id)
        .outerjoin(running, running.c.definition_id == ProcessDefinition.id)
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    )
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    return [
        VersionRow(id=row[0], key=row[1], version=row[2], name=row[3], checksum=row[4], deployed_at=row[5],
                   deployed_by=row[6] or _("系统"), running_cases=row[7])
        for row in db.session.execute(query)
    ]


def _definition(key: str, version: int) -> ProcessDefinition:
    definition = db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).first()
    if definition is None:
        raise NotFoundError(_("流程 “%(key)s” 没有 v%(version)s。", key=key, version=version))
    return definition


def _check_size(bpmn_xml: str) -> None:
    if not isinstance(bpmn_xml, str) or not bpmn_xml.strip():
        raise InvalidInputError(_("没有收到流程图。"))
    if len(bpmn_xml.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise InvalidInputError(_("流程图超过 %(value)s KB 上限。", value=MAX_DRAFT_BYTES // 1024))

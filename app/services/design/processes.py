"""Deploying BPMN definitions: a changed file becomes a new version; running cases keep theirs.

Whatever deploys a diagram — the designer, a roll back, `deploy-processes` — goes through the same
checks here: the process id, the static rules (`engine.validate_definition`), a dry run of every
path (`engine.dry_run`), and, when a new version would drop user tasks, forms or roles or change the
start form, an explicit confirmation (`ConfirmationRequiredError` until it is given).
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ROLES, DisputeCase, ProcessDefinition, ProcessSpec, Task, User, WorkflowState
from app.services import engine
from app.services.cases.catalog import category_choices
from app.services.cases.start_data import sample_start_data
from app.services.errors import (
    ConfirmationRequiredError,
    DefinitionError,
    DefinitionInvalidError,
    InvalidInputError,
    NotFoundError,
)
from app.services.time_limits import clock
from app.services.transaction import transaction
from forms.samples import sample_answers

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


@dataclass(frozen=True)
class Deployment:
    key: str
    version: int
    created: bool


@dataclass(frozen=True)
class Replacement:
    """What a new version changes for the cases of a process, shown before it replaces the live one."""

    key: str
    from_version: int
    diff: engine.DefinitionDiff
    consequences: tuple[str, ...]
    checksum: str


@transaction
def deploy_processes(directory: str | Path, forms: Mapping[str, type], actor: User | None = None,
                     confirmed: bool = False) -> list[Deployment]:
    """Deploy every `*.bpmn` file of a directory (process id == file stem), all or nothing.

    Files meet the same rules as what is drawn in the browser; a file that would replace a live
    version in a way that needs confirmation raises ConfirmationRequiredError unless `confirmed`.
    """
    files = sorted(Path(directory).glob("*.bpmn"))
    if not files:
        raise DefinitionError(_("%(directory)s 中没有 BPMN 文件。", directory=directory))
    deployments = []
    for path in files:
        try:
            bpmn_xml = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise DefinitionError(_("文件 %(file)s 不是 UTF-8 编码（第 %(position)s 字节起无法读取）：请在建模工具中另存为 UTF-8。",
                                    file=path.name, position=error.start)) from None
        check_definition(path.stem, bpmn_xml, forms)
        if not confirmed:
            replacement = replacement_of(path.stem, bpmn_xml)
            if replacement is not None:
                raise ConfirmationRequiredError(
                    _("%(file)s 会替换正在运行的 v%(version)s，需要确认。", file=path.name,
                      version=replacement.from_version), replacement)
        deployments.append(add_version(bpmn_xml, actor))
    return deployments


def check_key(key: str) -> None:
    if not KEY_PATTERN.match(key or ""):
        raise InvalidInputError(_("流程标识 “%(key)s” 不可用：只能由小写字母、数字和下划线组成，并以字母开头。",
                                  key=" ".join(str(key or "").split())[:100]))


def check_definition(key: str, bpmn_xml: str, forms: Mapping[str, type]) -> None:
    """Raise DefinitionInvalidError with every problem unless the diagram may be deployed as `key`.

    Helper of the deploying use cases: the static rules first; only a diagram without problems is
    then run in memory along every path its gateways allow.
    """
    check_key(key)
    problems = engine.validate_definition(bpmn_xml, forms, ROLES)
    found_key = engine.process_key_of(bpmn_xml)
    if found_key is not None and found_key != key:
        problems.insert(0, engine.DefinitionProblem(
            found_key, "", _("流程 id 是 “%(found_key)s”，应为 “%(key)s”：请在右侧“流程”中把 id 改为 “%(key)s”。",
                             found_key=found_key, key=key)))
    if not problems:
        task_data = {form_key: sample_answers(form_class) for form_key, form_class in forms.items()}
        starts = sample_start_data([code for code, _label in category_choices()])
        problems = engine.dry_run(bpmn_xml, starts, task_data, current_app.config["DAY_COUNTING"])
    if problems:
        raise DefinitionInvalidError(_("流程有 %(value)s 处问题，未部署。", value=len(problems)), problems)


def replacement_of(key: str, bpmn_xml: str) -> Replacement | None:
    """What replacing the newest version of `key` by this diagram changes, if it needs confirmation:
    user tasks dropped, a task's form changed, roles taken from a task, or the start form changed."""
    current = newest_definition(key)
    if current is None or current.checksum == engine.checksum(bpmn_xml):
        return None
    diff = engine.diff_definitions(current.bpmn_xml, bpmn_xml)
    dropped = engine.dropped_work(current.bpmn_xml, bpmn_xml)
    if not (dropped.tasks or dropped.forms or dropped.roles or dropped.start_form):
        return None
    return Replacement(key=key, from_version=current.version, diff=diff,
                       consequences=tuple(_consequences(key, current.version + 1, dropped)),
                       checksum=engine.checksum(bpmn_xml))


def _consequences(key: str, new_version: int, dropped: "engine.DroppedWork") -> list[str]:
    lines = []
    if not dropped.remaining_tasks:
        lines.append(_("新登记的案件将按 v%(version)s 运行：图中没有用户任务，案件一开始就会结束，不经过任何人办理。",
                       version=new_version))
    elif dropped.tasks:
        lines.append(_("新登记的案件将按 v%(version)s 运行，不再经过：%(steps)s。", version=new_version,
                       steps=_("、").join(dropped.tasks.values())))
    else:
        lines.append(_("新登记的案件将按 v%(version)s 运行。", version=new_version))
    for bpmn_id, change in dropped.forms.items():
        lines.append(_("环节 %(step)s 的表单由 “%(before)s” 改为 “%(after)s”。", step=change[0], before=change[1],
                       after=change[2] or _("（无）")))
    for bpmn_id, (step, roles) in dropped.roles.items():
        lines.append(_("环节 %(step)s 不再由这些角色办理：%(roles)s。", step=step, roles=_("、").join(roles)))
    if dropped.start_form:
        lines.append(_("开始表单由 “%(before)s” 改为 “%(after)s”：新案件登记时填写的内容会不同。",
                       before=dropped.start_form[0] or _("（无）"), after=dropped.start_form[1] or _("（无）")))
    open_cases = db.session.scalars(
        select(DisputeCase.id)
        .join(WorkflowState, WorkflowState.case_id == DisputeCase.id)
        .join(ProcessDefinition, ProcessDefinition.id == WorkflowState.definition_id)
        .where(ProcessDefinition.key == key, DisputeCase.status != "closed")
    ).all()
    affected = set(dropped.tasks) | set(dropped.forms) | set(dropped.roles)
    stranded = db.session.scalars(
        select(Task.case_id).where(Task.case_id.in_(open_cases), Task.state == "ready", Task.bpmn_id.in_(affected))
        .distinct()
    ).all() if open_cases and affected else []
    lines.append(_("进行中的 %(count)s 件案件仍按原来的版本办理，不受影响。", count=len(open_cases)))
    if stranded:
        lines.append(_("其中 %(count)s 件正停在被删除或改动的环节，以后无法迁移到新版本。", count=len(stranded)))
    return lines


def newest_definition(key: str) -> ProcessDefinition | None:
    return db.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())
    ).first()


def latest_definition(key: str) -> ProcessDefinition:
    """The version new cases start on."""
    definition = newest_definition(key)
    if definition is None:
        raise NotFoundError(_("流程 “%(key)s” 尚未部署；请先运行 deploy-processes。", key=key))
    return definition


def add_version(bpmn_xml: str, actor: User | None) -> Deployment:
    """Store a validated diagram as the newest version of its process, unless it is unchanged.

    A helper of the deploying use cases (files, the designer, a roll back): it only adds and flushes.
    """
    info = engine.inspect_definition(bpmn_xml)
    current = newest_definition(info.key)
    if current is not None and current.checksum == info.checksum:
        return Deployment(key=info.key, version=current.version, created=False)
    definition = ProcessDefinition(
        key=info.key,
        version=(current.version + 1) if current else 1,
        name=info.name,
        bpmn_xml=bpmn_xml,
        checksum=info.checksum,
        deployed_at=clock.now(),
        deployed_by_id=actor.id if actor else None,
    )
    db.session.add(definition)
    db.session.flush()
    keep_specs(definition.id, engine.serialize_specs(bpmn_xml))
    return Deployment(key=definition.key, version=definition.version, created=True)


@dataclass(frozen=True)
class StoredSpecs:
    """A deployed version's serialized specs as the engine reads them (engine.ProcessSpecs): one query,
    and only when this worker has not cached them yet."""

    version_id: int

    def read(self, serializer_version: str) -> str | None:
        return db.session.scalar(select(ProcessSpec.specs).where(
            ProcessSpec.definition_id == self.version_id, ProcessSpec.serializer_version == serializer_version))

    def bpmn_xml(self) -> str:
        return db.session.scalars(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.id == self.version_id)).one()


def keep_specs(definition_id: int, specs: str) -> None:
    """Store a version's specs in the engine's current serializer version (a helper: adds and flushes)."""
    db.session.add(ProcessSpec(definition_id=definition_id, serializer_version=engine.SPEC_VERSION, specs=specs))
    db.session.flush()

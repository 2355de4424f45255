"""Running workflows: parsing definitions, starting cases, completing tasks, firing timers.

It speaks Jiefen's terms: it takes BPMN text, serialized state and plain data, and returns
frozen dataclasses. SpiffWorkflow's exceptions become our errors here, expressions in diagrams
run through the restricted evaluator (never `eval`/`exec`).

What is stored: a case's state holds only the instance (tasks, data, subprocess instances); the
process and subprocess specs are serialized once per deployed version (`ProcessSpecs`, kept by the
services in `process_spec`) and cached deserialized per version in the worker. Every saved state
goes with its serializer version (`SERIALIZER_VERSION`), which is read on load: a state in an older
format (the whole workflow with its specs, as stored before, or an older library's instance) is
upgraded with SpiffWorkflow's own migrations and saved in the current format at its next step.
"""
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from flask_babel import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import EventDefinitionParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, CallActivity, IntermediateCatchEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS, SubWorkflowParser, UserTaskParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from app.services.engine import expressions
from app.services.errors import DefinitionError, InvalidInputError, ProcessError, TaskNotReadyError
from app.services.time_limits import clock
from app.services.time_limits.business_calendar import BusinessCalendar, CalendarError, parse_duration

MAX_BPMN_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ProcessInfo:
    key: str
    name: str
    checksum: str


@dataclass(frozen=True)
class ReadyTask:
    engine_task_id: str
    bpmn_id: str
    name: str
    form_key: str
    roles: tuple[str, ...]
    tier: int | None
    due_at: datetime | None


@dataclass(frozen=True)
class WaitingTimer:
    bpmn_id: str
    name: str
    signal: str
    due_at: datetime
    statutory: bool = False  # `calendar=natural`: a legal clock, counted in calendar days and never paused
    closing: bool = False  # `closing_limit=true`: the case's closing limit (按时办结)
    reminder: bool = False  # `reminder=true`: a reminder before a limit, not the limit of its task


@dataclass(frozen=True)
class FiredTimer:
    bpmn_id: str
    name: str
    signal: str


class ProcessSpecs(Protocol):
    """Where the engine finds a deployed version's serialized specs (the services keep them in the database).

    `version_id` names the deployed version: this worker caches the deserialized specs under it.
    """

    @property
    def version_id(self) -> int: ...

    def read(self, serializer_version: str) -> str | None:
        """The specs serialized in that serializer version, or None if none are stored."""

    def bpmn_xml(self) -> str:
        """The version's diagram, parsed when no specs of the current serializer version are stored."""


@dataclass(frozen=True)
class SavedState:
    """A case's stored workflow: the state, the serializer version it was written in, its process version."""

    state: str
    serializer_version: str
    process: ProcessSpecs


@dataclass(frozen=True)
class EngineResult:
    """Where a workflow stands after a step, and the state to save.

    `new_specs`: the process's specs in the current serializer version (`SPEC_VERSION`), to store once
    with the process version, when none were stored yet (a version deployed before the specs were kept
    apart, or an upgrade of the library); None otherwise.
    """

    state: str
    serializer_version: str
    ready_tasks: tuple[ReadyTask, ...]
    timers: tuple[WaitingTimer, ...]
    fired_timers: tuple[FiredTimer, ...]
    completed: bool
    data: dict[str, Any]
    new_specs: str | None = None


class _RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions with `expressions.evaluate`; refuses scripts outright."""

    def evaluate(self, expression, context, external_context=None):
        try:
            return expressions.evaluate(expression, {**context, **(external_context or {})})
        except expressions.ExpressionError as error:
            raise ProcessError(_("表达式 “%(expression)s” 无法求值：%(reason)s", expression=expression, reason=error)) from None

    def execute(self, script, context, external_context=None):
        raise ProcessError(_("流程中的脚本不会被执行；请改用网关条件和表单字段。"))

    def call_service(self, context, **kwargs):
        raise ProcessError(_("流程中的服务任务不会被执行。"))


# The calendar that turns timer durations into due times during one engine step.
_STEP_CALENDAR: ContextVar[BusinessCalendar] = ContextVar("step_calendar", default=BusinessCalendar("calendar"))
# During a step of a case whose clock is paused: only the legal clocks (calendar=natural) may fire.
_STEP_PAUSED: ContextVar[bool] = ContextVar("step_paused", default=False)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:?\d{2}|Z)?)?$")


class CalendarDurationTimer(DurationTimerEventDefinition):
    """A duration timer whose due time comes from the business calendar (working days, holidays).

    The due time is computed once, when the timer starts waiting, and kept with the timer's task:
    `reschedule_timers` moves it when a paused clock resumes or a year's schedule is entered, and a
    migration carries it over.
    """

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            natural = _extensions(my_task).get("calendar") == "natural"
            try:
                due = _STEP_CALENDAR.get().add(clock.now(), str(value), natural=natural)
            except CalendarError as error:
                raise ProcessError(_("计时器 “%(timer)s” 的时长无效：%(reason)s", timer=self.name, reason=error)) from None
            event_value = due.isoformat()
            my_task._set_internal_data(event_value=event_value)
        held = _STEP_PAUSED.get() and _extensions(my_task).get("calendar") != "natural"
        if not held and TimerEventDefinition.get_datetime(event_value) <= clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


def timer_expression_problem(text: str | None) -> str | None:
    """Why a timer value written in a diagram cannot work, or None if it can.

    Designers write a value as in any BPMN tool — `PT72H`, `P3D`, an ISO date-time — or an
    expression over the case data naming a field that holds the due time.
    """
    text = (text or "").strip()
    if not text:
        return _("计时器没有设置时长或时间")
    quoted = len(text) > 1 and text[:1] in "\"'" and text[-1:] == text[:1] and text[:1] not in text[1:-1]
    literal = text[1:-1] if quoted else text
    if literal.upper().startswith("P"):
        try:
            parse_duration(literal)
        except CalendarError as error:
            return str(error)
        return None
    if _ISO_DATE.match(literal):
        try:
            TimerEventDefinition.get_datetime(literal.replace("Z", "+00:00"))
        except ValueError:
            return _("“%(value)s” 不是有效的日期时间", value=literal)
        return None
    try:
        expressions.check_expression(text)
    except expressions.ExpressionError as error:
        return _("表达式不被允许：%(reason)s", reason=error)
    return None


def _timer_value_expression(text: str) -> str:
    """A bare ISO duration or date becomes the quoted text the engine evaluates."""
    text = (text or "").strip()
    if text.upper().startswith("P") or _ISO_DATE.match(text):
        return repr(text)
    return text


class _InstanceConverter(BpmnWorkflowConverter):
    """A workflow without its specs: what each case stores. Restoring takes the specs (`specs=`) from
    the per-version cache; a state in the older whole-workflow layout still carries its own."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, specs=None):
        if specs is not None:
            dct = {**dct, "spec": specs[0], "subprocess_specs": specs[1]}  # restored as they are
        return super().from_dict(dct)


def _serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure(
        {**CAMUNDA_CONFIG, CalendarDurationTimer: TimerConditionalEventDefinitionConverter,
         BpmnWorkflow: _InstanceConverter}
    )
    registry.register(
        datetime, lambda value: {"value": value.isoformat()}, lambda dct: datetime.fromisoformat(dct["value"])
    )
    registry.register(date, lambda value: {"value": value.isoformat()}, lambda dct: date.fromisoformat(dct["value"]))
    registry.register(Decimal, lambda value: {"value": str(value)}, lambda dct: Decimal(dct["value"]))
    return BpmnWorkflowSerializer(registry)


class _OwnPropertiesMixin(TaskParser):
    """Reads `camunda:properties` of the element itself (the stock parser also picks up those of
    a subprocess's children) and keeps `camunda:candidateGroups`, the roles that may do a task.
    (Put before a SpiffWorkflow task parser, whose element and xpath it reads.)"""

    def parse_extensions(self, node=None):
        node = node if node is not None else self.node
        extensions = {
            prop.get("name"): prop.get("value")
            for prop in self.xpath("./bpmn:extensionElements/camunda:properties/camunda:property")
        }
        groups = node.get(f"{{{CAMUNDA_MODEL_NS}}}candidateGroups")
        if groups:
            extensions["candidateGroups"] = groups
        return extensions


class _UserTaskParser(_OwnPropertiesMixin, UserTaskParser):
    pass


class _CalendarTimerMixin(EventDefinitionParser):
    """Timers as designers write them: bare ISO values are quoted; durations use the business calendar.
    (Put before a SpiffWorkflow event parser, whose timer parsing it wraps.)"""

    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        expression = _timer_value_expression(definition.expression)
        if isinstance(definition, DurationTimerEventDefinition):
            return CalendarDurationTimer(definition.name, expression, description=definition.description)
        if isinstance(definition, TimeDateEventDefinition):
            return TimeDateEventDefinition(definition.name, expression, description=definition.description)
        return definition


class _BoundaryEventParser(_CalendarTimerMixin, _OwnPropertiesMixin, CamundaBoundaryEventParser):
    pass


class _IntermediateCatchEventParser(_CalendarTimerMixin, _OwnPropertiesMixin, CamundaIntermediateCatchEventParser):
    pass


class _SubprocessParser(_OwnPropertiesMixin, SubWorkflowParser):
    pass


class _Parser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_UserTaskParser, UserTask),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (_IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("subProcess"): (_SubprocessParser, CallActivity),
    }


_SERIALIZER = _serializer()
# Stored serializer versions: "spiff-<v>" is the whole workflow with its specs (how states were stored
# before the specs were kept per version, still read); "spiff-<v>/instance" is the instance only, its
# specs stored once per process version under "spiff-<v>" (SPEC_VERSION).
SPEC_VERSION = f"spiff-{_SERIALIZER.VERSION}"
_INSTANCE_LAYOUT = "instance"
SERIALIZER_VERSION = f"{SPEC_VERSION}/{_INSTANCE_LAYOUT}"
_SCRIPT_ENGINE = PythonScriptEngine(environment=_RestrictedEnvironment())
# Deserialized specs per process version, in this worker; a few versions are ever live at once.
_SPEC_CACHE_SIZE = 32
_spec_cache: OrderedDict[int, tuple[Any, dict]] = OrderedDict()
_spec_cache_lock = threading.Lock()


def checksum(bpmn_xml: str) -> str:
    return hashlib.sha256(bpmn_xml.encode("utf-8")).hexdigest()


def inspect_definition(bpmn_xml: str) -> ProcessInfo:
    """Parse and validate a BPMN document holding one executable process; raise DefinitionError."""
    parsed = _parse(bpmn_xml)
    return ProcessInfo(key=parsed.key, name=parsed.name, checksum=checksum(bpmn_xml))


def serialize_specs(bpmn_xml: str) -> str:
    """A definition's process and subprocess specs, serialized in SPEC_VERSION, to store once per version."""
    parsed = _parse(bpmn_xml)
    return _specs_json(parsed.spec, parsed.subprocess_specs)


def start_workflow(process: ProcessSpecs, data: Mapping[str, Any],
                   calendar: BusinessCalendar | None = None) -> EngineResult:
    """Create a workflow of a deployed version, seed its data and run it to the first waits."""
    _check_data_keys(data)
    (spec, subprocess_specs), new_specs = _specs(process)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=_SCRIPT_ENGINE)
    workflow.task_tree.data.update(data)
    return _advance(workflow, lambda: None, calendar, new_specs)


def complete_task(saved: SavedState, engine_task_id: str, data: Mapping[str, Any],
                  calendar: BusinessCalendar | None = None, paused: bool = False) -> EngineResult:
    """Complete a ready user task with already validated form data and run on (`paused`: the case's
    clock is paused, so only the legal clocks may fire on the way)."""
    _check_data_keys(data)
    workflow, new_specs = _load(saved)
    task = _ready_user_task(workflow, engine_task_id)

    def run_task():
        task.data.update(data)
        task.run()

    return _advance(workflow, run_task, calendar, new_specs, paused)


def fire_due_timers(saved: SavedState, calendar: BusinessCalendar | None = None,
                    paused: bool = False) -> EngineResult:
    """Fire the timers that are due by now (the engine reads the clock) and run on.

    `paused`: the case's clock is paused: only the legal clocks fire, the others stand still.
    """
    workflow, new_specs = _load(saved)
    return _advance(workflow, workflow.refresh_timers, calendar, new_specs, paused)


def reschedule_timers(saved: SavedState, calendar: BusinessCalendar,
                      new_due: Callable[[WaitingTimer, str], datetime | None]) -> EngineResult | None:
    """Give waiting timers new due times: `new_due(timer, unit)` returns one, or None to leave it.

    `unit` is how the timer's limit counts: "working" (days on working time), "clock" (clock time),
    or "statutory" (a legal clock in calendar days). None when no due time changed.
    """
    workflow, new_specs = _load(saved)
    moved = False
    for task in _waiting_timer_tasks(workflow):
        timer = _waiting_timer(task)
        if timer is None:
            continue
        due = new_due(timer, _timer_unit(task, calendar))
        if due is not None and due != timer.due_at:
            task._set_internal_data(event_value=due.isoformat())
            moved = True
    return _result(workflow, fired=(), new_specs=new_specs) if moved else None


def shift_timers(saved: SavedState, delta: timedelta, only: set[str] | None = None) -> EngineResult | None:
    """Move waiting timers' due times by `delta` (all, or those whose bpmn id is in `only`).

    An agreed extension moves the mediation limit this way; nothing fires here. None when there was
    no such timer to move.
    """
    workflow, new_specs = _load(saved)
    moved = False
    for task in _waiting_timer_tasks(workflow):
        due = _waiting_timer(task)
        if due is not None and (only is None or due.bpmn_id in only):
            task._set_internal_data(event_value=(due.due_at + delta).isoformat())
            moved = True
    return _result(workflow, fired=(), new_specs=new_specs) if moved else None


def describe(saved: SavedState) -> EngineResult:
    """Where a saved workflow stands, without changing it."""
    workflow, new_specs = _load(saved)
    return _result(workflow, fired=(), new_specs=new_specs)


_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
def _bpmn(tag: str) -> str:
    return f"{{{_BPMN_NS}}}{tag}"


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _safe_root(bpmn_xml: str):
    """The XML tree of a diagram, refusing oversized or hostile text; raises DefinitionError."""
    encoded = bpmn_xml.encode("utf-8")
    if len(encoded) > MAX_BPMN_BYTES:
        raise DefinitionError(_("BPMN 文件超过 %(value)s KB 上限。", value=MAX_BPMN_BYTES // 1024))
    try:
        return defusedxml.ElementTree.fromstring(encoded)
    except DefusedXmlException:
        raise DefinitionError(_("BPMN 文件含有实体或外部引用，为安全起见不接受：请删去 DOCTYPE 部分后重新导出。")) from None
    except ParseError as error:
        line, column = getattr(error, "position", ("?", "?"))
        raise DefinitionError(_("BPMN 文件不是合法的 XML（第 %(line)s 行第 %(column)s 列出错）：请在建模工具中重新导出。",
                                line=line, column=column)) from None


def _executable_processes(root) -> list:
    return [node for node in root.iter(_bpmn("process")) if node.get("isExecutable", "true") != "false"]


@dataclass(frozen=True)
class _ParsedProcess:
    key: str
    name: str
    spec: Any
    subprocess_specs: dict


@lru_cache(maxsize=32)
def _parse(bpmn_xml: str) -> _ParsedProcess:
    root = _safe_root(bpmn_xml)
    executable = _executable_processes(root)
    if len(executable) != 1:
        raise DefinitionError(_("BPMN 文件必须恰好包含一个可执行流程。"))
    key, name = executable[0].get("id"), executable[0].get("name") or executable[0].get("id")
    parser = _Parser(validator=BpmnValidator())
    try:
        parser.add_bpmn_str(bpmn_xml.encode("utf-8"))
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as error:
        raise DefinitionError(_("BPMN 校验失败：%(reason)s", reason=error)) from None
    except SpiffWorkflowException as error:
        raise DefinitionError(_("流程引擎无法解析该流程：%(reason)s", reason=error)) from None
    return _ParsedProcess(key=key, name=name, spec=spec, subprocess_specs=subprocess_specs)


def forget_specs() -> None:
    """Empty this worker's spec cache. Process versions are never deleted, so their ids name the same
    specs for the life of a database; only something that empties the database (the tests) calls this."""
    with _spec_cache_lock:
        _spec_cache.clear()


def _to_json(convert: Callable[[], Any]) -> str:
    """JSON of what `convert` builds with the serializer's registry, as `serialize_json` writes it
    (its encoder mode and encoder class are SpiffWorkflow internals)."""
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        return json.dumps(convert(), cls=_SERIALIZER._encoder_cls)
    finally:
        registry._encoder_mode = False


def _specs_json(spec, subprocess_specs: dict) -> str:
    registry = _SERIALIZER.registry
    return _to_json(lambda: {"spec": registry.convert(spec),
                             "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()}})


def _restore_specs(text: str) -> tuple[Any, dict]:
    registry = _SERIALIZER.registry
    dct = json.loads(text)
    return registry.restore(dct["spec"]), {name: registry.restore(sub) for name, sub in dct["subprocess_specs"].items()}


def _specs(process: ProcessSpecs) -> tuple[tuple[Any, dict], str | None]:
    """A process version's deserialized specs, from this worker's cache, the stored specs, or (none
    stored in SPEC_VERSION) parsed from its diagram — then also returned serialized, to be stored."""
    with _spec_cache_lock:
        cached = _spec_cache.get(process.version_id)
        if cached is not None:
            _spec_cache.move_to_end(process.version_id)
            return cached, None
    stored = process.read(SPEC_VERSION)
    if stored is None:
        parsed = _parse(process.bpmn_xml())
        return (parsed.spec, parsed.subprocess_specs), _specs_json(parsed.spec, parsed.subprocess_specs)
    specs = _restore_specs(stored)
    with _spec_cache_lock:
        _spec_cache[process.version_id] = specs
        while len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return specs, None


def _load(saved: SavedState) -> tuple[BpmnWorkflow, str | None]:
    """The workflow of a saved state, and the specs to store if none are stored in SPEC_VERSION."""
    dct = json.loads(saved.state)
    if saved.serializer_version == SERIALIZER_VERSION:
        specs, new_specs = _specs(saved.process)
        workflow = _SERIALIZER.registry.restore(dct, specs=specs)
    else:
        workflow, new_specs = _upgrade(dct, saved)
    workflow.script_engine = _SCRIPT_ENGINE
    return workflow, new_specs


def _upgrade(dct: dict, saved: SavedState) -> tuple[BpmnWorkflow, str | None]:
    """A state stored in an older format: joined with its specs if it is an instance of an older
    library version, brought up to date by SpiffWorkflow's migrations, restored with its own specs."""
    library_version, _slash, layout = saved.serializer_version.partition("/")
    if not library_version.startswith("spiff-") or layout not in ("", _INSTANCE_LAYOUT):
        raise ProcessError(_("无法读取该案件的流程状态（未知的存储格式 %(version)s）。", version=saved.serializer_version))
    if layout == _INSTANCE_LAYOUT:
        stored = saved.process.read(library_version)
        if stored is None:
            raise ProcessError(_("无法读取该案件的流程状态（缺少 %(version)s 格式的流程定义）。", version=library_version))
        dct.update(json.loads(stored))
    dct[_SERIALIZER.VERSION_KEY] = library_version.removeprefix("spiff-")
    _SERIALIZER.migrate(dct)
    workflow = _SERIALIZER.registry.restore(dct)
    _current, new_specs = _specs(saved.process)
    return workflow, new_specs and _specs_json(workflow.spec, workflow.subprocess_specs)


def _check_data_keys(data: Mapping[str, Any]) -> None:
    bad = [key for key in data if not isinstance(key, str) or not key.isidentifier() or key.startswith("_")]
    if bad:
        raise InvalidInputError(_("不允许的数据字段名：%(names)s", names=", ".join(map(str, bad))))


def _ready_user_task(workflow: BpmnWorkflow, engine_task_id: str):
    try:
        task = workflow.get_task_from_id(UUID(engine_task_id))
    except (TaskNotFoundException, ValueError):
        task = None
    if task is None or not task.task_spec.manual or task.state != TaskState.READY:
        raise TaskNotReadyError(_("该任务已办理或已不在当前环节，请刷新后查看案件的最新状态。"))
    return task


def _advance(workflow: BpmnWorkflow, step: Callable[[], None], calendar: BusinessCalendar | None,
             new_specs: str | None, paused: bool = False) -> EngineResult:
    waiting_before = {task.id: task for task in _waiting_timer_tasks(workflow)}
    token = _STEP_CALENDAR.set(calendar or BusinessCalendar("calendar"))
    paused_token = _STEP_PAUSED.set(paused)
    try:
        step()
        workflow.do_engine_steps()
        # do_engine_steps ends by refreshing timers: a timer found due there is ready but not yet run.
        # Run it now, so it is recorded with this step instead of vanishing from the pending timers.
        for _round in range(10):
            if not any(not task.task_spec.manual for task in workflow.get_tasks(state=TaskState.READY)):
                break
            workflow.do_engine_steps()
    except ProcessError:
        raise
    except SpiffWorkflowException as error:
        raise ProcessError(_describe_engine_error(error)) from None
    finally:
        _STEP_CALENDAR.reset(token)
        _STEP_PAUSED.reset(paused_token)
    fired = tuple(
        _timer_identity(task)
        for task in waiting_before.values()
        if task.state == TaskState.COMPLETED
    )
    return _result(workflow, fired, new_specs)


def _describe_engine_error(error: SpiffWorkflowException) -> str:
    where = ""
    task = getattr(error, "task", None) or getattr(error, "sender", None)
    spec = getattr(task, "task_spec", task)
    if spec is not None and getattr(spec, "bpmn_id", None):
        where = _("（环节 %(step)s）", step=spec.bpmn_name or spec.bpmn_id)
    reason = _innermost_process_error(error)
    return _("流程无法继续%(where)s：%(reason)s", where=where, reason=reason.message if reason else error)


def _innermost_process_error(error: BaseException) -> ProcessError | None:
    """The ProcessError our evaluator raised, under SpiffWorkflow's wrapping exceptions."""
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ProcessError):
            return current
        seen.add(id(current))
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return None


def _result(workflow: BpmnWorkflow, fired: tuple[FiredTimer, ...], new_specs: str | None = None) -> EngineResult:
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    timers = tuple(
        timer for timer in (_waiting_timer(task) for task in _waiting_timer_tasks(workflow)) if timer is not None
    )
    completed = workflow.is_completed()
    return EngineResult(
        state=_to_json(lambda: _SERIALIZER.registry.convert(workflow)),
        serializer_version=SERIALIZER_VERSION,
        ready_tasks=tuple(_ready_task(task) for task in ready),
        timers=timers,
        fired_timers=fired,
        completed=completed,
        data=_current_data(workflow, ready, completed),
        new_specs=new_specs,
    )


def _current_data(workflow: BpmnWorkflow, ready: list, completed: bool) -> dict[str, Any]:
    """The data the case now stands on: what flows into the next user task, or the final data."""
    if completed:
        return dict(workflow.data)
    if ready:
        return dict(ready[0].data)
    return dict(workflow.last_task.data if workflow.last_task is not None else workflow.task_tree.data)


def _ready_task(task) -> ReadyTask:
    spec = task.task_spec
    form = getattr(spec, "form", None)
    extensions = getattr(spec, "extensions", None) or {}
    roles = tuple(role.strip() for role in extensions.get("candidateGroups", "").split(",") if role.strip())
    tier = extensions.get("tier")
    attached = [
        _waiting_timer(sibling)
        for sibling in (task.parent.children if task.parent else [])
        if sibling is not task and _is_waiting_timer(sibling)
    ]
    due_times = [timer.due_at for timer in attached if timer is not None and not timer.reminder]
    return ReadyTask(
        engine_task_id=str(task.id),
        bpmn_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        form_key=getattr(form, "key", None) or "",
        roles=roles,
        tier=int(tier) if tier and tier.isdigit() else None,
        due_at=min(due_times) if due_times else None,
    )


def _waiting_timer_tasks(workflow: BpmnWorkflow) -> list:
    return [task for task in workflow.get_tasks(state=TaskState.WAITING) if _is_waiting_timer(task)]


def _is_waiting_timer(task) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    return task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition)


def _extensions(task) -> dict:
    return getattr(task.task_spec, "extensions", None) or {}


def _timer_identity(task) -> FiredTimer:
    spec = task.task_spec
    return FiredTimer(bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                      signal=_extensions(task).get("signal", ""))


def _timer_unit(task, calendar: BusinessCalendar) -> str:
    """How a waiting timer's limit counts: "statutory", "working" or "clock" (see reschedule_timers)."""
    if _extensions(task).get("calendar") == "natural":
        return "statutory"
    definition = task.task_spec.event_definition
    if not isinstance(definition, CalendarDurationTimer):
        return "clock"
    try:
        duration = parse_duration(str(task.workflow.script_engine.evaluate(task, definition.expression)))
    except (CalendarError, ProcessError, SpiffWorkflowException):
        return "clock"
    return "working" if calendar.counts_working_days(duration) else "clock"


def _waiting_timer(task) -> WaitingTimer | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # a cycle timer keeps its next occurrence
        value = value.get("next")
    try:
        due_at = TimerEventDefinition.get_datetime(value)
    except (TypeError, ValueError):
        return None
    identity, extensions = _timer_identity(task), _extensions(task)
    return WaitingTimer(bpmn_id=identity.bpmn_id, name=identity.name, signal=identity.signal, due_at=due_at,
                        statutory=extensions.get("calendar") == "natural",
                        closing=extensions.get("closing_limit") == "true",
                        reminder=extensions.get("reminder") == "true")

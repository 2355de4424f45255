"""The engine's internals: how it drives SpiffWorkflow, shared by `runtime`, `design` and `dry_run`.

Nothing outside `app/services/engine/` imports this module; the package's public names are in `runtime`,
`design`, `dry_run` and `results`. Here are the parser (our extensions of the Camunda parser), the
serializer (a case stores its instance only; specs are stored once per process version), the restricted
script engine, the step loop (`advance`) and what a workflow's state is read into (`result`).

Every use of SpiffWorkflow's private API is in the first section below, each with why: SpiffWorkflow 3.2
has no public way to do it. The pin `SpiffWorkflow~=3.2.0` (setup.cfg) is what keeps these calls safe;
on an upgrade of the library, check this section first (tests/unit/test_engine*.py and
tests/integration/test_saved_states.py exercise every one).
"""
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
import orjson
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
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.services.engine import expressions
from app.services.engine.results import EngineResult, FiredTimer, ProcessSpecs, ReadyTask, SavedState, WaitingTimer
from app.services.errors import DefinitionError, ProcessError
from app.services.time_limits import clock
from app.services.time_limits.business_calendar import BusinessCalendar, CalendarError

MAX_BPMN_BYTES = 2 * 1024 * 1024


# --- SpiffWorkflow's private API ---------------------------------------------------------------
# A timer task keeps its due time (or a cycle's next occurrence) and whether it fired in the task's
# internal data, under "event_value" and "event_fired"; SpiffWorkflow 3.2 reads and writes them only
# inside its event definitions, with no public accessor. We need them to compute a duration's due time
# through the business calendar (CalendarDurationTimer), to list the waiting timers with their due times,
# to move a due time (a paused clock resumed, a schedule entered, an agreed extension), to carry due
# times over a migration to a new version, and to fire a timer at once in the dry run.

def timer_value(task) -> Any:
    """The timer's due time as stored (ISO text, or a dict for a cycle), or None before it waits."""
    return task._get_internal_data("event_value")


def set_timer_value(task, value: str) -> None:
    task._set_internal_data(event_value=value)


def timer_fired(task) -> bool:
    return task._get_internal_data("event_fired", False)


def set_timer_fired(task) -> None:
    task._set_internal_data(event_fired=True)


def to_json(convert: Callable[[], Any]) -> str:
    """JSON of what `convert` builds with the serializer's registry, as `serialize_json` writes it.

    `serialize_json` serializes a whole workflow only; we serialize an instance without its specs and
    the specs alone, so we repeat what it does around the encoder: the registry's `_encoder_mode` (set
    while encoding) and the serializer's `_encoder_cls` are private in SpiffWorkflow 3.2. orjson writes it
    (a third of the stdlib's time; UTF-8 instead of \\u escapes), handing SpiffWorkflow's encoder what
    JSON lacks: dates and times (passed through, not written orjson's way), decimals, sets."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        return orjson.dumps(convert(), default=_SPIFF_ENCODER.default, option=_ORJSON_OPTIONS).decode()
    finally:
        registry._encoder_mode = False


# --- The parser, the serializer, the script engine ---------------------------------------------

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
STEP_CALENDAR: ContextVar[BusinessCalendar] = ContextVar("step_calendar", default=BusinessCalendar("calendar"))
# During a step of a case whose clock is paused: only the legal clocks (calendar=natural) may fire.
_STEP_PAUSED: ContextVar[bool] = ContextVar("step_paused", default=False)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:?\d{2}|Z)?)?$")


class CalendarDurationTimer(DurationTimerEventDefinition):
    """A duration timer whose due time comes from the business calendar (working days, holidays).

    The due time is computed once, when the timer starts waiting, and kept with the timer's task:
    `reschedule_timers` moves it when a paused clock resumes or a year's schedule is entered, and a
    migration carries it over.
    """

    def has_fired(self, my_task):
        event_value = timer_value(my_task)
        if event_value is None:
            value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            natural = task_extensions(my_task).get("calendar") == "natural"
            try:
                due = STEP_CALENDAR.get().add(clock.now(), str(value), natural=natural)
            except CalendarError as error:
                raise ProcessError(_("计时器 “%(timer)s” 的时长无效：%(reason)s", timer=self.name, reason=error)) from None
            event_value = due.isoformat()
            set_timer_value(my_task, event_value)
        held = _STEP_PAUSED.get() and task_extensions(my_task).get("calendar") != "natural"
        if not held and TimerEventDefinition.get_datetime(event_value) <= clock.now():
            set_timer_fired(my_task)
        return timer_fired(my_task)



def _timer_value_expression(text: str) -> str:
    """A bare ISO duration or date becomes the quoted text the engine evaluates."""
    text = (text or "").strip()
    if text.upper().startswith("P") or ISO_DATE.match(text):
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


class Parser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (_UserTaskParser, UserTask),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("intermediateCatchEvent"): (_IntermediateCatchEventParser, IntermediateCatchEvent),
        full_tag("subProcess"): (_SubprocessParser, CallActivity),
    }


SERIALIZER = _serializer()
_SPIFF_ENCODER = SERIALIZER._encoder_cls()
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_NON_STR_KEYS
# Stored serializer versions: "spiff-<v>" is the whole workflow with its specs (how states were stored
# before the specs were kept per version, still read); "spiff-<v>/instance" is the instance only, its
# specs stored once per process version under "spiff-<v>" (SPEC_VERSION).
SPEC_VERSION = f"spiff-{SERIALIZER.VERSION}"
_INSTANCE_LAYOUT = "instance"
SERIALIZER_VERSION = f"{SPEC_VERSION}/{_INSTANCE_LAYOUT}"
SCRIPT_ENGINE = PythonScriptEngine(environment=_RestrictedEnvironment())
# Deserialized specs per process version, in this worker; a few versions are ever live at once.
_SPEC_CACHE_SIZE = 32
_spec_cache: OrderedDict[int, tuple[Any, dict]] = OrderedDict()
_spec_cache_lock = threading.Lock()
_per_thread = threading.local()


# --- Diagrams and stored specs ------------------------------------------------------------------

_BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def bpmn(tag: str) -> str:
    return f"{{{_BPMN_NS}}}{tag}"


def local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def bpmn_validator() -> BpmnValidator:
    """BPMN's XML schema, built once per thread: a build costs ~20 ms and a check or deploy parses twice. One
    per thread, because a validator keeps its last validation's errors on itself (`error_log`) to report them."""
    validator = getattr(_per_thread, "bpmn_validator", None)
    if validator is None:
        validator = _per_thread.bpmn_validator = BpmnValidator()
    return validator


def safe_root(bpmn_xml: str):
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


def executable_processes(root) -> list:
    return [node for node in root.iter(bpmn("process")) if node.get("isExecutable", "true") != "false"]


@dataclass(frozen=True)
class ParsedProcess:
    key: str
    name: str
    spec: Any
    subprocess_specs: dict


@lru_cache(maxsize=32)
def parse(bpmn_xml: str) -> ParsedProcess:
    root = safe_root(bpmn_xml)
    executable = executable_processes(root)
    if len(executable) != 1:
        raise DefinitionError(_("BPMN 文件必须恰好包含一个可执行流程。"))
    key, name = executable[0].get("id"), executable[0].get("name") or executable[0].get("id")
    parser = Parser(validator=bpmn_validator())
    try:
        parser.add_bpmn_str(bpmn_xml.encode("utf-8"))
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as error:
        raise DefinitionError(_("BPMN 校验失败：%(reason)s", reason=error)) from None
    except SpiffWorkflowException as error:
        raise DefinitionError(_("流程引擎无法解析该流程：%(reason)s", reason=error)) from None
    return ParsedProcess(key=key, name=name, spec=spec, subprocess_specs=subprocess_specs)


def forget_specs() -> None:
    """Empty this worker's spec cache. Process versions are never deleted, so their ids name the same
    specs for the life of a database; only something that empties the database (the tests) calls this."""
    with _spec_cache_lock:
        _spec_cache.clear()


def specs_json(spec, subprocess_specs: dict) -> str:
    registry = SERIALIZER.registry
    return to_json(lambda: {"spec": registry.convert(spec),
                             "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()}})


def _restore_specs(text: str) -> tuple[Any, dict]:
    registry = SERIALIZER.registry
    dct = orjson.loads(text)
    return registry.restore(dct["spec"]), {name: registry.restore(sub) for name, sub in dct["subprocess_specs"].items()}


def process_specs(process: ProcessSpecs) -> tuple[tuple[Any, dict], str | None]:
    """A process version's deserialized specs, from this worker's cache, the stored specs, or (none
    stored in SPEC_VERSION) parsed from its diagram — then also returned serialized, to be stored."""
    with _spec_cache_lock:
        cached = _spec_cache.get(process.version_id)
        if cached is not None:
            _spec_cache.move_to_end(process.version_id)
            return cached, None
    stored = process.read(SPEC_VERSION)
    if stored is None:
        parsed = parse(process.bpmn_xml())
        return (parsed.spec, parsed.subprocess_specs), specs_json(parsed.spec, parsed.subprocess_specs)
    specs = _restore_specs(stored)
    with _spec_cache_lock:
        _spec_cache[process.version_id] = specs
        while len(_spec_cache) > _SPEC_CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return specs, None


def load(saved: SavedState) -> tuple[BpmnWorkflow, str | None]:
    """The workflow of a saved state, and the specs to store if none are stored in SPEC_VERSION."""
    dct = orjson.loads(saved.state)
    if saved.serializer_version == SERIALIZER_VERSION:
        specs, new_specs = process_specs(saved.process)
        workflow = SERIALIZER.registry.restore(dct, specs=specs)
    else:
        workflow, new_specs = _upgrade(dct, saved)
    workflow.script_engine = SCRIPT_ENGINE
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
        dct.update(orjson.loads(stored))
    dct[SERIALIZER.VERSION_KEY] = library_version.removeprefix("spiff-")
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.registry.restore(dct)
    _current, new_specs = process_specs(saved.process)
    return workflow, new_specs and specs_json(workflow.spec, workflow.subprocess_specs)


# --- One step, and what a workflow's state is read into -----------------------------------------

def advance(workflow: BpmnWorkflow, step: Callable[[], None], calendar: BusinessCalendar | None,
             new_specs: str | None, paused: bool = False) -> EngineResult:
    waiting_before = {task.id: task for task in waiting_timer_tasks(workflow)}
    token = STEP_CALENDAR.set(calendar or BusinessCalendar("calendar"))
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
        STEP_CALENDAR.reset(token)
        _STEP_PAUSED.reset(paused_token)
    fired = tuple(
        _timer_identity(task)
        for task in waiting_before.values()
        if task.state == TaskState.COMPLETED
    )
    return result(workflow, fired, new_specs)


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


def result(workflow: BpmnWorkflow, fired: tuple[FiredTimer, ...], new_specs: str | None = None) -> EngineResult:
    live = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)  # one walk of the task tree for both
    ready = [task for task in live if task.state == TaskState.READY and task.task_spec.manual]
    timers = tuple(timer for timer in (waiting_timer(task) for task in live if _is_waiting_timer(task))
                   if timer is not None)
    completed = workflow.is_completed()
    return EngineResult(
        state=to_json(lambda: SERIALIZER.registry.convert(workflow)),
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
        waiting_timer(sibling)
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


def waiting_timer_tasks(workflow: BpmnWorkflow) -> list:
    return [task for task in workflow.get_tasks(state=TaskState.WAITING) if _is_waiting_timer(task)]


def _is_waiting_timer(task) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    return task.state == TaskState.WAITING and isinstance(definition, TimerEventDefinition)


def task_extensions(task) -> dict:
    return getattr(task.task_spec, "extensions", None) or {}


def _timer_identity(task) -> FiredTimer:
    spec = task.task_spec
    return FiredTimer(bpmn_id=spec.bpmn_id, name=spec.bpmn_name or spec.bpmn_id,
                      signal=task_extensions(task).get("signal", ""))



def waiting_timer(task) -> WaitingTimer | None:
    value = timer_value(task)
    if isinstance(value, dict):  # a cycle timer keeps its next occurrence
        value = value.get("next")
    try:
        due_at = TimerEventDefinition.get_datetime(value)
    except (TypeError, ValueError):
        return None
    identity, extensions = _timer_identity(task), task_extensions(task)
    return WaitingTimer(bpmn_id=identity.bpmn_id, name=identity.name, signal=identity.signal, due_at=due_at,
                        statutory=extensions.get("calendar") == "natural",
                        closing=extensions.get("closing_limit") == "true",
                        reminder=extensions.get("reminder") == "true")

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

The machinery all this shares with `design` and `dry_run` (parser, serializer, script engine, the step
loop, reading timers, every call into SpiffWorkflow's private API) is in the internal module `_spiff`;
the dataclasses it returns are in `results`.
"""
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from flask_babel import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from app.services.engine import _spiff, expressions
from app.services.engine._spiff import MAX_BPMN_BYTES, SERIALIZER_VERSION, SPEC_VERSION, forget_specs
from app.services.engine.results import (
    EngineResult,
    FiredTimer,
    ProcessInfo,
    ProcessSpecs,
    ReadyTask,
    SavedState,
    WaitingTimer,
)
from app.services.errors import InvalidInputError, ProcessError, TaskNotReadyError
from app.services.time_limits.business_calendar import BusinessCalendar, CalendarError, parse_duration

# Defined with the machinery or with the other dataclasses; the engine's public names, from here.
__all__ = [
    "MAX_BPMN_BYTES", "SERIALIZER_VERSION", "SPEC_VERSION", "EngineResult", "FiredTimer", "ProcessInfo",
    "ProcessSpecs", "ReadyTask", "SavedState", "WaitingTimer", "checksum", "complete_task", "describe",
    "fire_due_timers", "forget_specs", "inspect_definition", "reschedule_timers", "serialize_specs",
    "shift_timers", "start_workflow", "timer_expression_problem",
]


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
    if _spiff.ISO_DATE.match(literal):
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


def checksum(bpmn_xml: str) -> str:
    return hashlib.sha256(bpmn_xml.encode("utf-8")).hexdigest()


def inspect_definition(bpmn_xml: str) -> ProcessInfo:
    """Parse and validate a BPMN document holding one executable process; raise DefinitionError."""
    parsed = _spiff.parse(bpmn_xml)
    return ProcessInfo(key=parsed.key, name=parsed.name, checksum=checksum(bpmn_xml))


def serialize_specs(bpmn_xml: str) -> str:
    """A definition's process and subprocess specs, serialized in SPEC_VERSION, to store once per version."""
    parsed = _spiff.parse(bpmn_xml)
    return _spiff.specs_json(parsed.spec, parsed.subprocess_specs)


def start_workflow(process: ProcessSpecs, data: Mapping[str, Any],
                   calendar: BusinessCalendar | None = None) -> EngineResult:
    """Create a workflow of a deployed version, seed its data and run it to the first waits."""
    _check_data_keys(data)
    (spec, subprocess_specs), new_specs = _spiff.process_specs(process)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=_spiff.SCRIPT_ENGINE)
    workflow.task_tree.data.update(data)
    return _spiff.advance(workflow, lambda: None, calendar, new_specs)


def complete_task(saved: SavedState, engine_task_id: str, data: Mapping[str, Any],
                  calendar: BusinessCalendar | None = None, paused: bool = False) -> EngineResult:
    """Complete a ready user task with already validated form data and run on (`paused`: the case's
    clock is paused, so only the legal clocks may fire on the way)."""
    _check_data_keys(data)
    workflow, new_specs = _spiff.load(saved)
    task = _ready_user_task(workflow, engine_task_id)

    def run_task():
        task.data.update(data)
        task.run()

    return _spiff.advance(workflow, run_task, calendar, new_specs, paused)


def fire_due_timers(saved: SavedState, calendar: BusinessCalendar | None = None,
                    paused: bool = False) -> EngineResult:
    """Fire the timers that are due by now (the engine reads the clock) and run on.

    `paused`: the case's clock is paused: only the legal clocks fire, the others stand still.
    """
    workflow, new_specs = _spiff.load(saved)
    return _spiff.advance(workflow, workflow.refresh_timers, calendar, new_specs, paused)


def reschedule_timers(saved: SavedState, calendar: BusinessCalendar,
                      new_due: Callable[[WaitingTimer, str], datetime | None]) -> EngineResult | None:
    """Give waiting timers new due times: `new_due(timer, unit)` returns one, or None to leave it.

    `unit` is how the timer's limit counts: "working" (days on working time), "clock" (clock time),
    or "statutory" (a legal clock in calendar days). None when no due time changed.
    """
    workflow, new_specs = _spiff.load(saved)
    moved = False
    for task in _spiff.waiting_timer_tasks(workflow):
        timer = _spiff.waiting_timer(task)
        if timer is None:
            continue
        due = new_due(timer, _timer_unit(task, calendar))
        if due is not None and due != timer.due_at:
            _spiff.set_timer_value(task, due.isoformat())
            moved = True
    return _spiff.result(workflow, fired=(), new_specs=new_specs) if moved else None


def shift_timers(saved: SavedState, delta: timedelta, only: set[str] | None = None) -> EngineResult | None:
    """Move waiting timers' due times by `delta` (all, or those whose bpmn id is in `only`).

    An agreed extension moves the mediation limit this way; nothing fires here. None when there was
    no such timer to move.
    """
    workflow, new_specs = _spiff.load(saved)
    moved = False
    for task in _spiff.waiting_timer_tasks(workflow):
        due = _spiff.waiting_timer(task)
        if due is not None and (only is None or due.bpmn_id in only):
            _spiff.set_timer_value(task, (due.due_at + delta).isoformat())
            moved = True
    return _spiff.result(workflow, fired=(), new_specs=new_specs) if moved else None


def describe(saved: SavedState) -> EngineResult:
    """Where a saved workflow stands, without changing it."""
    workflow, new_specs = _spiff.load(saved)
    return _spiff.result(workflow, fired=(), new_specs=new_specs)


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


def _timer_unit(task, calendar: BusinessCalendar) -> str:
    """How a waiting timer's limit counts: "statutory", "working" or "clock" (see reschedule_timers)."""
    if _spiff.task_extensions(task).get("calendar") == "natural":
        return "statutory"
    definition = task.task_spec.event_definition
    if not isinstance(definition, _spiff.CalendarDurationTimer):
        return "clock"
    try:
        duration = parse_duration(str(task.workflow.script_engine.evaluate(task, definition.expression)))
    except (CalendarError, ProcessError, SpiffWorkflowException):
        return "clock"
    return "working" if calendar.counts_working_days(duration) else "clock"

"""The dry run a deploy makes: prove in memory that cases can run on a diagram before it goes live.

It starts the process with the data a new case gives, completes every user task with sample data
from its form (one variant per choice, so each gateway path the forms allow is taken), fires every
waiting timer (its due time is moved into the past, the engine's way of moving the clock), and saves
and reloads the state after every step, as a running case would. Any engine failure becomes a
problem on the element where it happened. Each answer of each task and each timer is tried once,
from the first state it is met in (breadth first), so every path is walked and loops end.
"""
import ast
import json
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.services.engine import _spiff
from app.services.engine.design import DefinitionProblem, plain_text
from app.services.errors import DefinitionError, ProcessError
from app.services.time_limits.business_calendar import BusinessCalendar

MAX_STATES = 400
_LONG_AGO = "2000-01-01T00:00:00+00:00"
_UNDEFINED_NAME = re.compile(r"'(\w+)' is not defined in the case data")


@dataclass(frozen=True)
class _Where:
    element_id: str
    element_name: str


def dry_run(bpmn_xml: str, start_data: Sequence[Mapping[str, Any]],
            task_data: Mapping[str, Sequence[Mapping[str, Any]]],
            day_counting: str = "calendar") -> list[DefinitionProblem]:
    """Every engine failure met while walking the diagram's paths; an empty list means cases run.

    `start_data` are the data new cases may start with, `task_data` the sample data of each form
    (by `camunda:formKey`), several per form so that every choice is taken once; `day_counting` is
    how durations count days (`working` or `calendar`, as JIEFEN_DAY_COUNTING).
    """
    try:
        _spiff.parse(bpmn_xml)  # a diagram the engine cannot parse is one problem for the whole file
    except DefinitionError as error:
        return [DefinitionProblem("", "", error.message)]
    read = _names_read(bpmn_xml)
    starts = _variants_that_matter(start_data, read)
    answers = {form_key: _variants_that_matter(samples, read) for form_key, samples in task_data.items()}
    return list(_walk(bpmn_xml, _frozen(starts), _frozen(answers), day_counting, read))


def _frozen(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


@lru_cache(maxsize=64)
def _walk(bpmn_xml: str, starts: str, answers: str, day_counting: str,
          read: frozenset[str]) -> tuple[DefinitionProblem, ...]:
    """The walk itself, remembered per diagram, sample data and calendar: deploying the same file
    again (every `deploy-processes`, every test) does not walk it again."""
    parsed = _spiff.parse(bpmn_xml)
    task_data = json.loads(answers)
    walk = _Walk(BusinessCalendar(day_counting), read, (parsed.spec, parsed.subprocess_specs))
    for data in json.loads(starts):
        workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=_spiff.SCRIPT_ENGINE)
        workflow.task_tree.data.update(data)
        walk.step(workflow, None, lambda: None)
    while walk.frontier and len(walk.seen) < MAX_STATES:
        state, where, moves = walk.frontier.popleft()
        tried = 0
        for kind, task_id, bpmn_id, form_key in moves:
            if kind == "timer":
                if walk.first_time(("timer", bpmn_id)):
                    tried += walk.fire(state, where, task_id)
                continue
            for number, sample in enumerate(task_data.get(form_key) or [{}]):
                if walk.first_time(("task", bpmn_id, number)):
                    tried += walk.complete(state, where, task_id, sample)
        if not tried:
            walk.load(state, where)  # every saved state is read back at least once
    return tuple(walk.problems)


class _Walk:
    def __init__(self, calendar: BusinessCalendar, read: frozenset[str], specs: tuple):
        self.calendar = calendar
        self.specs = specs  # states are saved as cases' are: the instance only, restored with these specs
        self.read = read
        self.frontier: deque[tuple[str, _Where | None, list]] = deque()
        self.seen: set = set()
        self.tried: set[tuple] = set()
        self.problems: list[DefinitionProblem] = []
        self._reported: set[tuple[str, str]] = set()

    def first_time(self, move: tuple) -> bool:
        """Each answer of each user task, and each timer, is tried once: from the first state it is met in."""
        if move in self.tried:
            return False
        self.tried.add(move)
        return True

    def load(self, state: str, where: "_Where | None") -> BpmnWorkflow | None:
        try:
            workflow = _spiff.SERIALIZER.registry.restore(json.loads(state), specs=self.specs)
        except Exception as error:  # a saved state that cannot be read back would strand every case
            self.problem(where, _("流程走到这里后保存的状态无法读回：请改用系统支持的元素（见说明）。"), error)
            return None
        workflow.script_engine = _spiff.SCRIPT_ENGINE
        return workflow

    def complete(self, state: str, where: "_Where | None", task_id, data: Mapping[str, Any]) -> bool:
        workflow = self.load(state, where)
        if workflow is None:
            return True
        task = workflow.get_task_from_id(task_id)

        def run():
            task.data.update(data)
            task.run()

        self.step(workflow, task, run)
        return True

    def fire(self, state: str, where: "_Where | None", task_id) -> bool:
        workflow = self.load(state, where)
        if workflow is None:
            return True
        task = workflow.get_task_from_id(task_id)

        def run():
            _spiff.set_timer_value(task, _LONG_AGO)
            workflow.refresh_timers()

        self.step(workflow, task, run)
        return True

    def step(self, workflow: BpmnWorkflow, task, action: Callable[[], None]) -> None:
        """Run one step; on success queue the saved state (once per distinct state)."""
        current = [task]
        token = _spiff.STEP_CALENDAR.set(self.calendar)
        try:
            action()
            workflow.do_engine_steps(will_complete_task=lambda started: current.__setitem__(0, started))
        except Exception as error:  # whatever the engine raises, a case would fail here
            self.failure(_where_of(error, current[0]), error)
            return
        finally:
            _spiff.STEP_CALENDAR.reset(token)
        key = _state_key(workflow, self.read)
        if key in self.seen:
            return
        where = _where_of(None, current[0])
        try:
            state = _spiff.SERIALIZER.serialize_json(workflow)
        except Exception as error:
            self.problem(_newest_waiting(workflow) or where,
                         _("流程走到这里后状态无法保存：该环节用了系统不支持的功能，请改用用户任务、网关或计时器。"), error)
            return
        self.seen.add(key)
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        timers = _spiff.waiting_timer_tasks(workflow)
        if not ready and not timers and not workflow.is_completed():
            self.stuck(workflow, where)
        moves = [("task", task.id, task.task_spec.bpmn_id,
                  getattr(getattr(task.task_spec, "form", None), "key", None) or "") for task in ready]
        moves += [("timer", timer.id, timer.task_spec.bpmn_id, "") for timer in timers]
        self.frontier.append((state, where, moves))

    def failure(self, where: "_Where | None", error: BaseException) -> None:
        reason = _innermost_message(error)
        missing = _UNDEFINED_NAME.search(reason)
        if missing:
            message = _("试运行到这里时，条件或计时器用到的字段 “%(field)s” 没有任何表单或登记信息提供：请改用已有的字段，"
                        "或在前面的表单中收集它。", field=missing.group(1))
        elif "No conditions satisfied" in reason or "no default" in reason.lower():
            message = _("试运行到这里时没有一个条件成立，案件会停住：请设置默认路径，或检查各条件。")
        else:
            message = _("试运行到这里时流程出错，案件会停在这里：请检查该环节的类型、条件和计时器。")
        self.problem(where, message, reason)

    def stuck(self, workflow: BpmnWorkflow, where: "_Where | None") -> None:
        waiting = [task for task in workflow.get_tasks(state=TaskState.WAITING)
                   if getattr(task.task_spec, "bpmn_id", None)]
        self.problem(_spec_where(waiting[-1].task_spec) if waiting else where,
                     _("试运行到这里时案件停住了：没有可办理的任务，也没有计时器，请改用用户任务或计时器。"), "")

    def problem(self, where: "_Where | None", message: str, error: BaseException | str) -> None:
        element_id, name = (where.element_id, where.element_name) if where else ("", "")
        if (element_id, message) in self._reported:
            return
        self._reported.add((element_id, message))
        details = error if isinstance(error, str) else _innermost_message(error)
        self.problems.append(DefinitionProblem(element_id, name, message, plain_text(details)))


def _names_read(bpmn_xml: str) -> frozenset[str]:
    """The data fields the diagram's conditions and timer values read: only they can change a path."""
    names = set()
    for node in _spiff.safe_root(bpmn_xml).iter():
        if _spiff.local(node.tag) in ("conditionExpression", "timeDuration", "timeDate", "timeCycle") and node.text:
            try:
                tree = ast.parse(node.text.strip(), mode="eval")
            except SyntaxError:
                continue
            names |= {part.id for part in ast.walk(tree) if isinstance(part, ast.Name)}
    return frozenset(names)


def _variants_that_matter(samples: Sequence[Mapping[str, Any]], read: frozenset[str]) -> list[Mapping[str, Any]]:
    """The first sample, and the others that differ from it in a field the diagram reads."""
    if not samples:
        return []
    first = samples[0]
    return [first] + [sample for sample in samples[1:]
                      if any(sample.get(name) != first.get(name) for name in read)]


def _state_key(workflow: BpmnWorkflow, read: frozenset[str]) -> tuple:
    active = sorted(
        (task.task_spec.bpmn_id or "", task.state)
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    )
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    data = ready[0].data if ready else workflow.data
    return tuple(active), workflow.is_completed(), repr(sorted((k, v) for k, v in data.items() if k in read))


def _spec_where(spec) -> _Where | None:
    bpmn_id = getattr(spec, "bpmn_id", None)
    if not bpmn_id:
        return None
    return _Where(bpmn_id, " ".join((getattr(spec, "bpmn_name", None) or "").split()))


def _where_of(error: BaseException | None, task) -> _Where | None:
    for candidate in (getattr(error, "task", None), getattr(error, "task_spec", None), getattr(error, "sender", None),
                      task):
        where = _spec_where(getattr(candidate, "task_spec", candidate))
        if where is not None:
            return where
    return None


def _newest_waiting(workflow: BpmnWorkflow) -> _Where | None:
    tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    for task in reversed(tasks):
        where = _spec_where(task.task_spec)
        if where is not None:
            return where
    return None


def _innermost_message(error: BaseException) -> str:
    """Our own message if the engine wraps one of our errors, else the engine's text."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ProcessError):
            return current.message
        seen.add(id(current))
        current = getattr(current, "exception", None) or current.__cause__ or current.__context__
    return f"{type(error).__name__}: {error}" if not str(error) else str(error)

"""Designing processes: validation before deploy, the diff of two versions, migrating running
workflows to a new version, and where a workflow stands for its diagram."""
import ast
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.bpmn.util.diff import migrate_workflow as spiff_migrate
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.services.engine import expressions
from app.services.engine.runtime import (
    _SCRIPT_ENGINE,
    _SERIALIZER,
    EngineResult,
    WaitingTimer,
    _advance,
    _bpmn,
    _executable_processes,
    _load,
    _local,
    _parse,
    _Parser,
    _result,
    _safe_root,
    _waiting_timer,
    _waiting_timer_tasks,
    timer_expression_problem,
)
from app.services.errors import DefinitionError, ProcessError
from app.services.time_limits.business_calendar import BusinessCalendar

_FLOW_NODE_TAGS = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "exclusiveGateway",
    "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
})
_REFUSED_TASKS = {
    "scriptTask": _l("脚本任务不会被执行：图中不允许脚本，请改用网关条件和表单字段"),
    "serviceTask": _l("服务任务不会被执行：图中不允许调用服务"),
    "businessRuleTask": _l("业务规则任务不被支持"),
}
_TIMER_VALUE_TAGS = ("timeDuration", "timeDate", "timeCycle")


@dataclass(frozen=True)
class DefinitionProblem:
    """One reason a diagram cannot be deployed, next to the element it concerns ("" for the whole file)."""

    element_id: str
    element_name: str
    message: str


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    name: str
    kind: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DefinitionDiff:
    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]


def process_key_of(bpmn_xml: str) -> str | None:
    """The id of the diagram's one executable process, or None if it has not exactly one (or is not XML)."""
    try:
        processes = _executable_processes(_safe_root(bpmn_xml))
    except DefinitionError:
        return None
    return processes[0].get("id") if len(processes) == 1 else None


def validate_definition(bpmn_xml: str, form_keys, roles) -> list[DefinitionProblem]:
    """Every reason a diagram cannot be deployed; an empty list means it can.

    `form_keys` are the forms user tasks may name (`camunda:formKey`), `roles` the roles they may
    name (`camunda:candidateGroups`). All problems are collected, not only the first.
    """
    try:
        root = _safe_root(bpmn_xml)
    except DefinitionError as error:
        return [DefinitionProblem("", "", error.message)]
    processes = _executable_processes(root)
    if len(processes) != 1:
        return [DefinitionProblem("", "", _("BPMN 文件必须恰好包含一个可执行流程。"))]
    process = processes[0]
    problems: list[DefinitionProblem] = []
    problems += _element_problems(process, frozenset(form_keys), frozenset(roles))
    problems += _reachability_problems(process)
    flagged = {problem.element_id for problem in problems}
    problems += [problem for problem in _engine_problems(bpmn_xml, process.get("id"))
                 if not problem.element_id or problem.element_id not in flagged]
    return problems


def _problem(node, message: str) -> DefinitionProblem:
    return DefinitionProblem(node.get("id", ""), node.get("name", "") or "", message)


def _element_problems(process, form_keys: frozenset, roles: frozenset) -> list[DefinitionProblem]:
    problems = []
    parents = _parents(process)
    outgoing: dict[str, list] = {}
    for flow in process.iter(_bpmn("sequenceFlow")):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for node in process.iter():
        tag = _local(node.tag)
        if tag in _REFUSED_TASKS:
            problems.append(_problem(node, str(_REFUSED_TASKS[tag])))
        elif tag == "userTask":
            problems += _user_task_problems(node, form_keys, roles)
        elif tag in ("exclusiveGateway", "inclusiveGateway"):
            problems += _gateway_problems(node, outgoing.get(node.get("id"), []))
        elif tag == "sequenceFlow":
            condition = node.find(_bpmn("conditionExpression"))
            if condition is not None:
                problems += _condition_problems(node, condition.text)
        elif tag == "timerEventDefinition":
            event = parents.get(node)
            values = [child.text for child in node if _local(child.tag) in _TIMER_VALUE_TAGS]
            message = timer_expression_problem(values[0] if values else None)
            if message:
                problems.append(_problem(event if event is not None else node, _("计时器无效：%(reason)s", reason=message)))
        elif tag == "script" and _local(parents[node].tag) != "scriptTask":
            problems.append(_problem(parents[node], _("图中不允许脚本")))
    return problems


def _parents(process) -> dict:
    return {child: node for node in process.iter() for child in node}


def _user_task_problems(node, form_keys: frozenset, roles: frozenset) -> list[DefinitionProblem]:
    problems = []
    form_key = (node.get(f"{{{CAMUNDA_MODEL_NS}}}formKey") or "").strip()
    if not form_key:
        problems.append(_problem(node, _("用户任务没有指定表单（camunda:formKey）")))
    elif form_key not in form_keys:
        problems.append(_problem(node, _("表单 “%(form_key)s” 不存在", form_key=form_key)))
    groups = [g.strip() for g in (node.get(f"{{{CAMUNDA_MODEL_NS}}}candidateGroups") or "").split(",") if g.strip()]
    if not groups:
        problems.append(_problem(node, _("用户任务没有指定办理角色（camunda:candidateGroups）")))
    unknown = [group for group in groups if group not in roles]
    if unknown:
        problems.append(_problem(node, _("未知的办理角色：%(roles)s", roles=_("、").join(unknown))))
    return problems


def _gateway_problems(node, outgoing: list) -> list[DefinitionProblem]:
    if len(outgoing) < 2:
        return []
    default = node.get("default")
    problems = []
    if not default:
        problems.append(_problem(node, _("分支网关没有默认路径：条件都不满足时流程会停住")))
    elif default not in {flow.get("id") for flow in outgoing}:
        problems.append(_problem(node, _("默认路径 “%(flow)s” 不是该网关的出口", flow=default)))
    for flow in outgoing:
        if flow.get("id") != default and flow.find(_bpmn("conditionExpression")) is None:
            problems.append(_problem(flow, _("网关分支没有条件（只有默认路径可以不写条件）")))
    return problems


def _condition_problems(flow, text: str | None) -> list[DefinitionProblem]:
    if not (text or "").strip():
        return [_problem(flow, _("条件为空"))]
    try:
        tree = expressions.check_expression(text.strip())
        _check_constant_work(tree)
    except expressions.ExpressionError as error:
        return [_problem(flow, _("条件 “%(condition)s” 不被允许：%(reason)s", condition=text.strip()[:80], reason=error))]
    return []


def _check_constant_work(tree) -> None:
    """Evaluate the parts of an expression that read no data (`10**10**10`), within the evaluator's bounds."""

    for node in ast.walk(tree):
        if isinstance(node, (ast.BinOp, ast.UnaryOp)) and not any(
                isinstance(part, ast.Name) for part in ast.walk(node)):
            try:
                expressions.evaluate(ast.unparse(node), {})
            except expressions.ExpressionError:
                raise
            except Exception as error:  # 1/0 and the like would fail on every case
                raise expressions.ExpressionError(str(error)) from None


def _reachability_problems(process) -> list[DefinitionProblem]:
    """Flow nodes no path from a start event reaches (boundary events ride on their activity)."""
    nodes = {}
    children_of: dict[str, list[str]] = {}

    def collect(scope, scope_id):
        for child in scope:
            tag = _local(child.tag)
            if tag in _FLOW_NODE_TAGS and child.get("id"):
                nodes[child.get("id")] = child
                children_of.setdefault(scope_id, []).append(child.get("id"))
                if tag in ("subProcess", "transaction"):
                    collect(child, child.get("id"))

    collect(process, "")
    edges: dict[str, set[str]] = {node_id: set() for node_id in nodes}
    for flow in process.iter(_bpmn("sequenceFlow")):
        if flow.get("sourceRef") in edges:
            edges[flow.get("sourceRef")].add(flow.get("targetRef"))
    for node_id, node in nodes.items():
        if _local(node.tag) == "boundaryEvent" and node.get("attachedToRef") in edges:
            edges[node.get("attachedToRef")].add(node_id)
        if _local(node.tag) in ("subProcess", "transaction"):
            for child_id in children_of.get(node_id, []):
                child = nodes[child_id]
                if _local(child.tag) == "startEvent" or child.get("triggeredByEvent") == "true":
                    edges[node_id].add(child_id)
    starts = [
        node_id for node_id in children_of.get("", [])
        if _local(nodes[node_id].tag) == "startEvent" or nodes[node_id].get("triggeredByEvent") == "true"
    ]
    if not starts:
        return [DefinitionProblem(process.get("id", ""), process.get("name", "") or "", _("流程没有开始事件"))]
    reached, stack = set(), list(starts)
    while stack:
        node_id = stack.pop()
        if node_id in reached:
            continue
        reached.add(node_id)
        stack.extend(edges.get(node_id, ()))
    return [_problem(node, _("从开始事件无法到达该环节")) for node_id, node in nodes.items() if node_id not in reached]


def _engine_problems(bpmn_xml: str, key: str) -> list[DefinitionProblem]:
    """What SpiffWorkflow itself refuses: schema errors, unsupported constructs, a workflow it cannot build."""
    parser = _Parser(validator=BpmnValidator())
    try:
        parser.add_bpmn_str(bpmn_xml.encode("utf-8"))
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
        BpmnWorkflow(spec, subprocess_specs, script_engine=_SCRIPT_ENGINE)
    except ValidationException as error:
        return [DefinitionProblem(getattr(error, "id", "") or "", getattr(error, "name", "") or "",
                                  _("流程引擎无法解析：%(reason)s", reason=error))]
    except SpiffWorkflowException as error:
        spec = getattr(error, "task_spec", None)
        return [DefinitionProblem(getattr(spec, "bpmn_id", "") or "", getattr(spec, "bpmn_name", "") or "",
                                  _("流程引擎无法运行该流程：%(reason)s", reason=error))]
    except Exception as error:  # the parser can fail in many ways on odd input; none of it may deploy
        return [DefinitionProblem("", "", _("流程引擎无法解析：%(reason)s", reason=error))]
    return []


def _element_facets(node, process, parents: dict) -> dict[str, str]:
    """What a designer can change on an element, as label → text, to compare two versions."""
    facets = {_("类型"): _local(node.tag), _("名称"): node.get("name") or ""}
    for attribute, value in node.attrib.items():
        if attribute in ("id", "name"):
            continue
        label = attribute.replace(f"{{{CAMUNDA_MODEL_NS}}}", "camunda:")
        facets[label] = value
    condition = node.find(_bpmn("conditionExpression"))
    if condition is not None:
        facets[_("条件")] = (condition.text or "").strip()
    for definition in node:
        if _local(definition.tag) == "timerEventDefinition":
            for value in definition:
                facets[_("计时器 %(kind)s", kind=_local(value.tag))] = (value.text or "").strip()
        elif _local(definition.tag).endswith("EventDefinition"):
            facets[_("事件")] = _local(definition.tag)
    for prop in node.iterfind(f"{_bpmn('extensionElements')}/{{{CAMUNDA_MODEL_NS}}}properties/"
                              f"{{{CAMUNDA_MODEL_NS}}}property"):
        facets[_("属性 %(name)s", name=prop.get("name"))] = prop.get("value") or ""
    parent = parents.get(node)
    if parent is not None and parent is not process:
        facets[_("所在子流程")] = parent.get("id") or ""
    return facets


def _diagram_nodes(bpmn_xml: str) -> tuple[Any, dict]:
    root = _safe_root(bpmn_xml)
    processes = _executable_processes(root)
    if len(processes) != 1:
        raise DefinitionError(_("BPMN 文件必须恰好包含一个可执行流程。"))
    process = processes[0]
    nodes = {
        node.get("id"): node for node in process.iter()
        if node.get("id") and (_local(node.tag) in _FLOW_NODE_TAGS or _local(node.tag) == "sequenceFlow")
    }
    return process, nodes


def diff_definitions(old_xml: str, new_xml: str) -> DefinitionDiff:
    """Elements added, removed and changed (with what changed) from one version of a diagram to another."""
    old_process, old_nodes = _diagram_nodes(old_xml)
    new_process, new_nodes = _diagram_nodes(new_xml)
    old_parents, new_parents = _parents(old_process), _parents(new_process)

    def entry(node, changes=()):
        return ElementChange(node.get("id"), node.get("name") or "", _local(node.tag), tuple(changes))

    nothing = _("（无）")
    changed = []
    for node_id, old in old_nodes.items():
        new = new_nodes.get(node_id)
        if new is None:
            continue
        before = _element_facets(old, old_process, old_parents)
        after = _element_facets(new, new_process, new_parents)
        lines = [
            _("%(facet)s：%(before)s → %(after)s", facet=label, before=before.get(label) or nothing,
              after=after.get(label) or nothing)
            for label in dict.fromkeys([*before, *after]) if before.get(label) != after.get(label)
        ]
        if lines:
            changed.append(entry(new, lines))
    return DefinitionDiff(
        added=tuple(entry(node) for node_id, node in new_nodes.items() if node_id not in old_nodes),
        removed=tuple(entry(node) for node_id, node in old_nodes.items() if node_id not in new_nodes),
        changed=tuple(changed),
    )


def migration_problem(state: str, new_bpmn_xml: str) -> str | None:
    """Why a saved workflow cannot move to another version of its diagram, or None if it can."""
    try:
        _migrated(state, new_bpmn_xml, None)
    except (ProcessError, DefinitionError) as error:
        return error.message
    return None


def migrate_workflow(state: str, new_bpmn_xml: str, calendar: BusinessCalendar | None = None) -> EngineResult:
    """Move a saved workflow onto another version of its diagram; raise ProcessError if it cannot move.

    Every ready user task must exist (by BPMN id) in the new version. Waiting timers keep their due
    time (SpiffWorkflow resets waiting branches, which would restart their clocks).
    """
    return _migrated(state, new_bpmn_xml, calendar)


def _migrated(state: str, new_bpmn_xml: str, calendar: BusinessCalendar | None) -> EngineResult:

    parsed = _parse(new_bpmn_xml)
    workflow = _load(state)
    new_ids = {spec.bpmn_id for spec in parsed.spec.task_specs.values() if getattr(spec, "bpmn_id", None)}
    for sub in parsed.subprocess_specs.values():
        new_ids |= {spec.bpmn_id for spec in sub.task_specs.values() if getattr(spec, "bpmn_id", None)}
    missing = [task.task_spec.bpmn_name or task.task_spec.bpmn_id
               for task in workflow.get_tasks(state=TaskState.READY, manual=True)
               if task.task_spec.bpmn_id not in new_ids]
    if missing:
        raise ProcessError(_("当前任务在新版本中不存在：%(tasks)s", tasks=_("、").join(missing)))
    due_by_timer = {
        task.task_spec.bpmn_id: task._get_internal_data("event_value")
        for task in _waiting_timer_tasks(workflow)
        if task._get_internal_data("event_value") is not None
    }
    top_diff, sub_diffs = diff_workflow(_SERIALIZER.registry, workflow, parsed.spec, parsed.subprocess_specs)
    removed = [task for task in top_diff.removed]
    for sub_diff in sub_diffs.values():
        if sub_diff is None:
            raise ProcessError(_("进行中的子流程在新版本中不存在"))
        removed += sub_diff.removed
    if removed:
        names = sorted({task.task_spec.bpmn_name or task.task_spec.bpmn_id for task in removed})
        raise ProcessError(_("案件经过或等待的环节在新版本中不存在：%(steps)s", steps=_("、").join(names)))

    def carry_due_times():
        for task in workflow.get_tasks():
            value = due_by_timer.get(getattr(task.task_spec, "bpmn_id", None))
            definition = getattr(task.task_spec, "event_definition", None)
            if value is not None and isinstance(definition, TimerEventDefinition) and not task.has_state(
                    TaskState.FINISHED_MASK):
                task._set_internal_data(event_value=value)

    def migrate():
        spiff_migrate(top_diff, workflow, parsed.spec)
        for sub_id, sub_diff in sub_diffs.items():
            sub = workflow.subprocesses[sub_id]
            spiff_migrate(sub_diff, sub, parsed.subprocess_specs[sub.spec.name])
        workflow.subprocess_specs = parsed.subprocess_specs
        carry_due_times()

    result = _advance(workflow, migrate, calendar)
    # Branches that became waiting again during the engine steps get their old due time back too.
    carry_due_times()
    result = _result(workflow, result.fired_timers)
    try:
        _load(result.state)
    except Exception as error:  # a state that cannot be read back must never be saved
        raise ProcessError(_("迁移后的流程状态无法读取：%(reason)s", reason=error)) from None
    return result


@dataclass(frozen=True)
class DiagramPosition:
    """Where a saved workflow stands on its diagram: finished steps, ready tasks, waiting timers."""

    completed: tuple[str, ...]
    ready: tuple[str, ...]
    timers: tuple[WaitingTimer, ...]


def diagram_position(state: str) -> DiagramPosition:
    workflow = _load(state)
    completed = dict.fromkeys(
        task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if getattr(task.task_spec, "bpmn_id", None)
    )
    ready = dict.fromkeys(
        task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.READY)
        if getattr(task.task_spec, "bpmn_id", None)
    )
    timers = tuple(
        timer for timer in (_waiting_timer(task) for task in _waiting_timer_tasks(workflow)) if timer is not None
    )
    return DiagramPosition(completed=tuple(completed), ready=tuple(ready), timers=timers)

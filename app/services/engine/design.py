"""Designing processes: validation before deploy, the diff of two versions, migrating running
workflows to a new version, and where a workflow stands for its diagram."""
import ast
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.bpmn.util.diff import migrate_workflow as spiff_migrate
from SpiffWorkflow.camunda.parser.task_spec import CAMUNDA_MODEL_NS
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from app.services.engine import _spiff, expressions
from app.services.engine.results import EngineResult, ProcessSpecs, SavedState, WaitingTimer
from app.services.engine.runtime import timer_expression_problem
from app.services.errors import DefinitionError, ProcessError
from app.services.time_limits.business_calendar import BusinessCalendar

_FLOW_NODE_TAGS = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess", "exclusiveGateway",
    "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
})
# The flow elements the engine runs for Jiefen (listed in the README's designer section); the rest of
# _FLOW_NODE_TAGS is refused by name with what to use instead.
_REFUSED_ELEMENTS = {
    "scriptTask": _l("脚本任务不会被执行：图中不允许脚本，请改用网关条件和表单字段。"),
    "serviceTask": _l("服务任务不会被执行：图中不允许调用服务，请改用用户任务。"),
    "businessRuleTask": _l("业务规则任务暂不支持：请改用网关条件。"),
    "sendTask": _l("发送任务暂不支持：系统不会替流程发送消息，请改用用户任务。"),
    "receiveTask": _l("接收任务暂不支持：系统不会向流程投递消息，请改用用户任务或计时器。"),
    "manualTask": _l("手工任务没有表单和办理角色，没有人能办理：请改为用户任务。"),
    "callActivity": _l("调用活动暂不支持：每个文件只有一个流程，请改用嵌入子流程。"),
    "transaction": _l("事务子流程暂不支持：请改用普通子流程。"),
    "adHocSubProcess": _l("自由子流程暂不支持：请改用普通子流程。"),
    "eventBasedGateway": _l("事件网关暂不支持：请改用排他网关加条件，或边界计时器。"),
    "complexGateway": _l("复杂网关暂不支持：请改用排他、包容或并行网关。"),
}
# Event definitions each kind of event may carry (an empty tuple: a plain event only).
_ALLOWED_EVENT_DEFINITIONS = {
    "startEvent": (),
    "endEvent": ("terminateEventDefinition", "errorEventDefinition", "escalationEventDefinition"),
    "intermediateCatchEvent": ("timerEventDefinition",),
    "intermediateThrowEvent": (),
    "boundaryEvent": ("timerEventDefinition", "errorEventDefinition", "escalationEventDefinition"),
}
_EVENT_KINDS = {
    "messageEventDefinition": _l("消息"),
    "signalEventDefinition": _l("信号"),
    "timerEventDefinition": _l("计时器"),
    "conditionalEventDefinition": _l("条件"),
    "linkEventDefinition": _l("链接"),
    "compensateEventDefinition": _l("补偿"),
    "cancelEventDefinition": _l("取消"),
    "errorEventDefinition": _l("错误"),
    "escalationEventDefinition": _l("升级"),
    "terminateEventDefinition": _l("终止"),
}
_TIMER_VALUE_TAGS = ("timeDuration", "timeDate", "timeCycle")
_NAMESPACES = {
    "http://www.omg.org/spec/BPMN/20100524/MODEL": "bpmn:",
    CAMUNDA_MODEL_NS: "camunda:",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi:",
}


@dataclass(frozen=True)
class DefinitionProblem:
    """One reason a diagram cannot be deployed, next to the element it concerns ("" for the whole file)."""

    element_id: str
    element_name: str
    message: str
    details: str = ""


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
        processes = _spiff.executable_processes(_spiff.safe_root(bpmn_xml))
    except DefinitionError:
        return None
    return processes[0].get("id") if len(processes) == 1 else None


def check_diagram_file(bpmn_xml: str) -> None:
    """Raise DefinitionError unless the text is a BPMN file of acceptable size and safe XML."""
    root = _spiff.safe_root(bpmn_xml)
    if root.tag != _spiff.bpmn("definitions"):
        raise DefinitionError(_("这不是 BPMN 文件：最外层元素应是 bpmn:definitions，而不是 %(tag)s。",
                                tag=plain_text(root.tag)))


def plain_text(text: Any) -> str:
    """One line for a person: no line breaks, no `{namespace}` or `<Element … at 0x…>` from the parser."""
    text = re.sub(r"<Element '?\{?([^'>\s]*?)'? at 0x[0-9a-f]+>", r"\1", str(text))
    for namespace, prefix in _NAMESPACES.items():
        text = text.replace("{%s}" % namespace, prefix)
    return " ".join(text.split())


def validate_definition(bpmn_xml: str, form_keys, roles) -> list[DefinitionProblem]:
    """Every reason a diagram cannot be deployed, found without running it; an empty list means none.

    `form_keys` are the forms user tasks may name (`camunda:formKey`), `roles` the roles they may
    name (`camunda:candidateGroups`). All problems are collected, not only the first. `dry_run`
    then proves a diagram without problems runs.
    """
    try:
        root = _spiff.safe_root(bpmn_xml)
    except DefinitionError as error:
        return [DefinitionProblem("", "", error.message)]
    processes = [node for node in root.iter(_spiff.bpmn("process"))]
    executable = _spiff.executable_processes(root)
    if len(executable) != 1:
        return [_executable_problem(processes, executable)]
    process = executable[0]
    problems: list[DefinitionProblem] = []
    problems += _element_problems(process, frozenset(form_keys), frozenset(roles))
    problems += _reachability_problems(process)
    flagged = {problem.element_id for problem in problems}
    problems += [problem for problem in _engine_problems(bpmn_xml, process.get("id"))
                 if problem.element_id not in flagged and (problem.element_id or not problems)]
    return problems


def _executable_problem(processes: list, executable: list) -> DefinitionProblem:
    if not processes:
        return DefinitionProblem("", "", _("文件中没有流程（bpmn:process）：请画一个流程再部署。"))
    if not executable:
        process = processes[0]
        if len(processes) == 1:
            return _problem(process, _("流程没有标记为可执行：请在右侧“流程”中勾选“可执行”。"))
        return DefinitionProblem("", "", _("文件中有 %(count)s 个流程，但都没有标记为可执行：请只把要运行的那一个标记为可执行。",
                                           count=len(processes)))
    names = _("、").join(_element_label(node) for node in executable)
    return DefinitionProblem("", "", _("文件中有 %(count)s 个可执行流程（%(names)s）：只能有一个，请把其余的取消“可执行”或删去。",
                                       count=len(executable), names=names))


def _element_label(node) -> str:
    name = " ".join((node.get("name") or "").split())
    return f"{name}（{node.get('id')}）" if name else node.get("id", "")


def _problem(node, message: str, details: str = "") -> DefinitionProblem:
    return DefinitionProblem(node.get("id", ""), " ".join((node.get("name") or "").split()), message, details)


def _element_problems(process, form_keys: frozenset, roles: frozenset) -> list[DefinitionProblem]:
    problems = []
    parents = _parents(process)
    ids = {node.get("id") for node in process.iter() if node.get("id")}
    outgoing: dict[str, list] = {}
    for flow in process.iter(_spiff.bpmn("sequenceFlow")):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
    for node in process.iter():
        tag = _spiff.local(node.tag)
        if tag in _REFUSED_ELEMENTS:
            problems.append(_problem(node, str(_REFUSED_ELEMENTS[tag])))
            continue
        if tag in _ALLOWED_EVENT_DEFINITIONS:
            problems += _event_problems(node, tag, parents)
        if tag in _FLOW_NODE_TAGS and any(_spiff.local(child.tag) in ("multiInstanceLoopCharacteristics",
                                                                "standardLoopCharacteristics") for child in node):
            problems.append(_problem(node, _("多实例和循环标记暂不支持：请去掉该环节的循环标记，需要重复时用网关连回。")))
        if tag == "subProcess" and node.get("triggeredByEvent") == "true":
            problems.append(_problem(node, _("事件子流程暂不支持：请改用边界事件。")))
        elif tag == "userTask":
            problems += _user_task_problems(node, form_keys, roles)
        elif tag in ("exclusiveGateway", "inclusiveGateway"):
            problems += _gateway_problems(node, outgoing.get(node.get("id"), []))
        elif tag == "sequenceFlow":
            if node.get("sourceRef") not in ids or node.get("targetRef") not in ids:
                problems.append(_problem(node, _("连线的起点或终点不在流程中：请删去这条连线，重新连接两个环节。"),
                                         f"{node.get('sourceRef')} → {node.get('targetRef')}"))
                continue
            condition = node.find(_spiff.bpmn("conditionExpression"))
            if condition is not None:
                problems += _condition_problems(node, condition.text)
        elif tag == "timerEventDefinition":
            problems += _timer_problems(node, parents.get(node))
        elif tag == "script" and _spiff.local(parents[node].tag) != "scriptTask":
            problems.append(_problem(parents[node], _("图中不允许脚本：请删去该元素中的脚本。")))
    return problems


def _event_problems(node, tag: str, parents: dict) -> list[DefinitionProblem]:
    definitions = [_spiff.local(child.tag) for child in node if _spiff.local(child.tag).endswith("EventDefinition")]
    refused = [kind for kind in definitions if kind not in _ALLOWED_EVENT_DEFINITIONS[tag]]
    if tag == "startEvent" and "timerEventDefinition" in refused:
        return [_problem(node, _("定时开始事件暂不支持：案件在登记时开始，请删去开始事件上的计时器。"))]
    if refused:
        kinds = _("、").join(str(_EVENT_KINDS.get(kind, kind)) for kind in refused)
        if tag == "startEvent":
            return [_problem(node, _("%(kinds)s开始事件暂不支持：案件在登记时开始，请改用不带事件的开始事件。",
                                     kinds=kinds))]
        return [_problem(node, _("%(kinds)s事件暂不支持：系统不会向流程投递%(kinds)s，请改用计时器或用户任务。",
                                 kinds=kinds))]
    if len(definitions) > 1:
        return [_problem(node, _("一个事件只能有一种触发方式：请只保留一个事件定义。"))]
    return []


def _timer_problems(definition, event) -> list[DefinitionProblem]:
    event = event if event is not None else definition
    values = [child for child in definition if _spiff.local(child.tag) in _TIMER_VALUE_TAGS]
    if values and _spiff.local(values[0].tag) == "timeCycle":
        return [_problem(event, _("循环定时器暂不支持：请改为一次性的时长（如 P3D）或日期时间。"),
                         (values[0].text or "").strip())]
    text = (values[0].text or "").strip() if values else ""
    message = timer_expression_problem(text)
    if not message:
        return []
    try:
        expressions.check_expression(text)
    except expressions.ExpressionError as error:
        if text and not text.strip("\"'").upper().startswith("P") and not text[:1].isdigit():
            return [_problem(event, _("计时器的值 “%(value)s” 不是时长、日期时间，也不是允许的字段名：请在右侧“计时器”中"
                                      "改为 P3D 这样的时长、日期时间或保存到期时间的字段名。", value=" ".join(text.split())[:80]),
                             plain_text(error))]
    return [_problem(event, _("计时器无效：%(reason)s。请在右侧“计时器”中改正它的值。", reason=message.rstrip("。")))]


def _parents(process) -> dict:
    return {child: node for node in process.iter() for child in node}


def _user_task_problems(node, form_keys: frozenset, roles: frozenset) -> list[DefinitionProblem]:
    problems = []
    form_key = (node.get(f"{{{CAMUNDA_MODEL_NS}}}formKey") or "").strip()
    if not form_key:
        problems.append(_problem(node, _("用户任务没有指定表单：请在右侧“表单”中选择一个（camunda:formKey）。")))
    elif form_key not in form_keys:
        problems.append(_problem(node, _("表单 “%(form_key)s” 不存在：请在右侧“表单”中选择系统已有的表单。",
                                         form_key=form_key)))
    groups = [g.strip() for g in (node.get(f"{{{CAMUNDA_MODEL_NS}}}candidateGroups") or "").split(",") if g.strip()]
    if not groups:
        problems.append(_problem(node, _("用户任务没有指定办理角色：请在右侧“办理角色”中至少勾选一个（camunda:candidateGroups）。")))
    unknown = [group for group in groups if group not in roles]
    if unknown:
        problems.append(_problem(node, _("未知的办理角色：%(roles)s。请在右侧“办理角色”中改选系统已有的角色。",
                                         roles=_("、").join(unknown))))
    return problems


def _gateway_problems(node, outgoing: list) -> list[DefinitionProblem]:
    if len(outgoing) < 2:
        return []
    default = node.get("default")
    problems = []
    if not default:
        problems.append(_problem(node, _("分支网关没有默认路径：条件都不满足时流程会停住，请把一条出口设为默认路径。")))
    elif default not in {flow.get("id") for flow in outgoing}:
        problems.append(_problem(node, _("默认路径 “%(flow)s” 不是该网关的出口：请重新选择默认路径。", flow=default)))
    for flow in outgoing:
        if flow.get("id") != default and flow.find(_spiff.bpmn("conditionExpression")) is None:
            problems.append(_problem(flow, _("网关分支没有条件：请填写条件，或把它设为默认路径（只有默认路径可以不写条件）。")))
    return problems


def _condition_problems(flow, text: str | None) -> list[DefinitionProblem]:
    if text is None or not text.strip():
        return [_problem(flow, _("条件为空：请填写条件，例如 result == 'agreement'。"))]
    try:
        tree = expressions.check_expression(text.strip())
        _check_constant_work(tree)
    except expressions.ExpressionError as error:
        return [_problem(flow, _("条件 “%(condition)s” 不被允许：只能用表单字段、常量、比较和 and/or/not 写条件。",
                                 condition=" ".join(text.split())[:80]), plain_text(error))]
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
            tag = _spiff.local(child.tag)
            if tag in _FLOW_NODE_TAGS and child.get("id"):
                nodes[child.get("id")] = child
                children_of.setdefault(scope_id, []).append(child.get("id"))
                if tag in ("subProcess", "transaction"):
                    collect(child, child.get("id"))

    collect(process, "")
    edges: dict[str, set[str]] = {node_id: set() for node_id in nodes}
    for flow in process.iter(_spiff.bpmn("sequenceFlow")):
        if flow.get("sourceRef") in edges:
            edges[flow.get("sourceRef")].add(flow.get("targetRef"))
    for node_id, node in nodes.items():
        if _spiff.local(node.tag) == "boundaryEvent" and node.get("attachedToRef") in edges:
            edges[node.get("attachedToRef")].add(node_id)
        if _spiff.local(node.tag) in ("subProcess", "transaction"):
            for child_id in children_of.get(node_id, []):
                child = nodes[child_id]
                if _spiff.local(child.tag) == "startEvent" or child.get("triggeredByEvent") == "true":
                    edges[node_id].add(child_id)
    starts = [
        node_id for node_id in children_of.get("", [])
        if _spiff.local(nodes[node_id].tag) == "startEvent" or nodes[node_id].get("triggeredByEvent") == "true"
    ]
    if not starts:
        return [_problem(process, _("流程没有开始事件：请从工具栏拖入一个开始事件并连到第一个环节。"))]
    reached, stack = set(), list(starts)
    while stack:
        node_id = stack.pop()
        if node_id in reached:
            continue
        reached.add(node_id)
        stack.extend(edges.get(node_id, ()))
    return [_problem(node, _("从开始事件无法到达该环节：请用连线把它接入流程，或删去它。")) for node_id, node in nodes.items() if node_id not in reached]


def _engine_problems(bpmn_xml: str, key: str) -> list[DefinitionProblem]:
    """What SpiffWorkflow itself refuses: schema errors, unsupported constructs, a workflow it cannot build."""
    parser = _spiff.Parser(validator=_spiff.bpmn_validator())
    try:
        parser.add_bpmn_str(bpmn_xml.encode("utf-8"))
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
        BpmnWorkflow(spec, subprocess_specs, script_engine=_spiff.SCRIPT_ENGINE)
    except ValidationException as error:
        details = plain_text(error)
        details = details if len(details) <= 300 else details[:300] + "…"
        if not getattr(error, "id", ""):
            return [DefinitionProblem("", "", _("文件第 %(line)s 行不符合 BPMN 规范：请在建模工具中改正该处后重新导出。",
                                                line=getattr(error, "line_number", "") or "?"), details)]
        return [DefinitionProblem(error.id, " ".join((getattr(error, "name", "") or "").split()),
                                  _("流程引擎无法读取该元素：请对照 BPMN 规范检查它的属性和连线。"), details)]
    except SpiffWorkflowException as error:
        spec = getattr(error, "task_spec", None)
        return [DefinitionProblem(getattr(spec, "bpmn_id", "") or "", " ".join((getattr(spec, "bpmn_name", "") or "").split()),
                                  _("流程引擎无法运行该元素：请检查它的类型和设置。"), plain_text(error))]
    except Exception as error:  # the parser can fail in many ways on odd input; none of it may deploy
        return [DefinitionProblem("", "", _("流程引擎无法读取该文件：请在建模工具中检查后重新导出。"),
                                  plain_text(f"{type(error).__name__}: {error}"))]
    return []


def _element_facets(node, process, parents: dict) -> dict[str, str]:
    """What a designer can change on an element, as label → text, to compare two versions."""
    facets = {_("类型"): _spiff.local(node.tag), _("名称"): node.get("name") or ""}
    for attribute, value in node.attrib.items():
        if attribute in ("id", "name"):
            continue
        label = attribute.replace(f"{{{CAMUNDA_MODEL_NS}}}", "camunda:")
        facets[label] = value
    condition = node.find(_spiff.bpmn("conditionExpression"))
    if condition is not None:
        facets[_("条件")] = (condition.text or "").strip()
    for definition in node:
        if _spiff.local(definition.tag) == "timerEventDefinition":
            for value in definition:
                facets[_("计时器 %(kind)s", kind=_spiff.local(value.tag))] = (value.text or "").strip()
        elif _spiff.local(definition.tag).endswith("EventDefinition"):
            facets[_("事件")] = _spiff.local(definition.tag)
    for prop in node.iterfind(f"{_spiff.bpmn('extensionElements')}/{{{CAMUNDA_MODEL_NS}}}properties/"
                              f"{{{CAMUNDA_MODEL_NS}}}property"):
        facets[_("属性 %(name)s", name=prop.get("name"))] = prop.get("value") or ""
    parent = parents.get(node)
    if parent is not None and parent is not process:
        facets[_("所在子流程")] = parent.get("id") or ""
    return facets


def _diagram_nodes(bpmn_xml: str) -> tuple[Any, dict]:
    root = _spiff.safe_root(bpmn_xml)
    processes = _spiff.executable_processes(root)
    if len(processes) != 1:
        raise DefinitionError(_executable_problem(list(root.iter(_spiff.bpmn("process"))), processes).message)
    process = processes[0]
    nodes = {
        node.get("id"): node for node in process.iter()
        if node.get("id") and (_spiff.local(node.tag) in _FLOW_NODE_TAGS or _spiff.local(node.tag) == "sequenceFlow")
    }
    return process, nodes


def diff_definitions(old_xml: str, new_xml: str) -> DefinitionDiff:
    """Elements added, removed and changed (with what changed) from one version of a diagram to another."""
    old_process, old_nodes = _diagram_nodes(old_xml)
    new_process, new_nodes = _diagram_nodes(new_xml)
    old_parents, new_parents = _parents(old_process), _parents(new_process)

    def entry(node, changes=()):
        return ElementChange(node.get("id"), node.get("name") or "", _spiff.local(node.tag), tuple(changes))

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


@dataclass(frozen=True)
class DroppedWork:
    """What a new version takes away from the old one's cases: user tasks (id → name), forms
    (id → (name, old form, new form)), roles (id → (name, roles taken away)), the start form
    ((old, new) or None), and how many user tasks the new version has."""

    tasks: dict[str, str]
    forms: dict[str, tuple[str, str, str]]
    roles: dict[str, tuple[str, tuple[str, ...]]]
    start_form: tuple[str, str] | None
    remaining_tasks: int


def dropped_work(old_xml: str, new_xml: str) -> DroppedWork:
    old_process, old_nodes = _diagram_nodes(old_xml)
    new_process, new_nodes = _diagram_nodes(new_xml)
    old_tasks = {i: n for i, n in old_nodes.items() if _spiff.local(n.tag) == "userTask"}
    new_tasks = {i: n for i, n in new_nodes.items() if _spiff.local(n.tag) == "userTask"}
    tasks, forms, roles = {}, {}, {}
    for task_id, old in old_tasks.items():
        label = _element_label(old)
        new = new_tasks.get(task_id)
        if new is None:
            tasks[task_id] = label
            continue
        before, after = (node.get(f"{{{CAMUNDA_MODEL_NS}}}formKey") or "" for node in (old, new))
        if before != after:
            forms[task_id] = (label, before, after)
        gone = tuple(role for role in _roles_of(old) if role not in _roles_of(new))
        if gone:
            roles[task_id] = (label, gone)
    before, after = _start_form(old_process), _start_form(new_process)
    return DroppedWork(tasks=tasks, forms=forms, roles=roles,
                       start_form=(before, after) if before != after else None, remaining_tasks=len(new_tasks))


def _roles_of(node) -> list[str]:
    return [g.strip() for g in (node.get(f"{{{CAMUNDA_MODEL_NS}}}candidateGroups") or "").split(",") if g.strip()]


def _start_form(process) -> str:
    """The form of the process's start events: `camunda:formKey` and the ids of `camunda:formField`s."""
    parts = []
    for start in process.findall(_spiff.bpmn("startEvent")):
        parts.append(start.get(f"{{{CAMUNDA_MODEL_NS}}}formKey") or "")
        parts += [field.get("id") or "" for field in start.iter(f"{{{CAMUNDA_MODEL_NS}}}formField")]
    return " ".join(part for part in parts if part)


def migration_problem(saved: SavedState, target: ProcessSpecs) -> str | None:
    """Why a saved workflow cannot move to another version of its diagram, or None if it can."""
    try:
        _migrated(saved, target, None)
    except (ProcessError, DefinitionError) as error:
        return error.message
    return None


def migrate_workflow(saved: SavedState, target: ProcessSpecs, calendar: BusinessCalendar | None = None) -> EngineResult:
    """Move a saved workflow onto another version of its diagram; raise ProcessError if it cannot move.

    Every ready user task must exist (by BPMN id) in the new version. Waiting timers keep their due
    time (SpiffWorkflow resets waiting branches, which would restart their clocks).
    """
    return _migrated(saved, target, calendar)


def _migrated(saved: SavedState, target: ProcessSpecs, calendar: BusinessCalendar | None) -> EngineResult:

    (new_spec, new_subprocess_specs), new_specs = _spiff.process_specs(target)
    workflow, _old_specs = _spiff.load(saved)
    new_ids = {spec.bpmn_id for spec in new_spec.task_specs.values() if getattr(spec, "bpmn_id", None)}
    for sub in new_subprocess_specs.values():
        new_ids |= {spec.bpmn_id for spec in sub.task_specs.values() if getattr(spec, "bpmn_id", None)}
    missing = [task.task_spec.bpmn_name or task.task_spec.bpmn_id
               for task in workflow.get_tasks(state=TaskState.READY, manual=True)
               if task.task_spec.bpmn_id not in new_ids]
    if missing:
        raise ProcessError(_("当前任务在新版本中不存在：%(tasks)s", tasks=_("、").join(missing)))
    due_by_timer = {
        task.task_spec.bpmn_id: _spiff.timer_value(task)
        for task in _spiff.waiting_timer_tasks(workflow)
        if _spiff.timer_value(task) is not None
    }
    top_diff, sub_diffs = diff_workflow(_spiff.SERIALIZER.registry, workflow, new_spec, new_subprocess_specs)
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
                _spiff.set_timer_value(task, value)

    def migrate():
        spiff_migrate(top_diff, workflow, new_spec)
        for sub_id, sub_diff in sub_diffs.items():
            sub = workflow.subprocesses[sub_id]
            spiff_migrate(sub_diff, sub, new_subprocess_specs[sub.spec.name])
        workflow.subprocess_specs = new_subprocess_specs
        carry_due_times()

    result = _spiff.advance(workflow, migrate, calendar, new_specs)
    # Branches that became waiting again during the engine steps get their old due time back too.
    carry_due_times()
    result = _spiff.result(workflow, result.fired_timers, new_specs)
    try:
        _spiff.load(SavedState(result.state, result.serializer_version, target))
    except Exception as error:  # a state that cannot be read back must never be saved
        raise ProcessError(_("迁移后的流程状态无法读取：%(reason)s", reason=error)) from None
    return result


@dataclass(frozen=True)
class DiagramPosition:
    """Where a saved workflow stands on its diagram: finished steps, ready tasks, waiting timers."""

    completed: tuple[str, ...]
    ready: tuple[str, ...]
    timers: tuple[WaitingTimer, ...]


def diagram_position(saved: SavedState) -> DiagramPosition:
    workflow, _new_specs = _spiff.load(saved)
    completed = dict.fromkeys(
        task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.COMPLETED)
        if getattr(task.task_spec, "bpmn_id", None)
    )
    ready = dict.fromkeys(
        task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.READY)
        if getattr(task.task_spec, "bpmn_id", None)
    )
    timers = tuple(
        timer for timer in (_spiff.waiting_timer(task) for task in _spiff.waiting_timer_tasks(workflow)) if timer is not None
    )
    return DiagramPosition(completed=tuple(completed), ready=tuple(ready), timers=timers)

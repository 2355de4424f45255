"""engine.validate_definition: every problem of a diagram, each with its element, in Chinese."""
import threading

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator

from app.models import ROLES
from app.services import engine
from forms.tasks import TASK_FORMS
from tests.designer_samples import diagram


def problems(xml: str) -> list[engine.DefinitionProblem]:
    return engine.validate_definition(xml, TASK_FORMS, ROLES)


def ids(found) -> list[str]:
    return [problem.element_id for problem in found]


def test_a_valid_diagram_has_no_problems():
    assert problems(diagram()) == []


def test_the_shipped_process_is_valid():
    with open("processes/dispute_mediation.bpmn", encoding="utf-8") as file:
        assert problems(file.read()) == []


def test_unparsable_xml_is_one_problem_for_the_file():
    found = problems(diagram()[:-30])
    assert len(found) == 1 and found[0].element_id == "" and "XML" in found[0].message


def test_entity_expansion_and_external_entities_are_refused_safely():
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            + diagram().split("?>", 1)[1].replace('name="小流程"', 'name="&b;"'))
    external = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                + diagram().split("?>", 1)[1].replace('name="小流程"', 'name="&x;"'))
    for xml in (bomb, external):
        found = problems(xml)
        assert len(found) == 1 and "为安全起见不接受" in found[0].message


def test_oversized_text_is_refused_before_parsing():
    found = problems(diagram(extra="<!--" + "x" * (engine.MAX_BPMN_BYTES + 1) + "-->"))
    assert len(found) == 1 and "上限" in found[0].message


def test_what_spiffworkflow_cannot_parse_is_reported():
    found = problems(diagram(extra='<bpmn:noSuchTask id="odd" />'))
    assert [(p.element_id, p.message) for p in found] == [
        ("", "文件第 23 行不符合 BPMN 规范：请在建模工具中改正该处后重新导出。")]
    assert found[0].details.startswith("Element 'bpmn:noSuchTask': This element is not expected.")


def test_a_user_task_needs_a_known_form_and_known_roles():
    assert [(p.element_id, p.element_name) for p in problems(diagram(form_key="no_such_form"))] == [("visit", "回访")]
    assert "表单 “no_such_form” 不存在" in problems(diagram(form_key="no_such_form"))[0].message
    assert "未知的办理角色：wizard" in problems(diagram(groups="mediator,wizard"))[0].message
    assert "没有指定办理角色" in problems(diagram(groups=None))[0].message
    assert "没有指定表单" in problems(diagram(form_key=""))[0].message


def test_a_splitting_gateway_needs_a_default_flow_and_conditions_on_the_others():
    found = problems(diagram(default=""))
    assert ids(found) == ["kept", "f_late"]
    assert "没有默认路径" in found[0].message and "没有条件" in found[1].message


@pytest.mark.parametrize("condition", [
    "__import__('os').system('true') == 0",
    "().__class__.__base__.__subclasses__()",
    "result.__class__ == 1",
    "10**10**10 > 1",
    "open('/etc/passwd')",
    "[x for x in range(10**9)]",
    "result ==",
])
def test_conditions_that_try_to_escape_or_cannot_be_evaluated_are_refused(condition):
    found = problems(diagram(condition=condition.replace("<", "&lt;")))
    assert ids(found) == ["f_ok"] and "不被允许" in found[0].message and found[0].details
    assert found[0].element_name == "已履行"


@pytest.mark.parametrize("timer", [
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3X</bpmn:timeDuration>',
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression"></bpmn:timeDuration>',
    '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">2026-13-45</bpmn:timeDate>',
    '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">__import__("os")</bpmn:timeDuration>',
    "",
])
def test_a_timer_needs_a_valid_value(timer):
    found = problems(diagram(timer=timer))
    assert ids(found) == ["visit_deadline"] and found[0].message.startswith("计时器")


@pytest.mark.parametrize("timer", ["PT72H", '"P3D"', "2026-12-01T09:00:00+08:00", "follow_up_due"])
def test_timer_values_as_designers_write_them_are_accepted(timer):
    assert problems(diagram(timer=f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}'
                                  '</bpmn:timeDuration>'.replace("timeDuration", "timeDate" if "-" in timer
                                                                 else "timeDuration"))) == []


def test_unreachable_elements_are_reported():
    extra = ('<bpmn:userTask id="orphan" name="孤立任务" camunda:formKey="follow_up" camunda:candidateGroups="mediator">'
             '<bpmn:outgoing>f_orphan</bpmn:outgoing></bpmn:userTask>'
             '<bpmn:sequenceFlow id="f_orphan" sourceRef="orphan" targetRef="orphan_end" />'
             '<bpmn:endEvent id="orphan_end"><bpmn:incoming>f_orphan</bpmn:incoming></bpmn:endEvent>')
    found = problems(diagram(extra=extra))
    assert ids(found) == ["orphan", "orphan_end"]
    assert all("无法到达" in problem.message for problem in found)


def test_script_and_service_tasks_are_refused():
    extra = ('<bpmn:scriptTask id="run_code" name="运行代码" scriptFormat="python"><bpmn:script>x = 1</bpmn:script>'
             '</bpmn:scriptTask><bpmn:serviceTask id="call_out" name="调用服务" />')
    found = problems(diagram(extra=extra))
    assert {"run_code", "call_out"} <= set(ids(found))
    assert any("脚本任务" in p.message for p in found) and any("服务任务" in p.message for p in found)


def test_all_problems_are_collected_not_only_the_first():
    found = problems(diagram(form_key="nope", groups="wizard", default="", condition="__import__('os')",
                             timer='<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P3X</bpmn:timeDuration>'))
    assert {"visit", "kept", "f_ok", "visit_deadline"} <= set(ids(found))
    assert len(found) >= 5


def test_diff_of_two_versions_names_added_removed_and_changed_elements():
    old = diagram()
    new = diagram(condition="result in ['agreement', 'kept']",
                  timer='<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P5D</bpmn:timeDuration>',
                  extra='<bpmn:manualTask id="note" name="备注" />').replace(' name="超时记录"', ' name="超时登记"')
    new = new.replace('<bpmn:endEvent id="done" name="结束">', '<bpmn:endEvent id="finished" name="结束">').replace(
        'targetRef="done"', 'targetRef="finished"')
    changes = engine.diff_definitions(old, new)
    assert [c.element_id for c in changes.added] == ["finished", "note"]
    assert [c.element_id for c in changes.removed] == ["done"]
    changed = {c.element_id: c.changes for c in changes.changed}
    assert changed["visit_deadline"] == ("计时器 timeDuration：P3D → P5D",)
    assert changed["late_noted"] == ("名称：超时记录 → 超时登记",)
    assert any(line.startswith("条件：") for line in changed["f_ok"])
    assert "targetRef：done → finished" in changed["f_late"]


def test_the_bpmn_schema_is_built_once_per_thread_and_keeps_nothing_between_diagrams(monkeypatch):
    """Building BPMN's XML schema costs ~20 ms: each check, deploy and parse in a thread reuses the thread's."""
    built = []
    build = BpmnValidator.__init__
    monkeypatch.setattr(BpmnValidator, "__init__", lambda self, *a, **k: (built.append(1), build(self, *a, **k))[1])
    bad = diagram(extra='<bpmn:noSuchTask id="odd" />')
    found: list = []

    def check_three():  # in a thread of its own, which has built nothing yet
        found.extend([problems(bad), problems(diagram()), problems(bad)])

    thread = threading.Thread(target=check_three)
    thread.start()
    thread.join()
    assert len(built) == 1
    assert found[0] == found[2] and len(found[0]) == 1 and found[1] == []

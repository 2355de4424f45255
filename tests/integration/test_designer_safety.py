"""A deploy proves the diagram runs: refused elements by name, a dry run of every path, plain messages,
and a confirmation before a new version drops work from the live one — through the HTTP API and the CLI."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessDefinition, ProcessDraft, ProcessEvent
from tests import factories as f
from tests.conftest import PROCESSES_DIR
from tests.designer_samples import cycle_timer, diagram, receive_task, start_to_end, timer_start

pytestmark = pytest.mark.sqlite  # checks of the diagram in memory; deploys run on PostgreSQL in test_designer_http

KEY = "dispute_mediation"
SHIPPED = (PROCESSES_DIR / f"{KEY}.bpmn").read_text(encoding="utf-8")
RAW_PYTHON = re.compile(r"<Element|at 0x[0-9a-f]|KeyError|EntitiesForbidden|Traceback|\{http")


def deploy(client, xml, key="tiny", **extra):
    return client.post(f"/designer/{key}/deploy", json={"xml": xml, **extra})


def versions() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition))


@pytest.fixture
def designer(world, client, auth):
    auth.login("designer")
    return world["designer"]


def assert_plain(problems):
    """One sentence in Chinese per problem; the engine's own text only in `details`."""
    for problem in problems:
        assert not RAW_PYTHON.search(problem["message"] + problem["details"]), problem
        assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", problem["message"].replace("camunda:", "")), problem
        assert "\n" not in problem["message"] + problem["element_name"]


@pytest.mark.parametrize("value", ["R/PT1S", "R5/P2D", "R6/P1D"])
def test_cycle_timers_are_refused_by_name(designer, client, value):
    answer = deploy(client, cycle_timer(value))
    assert answer.status_code == 422
    [problem] = answer.get_json()["problems"]
    assert (problem["element_id"], problem["element_name"]) == ("visit_deadline", "回访时限")
    assert problem["message"].startswith("循环定时器暂不支持") and problem["details"] == value
    assert versions() == 1


@pytest.mark.parametrize("xml, element_id, text", [
    (timer_start(), "start", "定时开始事件暂不支持"),
    (receive_task(), "wait", "接收任务暂不支持"),
    (diagram(extra='<bpmn:businessRuleTask id="rule" name="规则" />'), "rule", "业务规则任务暂不支持"),
    (diagram(extra='<bpmn:intermediateCatchEvent id="letter" name="来信"><bpmn:messageEventDefinition />'
                   '</bpmn:intermediateCatchEvent>'), "letter", "消息事件暂不支持"),
    (diagram(extra='<bpmn:sequenceFlow id="loose" sourceRef="nowhere" targetRef="done" />'), "loose", "起点或终点"),
])
def test_elements_the_engine_cannot_run_are_refused_on_the_element(designer, client, xml, element_id, text):
    answer = deploy(client, xml)
    assert answer.status_code == 422
    problems = answer.get_json()["problems"]
    assert problems[0]["element_id"] == element_id and text in problems[0]["message"]
    assert_plain(problems)
    assert versions() == 1


def test_a_diagram_passing_the_static_rules_is_run_before_it_deploys(designer, client):
    """The condition reads a field no form gives: only running the diagram finds it."""
    answer = deploy(client, diagram(condition="kept_promise == 'yes'"))
    assert answer.status_code == 422
    [problem] = answer.get_json()["problems"]
    assert (problem["element_id"], problem["element_name"]) == ("kept", "是否履行")
    assert "字段 “kept_promise” 没有任何表单或登记信息提供" in problem["message"]
    assert "kept_promise" in problem["details"]
    assert_plain([problem])
    assert versions() == 1


def test_the_shipped_process_passes_the_dry_run(app):
    from app.services import engine
    from app.services.cases.start_data import sample_start_data
    from forms.samples import sample_answers
    from forms.tasks import TASK_FORMS

    with app.test_request_context():
        answers = {key: sample_answers(form) for key, form in TASK_FORMS.items()}
        assert engine.dry_run(SHIPPED, sample_start_data(["neighbour"]), answers) == []
        broken = SHIPPED.replace("violence_risk == True", "violence_risk == risk_level")
        assert [p.element_id for p in engine.dry_run(broken, sample_start_data([]), answers)] == ["check_risk"]


@pytest.mark.parametrize("xml, text", [
    (diagram().replace('isExecutable="true"', 'isExecutable="false"'), "没有标记为可执行"),
    (diagram().replace("</bpmn:process>", '</bpmn:process><bpmn:process id="other" isExecutable="false" />')
     .replace('isExecutable="true"', 'isExecutable="false"'), "有 2 个流程，但都没有标记为可执行"),
    (diagram().replace("</bpmn:process>", '</bpmn:process><bpmn:process id="other" name="另一个" isExecutable="true">'
                       '<bpmn:startEvent id="s2" /></bpmn:process>'), "有 2 个可执行流程（小流程（tiny）、另一个（other））"),
])
def test_the_executable_process_problem_says_what_the_file_holds(designer, client, xml, text):
    answer = deploy(client, xml)
    assert answer.status_code == 422 and text in answer.get_json()["problems"][0]["message"]


def test_raw_python_never_reaches_a_problem(designer, client):
    hostile = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
               + diagram().split("?>", 1)[1].replace('name="小流程"', 'name="&xxe;"'))
    for xml in (hostile, diagram(extra='<bpmn:businessRuleTask id="rule" name="规则" />'),
                diagram(condition="result =="), diagram(extra='<bpmn:noSuchTask id="odd" />')):
        answer = deploy(client, xml)
        assert answer.status_code == 422
        assert_plain(answer.get_json()["problems"])


def test_a_start_to_end_diagram_replacing_the_live_process_needs_a_confirmation(designer, world, client):
    case = f.open_case(world)
    answer = deploy(client, start_to_end(KEY), key=KEY)
    assert answer.status_code == 409
    body = answer.get_json()
    confirmation = body["confirmation"]
    assert confirmation["from_version"] == 1
    assert "triage_case" in [c["element_id"] for c in confirmation["removed"]]
    consequences = " ".join(confirmation["consequences"])
    assert "案件一开始就会结束，不经过任何人办理" in consequences
    assert "进行中的 1 件案件仍按原来的版本办理" in consequences
    assert "其中 1 件正停在被删除或改动的环节" in consequences
    assert versions() == 1 and f.current_task(case).bpmn_id == "triage_case"

    wrong = deploy(client, start_to_end(KEY), key=KEY, confirm="0" * 64)
    assert wrong.status_code == 409 and versions() == 1
    done = deploy(client, start_to_end(KEY), key=KEY, confirm=confirmation["checksum"])
    assert done.status_code == 200 and done.get_json()["version"] == 2
    again = deploy(client, start_to_end(KEY), key=KEY)
    assert again.status_code == 200 and again.get_json() == {
        "key": KEY, "version": 2, "created": False, "url": f"/designer/{KEY}/"}


def test_a_change_that_keeps_every_task_form_and_role_needs_no_confirmation(designer, client):
    answer = deploy(client, SHIPPED.replace('name="研判分流"', 'name="研判"'), key=KEY)
    assert answer.status_code == 200 and answer.get_json()["version"] == 2


def test_dropping_a_role_or_changing_a_form_needs_a_confirmation(designer, client):
    fewer_roles = SHIPPED.replace('camunda:candidateGroups="grid_worker,police_officer"',
                                  'camunda:candidateGroups="grid_worker"')
    answer = deploy(client, fewer_roles, key=KEY)
    assert answer.status_code == 409
    assert any("不再由这些角色办理：police_officer" in line for line in answer.get_json()["confirmation"]["consequences"])
    other_form = SHIPPED.replace('camunda:formKey="follow_up"', 'camunda:formKey="four_accounts"')
    answer = deploy(client, other_form, key=KEY)
    assert answer.status_code == 409
    assert any("“follow_up” 改为 “four_accounts”" in line for line in answer.get_json()["confirmation"]["consequences"])


def test_a_process_id_the_designer_refuses_is_refused(designer, client):
    answer = deploy(client, diagram().replace('id="tiny"', 'id="Bad-Key.Upper"'), key="Bad-Key.Upper")
    assert answer.status_code == 422 and "Bad-Key.Upper" in answer.get_json()["message"]


def test_an_imported_file_becomes_the_draft_after_the_safety_checks(designer, client):
    drawn_elsewhere = diagram().replace('id="tiny"', 'id="Process_1"').replace('isExecutable="true"',
                                                                                'isExecutable="false"')
    answer = client.post("/designer/tiny/import", json={"xml": drawn_elsewhere})
    assert answer.status_code == 200 and answer.get_json()["xml"] == drawn_elsewhere
    assert db.session.scalars(select(ProcessDraft.bpmn_xml)).one() == drawn_elsewhere
    hostile = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
               '<d>&b;</d>')
    refused = client.post("/designer/tiny/import", json={"xml": hostile})
    assert refused.status_code == 422 and "安全" in refused.get_json()["message"]
    assert client.post("/designer/tiny/import", json={"xml": "<svg/>"}).status_code == 422
    assert client.post("/designer/tiny/import", json={"xml": "x" * (3 * 1024 * 1024)}).status_code == 413
    assert db.session.scalars(select(ProcessDraft.bpmn_xml)).one() == drawn_elsewhere


# --- the CLI ----------------------------------------------------------------------------------------

@pytest.fixture
def processes_dir(app, tmp_path):
    default = app.config["PROCESSES_DIR"]
    app.config["PROCESSES_DIR"] = tmp_path
    yield tmp_path
    app.config["PROCESSES_DIR"] = default


def test_cli_refuses_a_file_that_is_not_utf8_clearly(runner, processes_dir):
    (processes_dir / "tiny.bpmn").write_bytes(diagram().encode("gb18030"))
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code == 1
    assert "tiny.bpmn 不是 UTF-8 编码" in result.output and "Traceback" not in result.output


def test_cli_uses_the_designers_process_id_rules(runner, processes_dir):
    (processes_dir / "Bad-Key.Upper.bpmn").write_text(diagram().replace('id="tiny"', 'id="Bad-Key.Upper"'),
                                                      encoding="utf-8")
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code == 1 and "流程标识 “Bad-Key.Upper” 不可用" in result.output
    assert versions() == 0


def test_cli_prints_one_problem_per_line_even_for_names_with_line_breaks(runner, processes_dir):
    xml = cycle_timer("R6/P1D").replace('name="回访时限"', 'name="回访&#10;时限"').replace(
        'camunda:formKey="follow_up"', 'camunda:formKey="nope"')
    (processes_dir / "tiny.bpmn").write_text(xml, encoding="utf-8")
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == "Error: 流程有 2 处问题，未部署。"
    assert lines[1].startswith("  回访 [visit]: 表单 “nope” 不存在")
    assert lines[2] == "  回访 时限 [visit_deadline]: 循环定时器暂不支持：请改为一次性的时长（如 P3D）或日期时间。 (R6/P1D)"
    assert len(lines) == 3


@pytest.mark.parametrize("xml, text", [
    (receive_task(), "wait"), (timer_start(), "定时开始事件暂不支持"),
    (diagram(condition="kept_promise == 'yes'"), "kept_promise"),
])
def test_cli_refuses_what_the_web_refuses(runner, processes_dir, xml, text):
    (processes_dir / "tiny.bpmn").write_text(xml, encoding="utf-8")
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code == 1 and text in result.output and "Traceback" not in result.output
    assert versions() == 0


def test_cli_asks_for_yes_before_replacing_the_live_process(runner, world, processes_dir):
    f.open_case(world)
    (processes_dir / f"{KEY}.bpmn").write_text(start_to_end(KEY), encoding="utf-8")
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code == 1
    assert "dispute_mediation.bpmn 会替换正在运行的 v1，需要确认" in result.output
    assert "进行中的 1 件案件仍按原来的版本办理" in result.output and "--yes" in result.output
    assert "- 研判分流 [triage_case]" in result.output
    assert versions() == 1
    result = runner.invoke(args=["deploy-processes", "--yes"])
    assert result.exit_code == 0 and "dispute_mediation v2 deployed" in result.output
    result = runner.invoke(args=["deploy-processes"])
    assert result.exit_code == 0 and "dispute_mediation v2 unchanged" in result.output
    assert db.session.scalar(select(func.count()).select_from(ProcessEvent)) == 0

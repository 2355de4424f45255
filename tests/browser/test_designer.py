"""A designer edits and deploys a process in the bpmn-js modeler; others see diagrams of cases."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition, ProcessDraft
from app.services.people.users import create_user
from tests import factories as f
from tests.conftest import PROCESSES_DIR

# A deploy runs the diagram along every path first: seconds on a busy test machine.
DEPLOY_TIMEOUT = 30_000
SHIPPED = (PROCESSES_DIR / "dispute_mediation.bpmn").read_text(encoding="utf-8")


def days_between(start, end) -> float:
    """Whole days, to the minute (the server's clock runs on while the step is mirrored)."""
    return round((end - start) / timedelta(minutes=1)) / (24 * 60)


def open_designer(page, login):
    login("designer")
    page.get_by_test_id("nav-designer").click()
    page.get_by_test_id("edit-process").first.click()
    expect(page.get_by_test_id("designer-canvas")).to_have_attribute("data-ready", "true")
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io watermark stays


def test_a_designer_changes_the_on_site_limit_and_new_cases_run_on_the_new_version(page, login, world):
    old_case = f.open_case(world, "旧版本案件")
    open_designer(page, login)
    page.get_by_test_id("side-pick").select_option("on_site_deadline")
    expect(page.get_by_test_id("side-element-id")).to_have_text("on_site_deadline")
    timer = page.get_by_test_id("side-timer")
    expect(timer).to_have_value("P3D")
    timer.fill("P5D")
    timer.press("Tab")
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("designer-status")).to_contain_text("已部署为 v2", timeout=DEPLOY_TIMEOUT)
    page.get_by_test_id("deployed-link").click()
    expect(page.get_by_test_id("version-row").first).to_have_attribute("data-version", "2")
    expect(page.get_by_test_id("version-row").first).to_contain_text("designer 用户")
    expect(page.get_by_test_id("process-event").first).to_contain_text("部署")

    db.session.expire_all()
    v2 = db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.version == 2)).one()
    assert "P5D" in v2.bpmn_xml
    new_case = f.open_case(world, "新版本案件")
    on_site = f.step(world, new_case, "triage_case", f.TRIAGE_L1) and f.current_task(new_case)
    assert on_site.bpmn_id == "mediate_on_site" and days_between(on_site.created_at, on_site.due_at) == 5
    f.step(world, old_case, "triage_case", f.TRIAGE_L1)
    old_on_site = f.current_task(old_case)
    assert days_between(old_on_site.created_at, old_on_site.due_at) == 3


def test_a_failed_deploy_marks_each_problem_next_to_its_element(page, login, world):
    open_designer(page, login)
    page.get_by_test_id("side-pick").select_option("triage_case")
    page.get_by_test_id("side-form-key").select_option("")
    page.get_by_test_id("side-role-dispatcher").uncheck()
    page.get_by_test_id("deploy").click()
    problems = page.get_by_test_id("designer-problem")
    expect(problems).to_have_count(2, timeout=DEPLOY_TIMEOUT)
    expect(problems.first).to_contain_text("研判分流（triage_case）：用户任务没有指定表单")
    badge = page.get_by_test_id("problem-badge")
    expect(badge).to_have_count(1)  # one badge per element, readable at the fitted zoom
    expect(badge).to_have_attribute("data-element-id", "triage_case")
    expect(badge).to_have_text("⚠ 2 处问题")
    assert badge.bounding_box()["height"] >= 14
    expect(page.get_by_test_id("side-problem")).to_have_count(2)  # the selected task's problems
    expect(page.locator('.djs-element.has-problem[data-element-id="triage_case"]')).to_have_count(1)
    db.session.expire_all()
    assert db.session.scalars(select(ProcessDefinition)).all()[-1].version == 1


def test_the_case_page_shows_the_cases_position_and_pending_timers(page, login, world):
    case = f.open_case(world, "楼道堆物纠纷")
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    login("grid_worker")
    asked = []
    page.on("request", lambda request: asked.append(request.url) if request.url.endswith("/diagram") else None)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the diagram is below the fold
    page.goto(f"/cases/{case.number}")
    page.wait_for_load_state("networkidle")
    diagram = page.get_by_test_id("case-diagram")
    assert asked == [] and diagram.get_attribute("data-ready") is None  # not fetched nor drawn until scrolled to
    diagram.scroll_into_view_if_needed()
    expect(diagram).to_have_attribute("data-ready", "true")
    assert len(asked) == 1
    expect(diagram.locator('.djs-element.step-current[data-element-id="mediate_on_site"]')).to_have_count(1)
    expect(diagram.locator('.djs-element.step-done[data-element-id="triage_case"]')).to_have_count(1)
    timer = diagram.locator('[data-testid="timer-overlay"][data-element-id="on_site_deadline"]')
    expect(timer).to_have_attribute("title", "网格事项3日时限 到期：" + timer.text_content()[2:])
    expect(diagram.locator(".bjs-powered-by")).to_be_visible()


def test_the_process_page_shows_where_open_cases_wait(page, login, world):
    f.open_case(world, "一")
    f.open_case(world, "二")
    login("supervisor")
    page.get_by_test_id("nav-process").click()
    heatmap = page.get_by_test_id("heatmap")
    expect(heatmap).to_have_attribute("data-ready", "true")
    expect(heatmap.locator('[data-testid="heat-overlay"][data-element-id="triage_case"]')).to_have_text("待办 2")


def test_an_english_designer_gets_the_scripts_texts_in_english(page, login, world):
    create_user("dee", "Dee Designer", "designer", f.PASSWORD, [], locale="en")
    login("dee")
    page.get_by_test_id("nav-designer").click()
    page.get_by_test_id("edit-process").first.click()
    expect(page.get_by_test_id("designer-canvas")).to_have_attribute("data-ready", "true")
    expect(page.get_by_test_id("side-pick").locator('option[value="triage_case"]')).to_have_text("研判分流 (UserTask)")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("designer-status")).to_have_text("Draft saved.")
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("designer-status")).to_have_text("Deployed as v2. View version", timeout=DEPLOY_TIMEOUT)  # saved by bpmn-js
    expect(page.get_by_test_id("deployed-link")).to_have_text("View version")


def test_a_designer_imports_a_file_from_another_tool_fixes_it_deploys_it_and_a_case_runs_on_it(
        page, login, world, tmp_path):
    drawn_elsewhere = (SHIPPED.replace('"dispute_mediation"', '"Process_1"')
                       .replace('isExecutable="true"', 'isExecutable="false"')
                       .replace(' camunda:formKey="triage"', ""))
    file = tmp_path / "from-another-tool.bpmn"
    file.write_text(drawn_elsewhere, encoding="utf-8")
    open_designer(page, login)
    page.get_by_test_id("import-file").set_input_files(str(file))
    expect(page.get_by_test_id("designer-status")).to_contain_text("已导入 from-another-tool.bpmn")

    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("designer-problem").first).to_contain_text("没有标记为可执行", timeout=DEPLOY_TIMEOUT)

    page.get_by_test_id("side-pick").select_option("Process_1")
    expect(page.get_by_test_id("side-process-id")).to_have_value("Process_1")
    expect(page.get_by_test_id("side-condition")).to_be_hidden()  # only the fields that apply
    expect(page.get_by_test_id("side-form-key")).to_be_hidden()
    page.get_by_test_id("side-process-id").fill("dispute_mediation")
    page.get_by_test_id("side-process-id").press("Tab")
    page.get_by_test_id("side-executable").check()
    page.get_by_test_id("deploy").click()
    problem = page.get_by_test_id("designer-problem")
    expect(problem).to_have_count(1, timeout=DEPLOY_TIMEOUT)
    expect(problem).to_contain_text("研判分流（triage_case）：用户任务没有指定表单")

    problem.click()
    expect(page.get_by_test_id("side-element-id")).to_have_text("triage_case")
    expect(page.get_by_test_id("side-timer")).to_be_hidden()
    expect(page.get_by_test_id("side-problem")).to_contain_text("用户任务没有指定表单")
    page.get_by_test_id("side-form-key").select_option("triage")
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("designer-status")).to_contain_text("已部署为 v2", timeout=DEPLOY_TIMEOUT)

    db.session.expire_all()
    v2 = db.session.scalars(select(ProcessDefinition).where(ProcessDefinition.version == 2)).one()
    assert 'process id="dispute_mediation"' in v2.bpmn_xml and 'camunda:formKey="triage"' in v2.bpmn_xml
    case = f.open_case(world, "导入流程上的案件")
    assert f.current_task(case).bpmn_id == "triage_case"
    login("dispatcher")
    page.goto(f"/cases/{case.number}")
    diagram = page.get_by_test_id("case-diagram")
    diagram.scroll_into_view_if_needed()
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(page.get_by_text("流程图（v2）")).to_be_visible()
    expect(diagram.locator('.djs-element.step-current[data-element-id="triage_case"]')).to_have_count(1)


def test_a_file_dropped_on_the_canvas_is_imported_and_a_replacement_asks_first(page, login, world):
    f.open_case(world, "进行中的案件")
    open_designer(page, login)
    start_to_end = SHIPPED.split("<bpmn:process", 1)[0] + (
        '<bpmn:process id="dispute_mediation" isExecutable="true">'
        '<bpmn:startEvent id="case_registered"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f1" sourceRef="case_registered" targetRef="closed" />'
        '<bpmn:endEvent id="closed"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent></bpmn:process>'
        '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="dispute_mediation">'
        '<bpmndi:BPMNShape id="s1" bpmnElement="case_registered"><dc:Bounds x="100" y="100" width="36" height="36" />'
        '</bpmndi:BPMNShape><bpmndi:BPMNShape id="s2" bpmnElement="closed"><dc:Bounds x="300" y="100" width="36" '
        'height="36" /></bpmndi:BPMNShape><bpmndi:BPMNEdge id="e1" bpmnElement="f1"><di:waypoint x="136" y="118" />'
        '<di:waypoint x="300" y="118" /></bpmndi:BPMNEdge></bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>')
    drop = page.evaluate_handle("""xml => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([xml], "start-end.bpmn", {type: "application/xml"}));
        return transfer;
    }""", start_to_end)
    page.get_by_test_id("designer-canvas").dispatch_event("drop", {"dataTransfer": drop})
    expect(page.get_by_test_id("designer-status")).to_contain_text("已导入 start-end.bpmn")
    page.get_by_test_id("deploy").click()
    confirm = page.get_by_test_id("designer-confirm")
    expect(confirm).to_be_visible(timeout=DEPLOY_TIMEOUT)
    expect(page.get_by_test_id("confirm-consequences")).to_contain_text("不经过任何人办理")
    expect(page.get_by_test_id("confirm-consequences")).to_contain_text("进行中的 1 件案件仍按原来的版本办理")
    expect(page.get_by_test_id("confirm-removed")).to_contain_text("研判分流（triage_case）")
    page.get_by_test_id("confirm-cancel").click()
    expect(confirm).to_be_hidden()
    db.session.expire_all()
    assert len(db.session.scalars(select(ProcessDefinition)).all()) == 1
    page.get_by_test_id("deploy").click()
    page.get_by_test_id("confirm-deploy").click()
    expect(page.get_by_test_id("designer-status")).to_contain_text("已部署为 v2", timeout=DEPLOY_TIMEOUT)


def test_typing_in_the_side_form_only_changes_what_applies(page, login, world):
    open_designer(page, login)
    page.get_by_test_id("side-pick").select_option("triage_case")
    expect(page.get_by_test_id("side-condition")).to_be_hidden()
    expect(page.get_by_test_id("side-timer")).to_be_hidden()
    expect(page.get_by_test_id("side-process-id")).to_be_hidden()
    page.get_by_test_id("side-pick").select_option("yellow_card")
    expect(page.get_by_test_id("side-timer")).to_be_visible()
    expect(page.get_by_test_id("side-form-key")).to_be_hidden()
    page.get_by_test_id("side-timer-kind").select_option("timeCycle")
    page.get_by_test_id("side-timer").fill("R6/P1D")
    page.get_by_test_id("side-timer").press("Tab")
    page.get_by_test_id("side-pick").select_option("triage_case")
    page.get_by_test_id("side-pick").select_option("yellow_card")
    expect(page.get_by_test_id("side-timer-kind")).to_have_value("timeCycle")
    expect(page.get_by_test_id("side-timer")).to_have_value("R6/P1D")  # a cycle timer shows its value
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("designer-problem")).to_contain_text("循环定时器暂不支持", timeout=DEPLOY_TIMEOUT)
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("designer-status")).to_have_text("草稿已保存。")
    db.session.expire_all()
    draft = db.session.scalars(select(ProcessDraft)).one()
    assert "[object Object]" not in draft.bpmn_xml


def test_the_case_diagram_zooms_and_centres_the_current_step(page, login, world):
    case = f.open_case(world, "看图案件")
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    login("grid_worker")
    page.goto(f"/cases/{case.number}")
    diagram = page.get_by_test_id("case-diagram")
    diagram.scroll_into_view_if_needed()
    expect(diagram).to_have_attribute("data-ready", "true")
    current = diagram.locator('.djs-element.step-current[data-element-id="mediate_on_site"]')
    box, frame = current.bounding_box(), diagram.bounding_box()
    centre_x = box["x"] + box["width"] / 2
    assert frame["x"] + frame["width"] * 0.3 < centre_x < frame["x"] + frame["width"] * 0.7
    assert box["width"] > 80  # readable, not squeezed to page width
    page.get_by_test_id("diagram-zoomOut").click()
    expect(current).not_to_have_attribute("data-zoom", "never")
    assert current.bounding_box()["width"] < box["width"]
    page.get_by_test_id("diagram-fitAll").click()
    page.get_by_test_id("diagram-showCurrent").click()
    assert abs(current.bounding_box()["width"] - box["width"]) < 2

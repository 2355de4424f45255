"""A designer edits and deploys a process in the bpmn-js modeler; others see diagrams of cases."""
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition
from app.services.people.users import create_user
from tests import factories as f


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
    expect(page.get_by_test_id("designer-status")).to_contain_text("已部署为 v2")
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
    expect(problems).to_have_count(2)
    expect(problems.first).to_contain_text("研判分流：用户任务没有指定表单")
    expect(page.get_by_test_id("problem-overlay")).to_have_count(2)
    expect(page.locator('.djs-element.has-problem[data-element-id="triage_case"]')).to_have_count(1)
    db.session.expire_all()
    assert db.session.scalars(select(ProcessDefinition)).all()[-1].version == 1


def test_the_case_page_shows_the_cases_position_and_pending_timers(page, login, world):
    case = f.open_case(world, "楼道堆物纠纷")
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    login("grid_worker")
    page.goto(f"/cases/{case.number}")
    diagram = page.get_by_test_id("case-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
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
    expect(page.get_by_test_id("designer-status")).to_have_text("Deployed as v2. View version")  # saved by bpmn-js
    expect(page.get_by_test_id("deployed-link")).to_have_text("View version")

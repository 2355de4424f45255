"""A grid worker on a 390-px phone: thumb-sized pages, the installed app, reporting and handling offline."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attachment, DisputeCase, Task, TrailEvent
from tests import factories as f
from tests.browser.conftest import PHONE, log_in, wait_for_service_worker

# Elements drawn by bpmn-js inside a diagram (and its licence link) are not page controls; a radio button or
# a checkbox is touched through its label.
SMALL_CONTROLS = """() => Array.from(document.querySelectorAll('a, button, summary, select, input:not([type=hidden])'))
  .filter((e) => !e.closest('.diagram, .djs-container'))
  .map((e) => (['radio', 'checkbox'].includes(e.type) && e.labels.length) ? e.labels[0] : e)
  .filter((e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
                   return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && r.height < 44; })
  .map((e) => e.outerHTML.slice(0, 90))"""


def on_site_task(world, title: str) -> Task:
    case = f.open_case(world, title)
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    return f.current_task(case)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("role", ["grid_worker", "police_officer"])
def test_field_pages_fit_a_phone_and_every_control_takes_a_thumb(phone, world, role):
    task = on_site_task(world, "楼道堆物")
    log_in(phone, role)
    expect(phone.get_by_test_id("tabbar")).to_be_visible()
    expect(phone.get_by_test_id("nav-my-tasks")).to_be_hidden()
    pages = ["/tasks/", "/tasks/team", "/cases/", "/cases/new", f"/cases/{task.case.number}",
             f"/tasks/{task.id}", "/notifications/", "/settings/", "/menu", "/outbox"]
    for path in pages:
        response = phone.goto(path)
        assert response.status == 200, path
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways: {width}px"
        assert phone.evaluate(SMALL_CONTROLS) == [], path
    phone.goto(f"/cases/{task.case.number}")  # what to do now first; the trail folded until asked for
    assert phone.evaluate("document.querySelector('[data-testid=trail-box]').open") is False
    assert phone.get_by_test_id("current-step").bounding_box()["y"] < phone.get_by_test_id("parties").bounding_box()["y"]
    phone.goto("/tasks/")
    card = phone.get_by_test_id("task-row").first
    expect(card.locator("td[data-label='时限']")).to_be_visible()


def test_offline_report_with_photo_and_task_arrive_once_when_back_online(phone, world):
    task = on_site_task(world, "邻里噪音")
    cases_before = count(DisputeCase)
    log_in(phone, "grid_worker")
    wait_for_service_worker(phone)
    for path in ("/cases/new", f"/tasks/{task.id}"):  # seen once online: kept for the dead spot
        phone.goto(path)

    phone.context.set_offline(True)
    phone.goto("/cases/new")
    phone.get_by_label("纠纷标题").fill("巷口占道经营")
    phone.get_by_label("所属网格（无标准地址时）").select_option(str(world.grid.id))
    phone.get_by_test_id("field-applicant_name").fill("王大妈")
    phone.get_by_test_id("photos-input").set_input_files(
        files=[{"name": "现场.jpg", "mimeType": "image/jpeg", "buffer": f.tiny_image(gps=(29.7752, 104.8521))}])
    phone.get_by_test_id("new-case-submit").click()
    expect(phone.get_by_test_id("queued-notice")).to_be_visible()
    expect(phone.get_by_test_id("outbox-count")).to_have_text("待发送 1")

    phone.goto(f"/tasks/{task.id}")
    phone.get_by_label("现场调解记录").fill("双方同意错峰装修。")
    phone.get_by_label("调解结果").select_option("agreement")
    phone.get_by_label("协议内容").fill("晚十点后停止施工。")
    phone.get_by_label("协议形式").select_option("oral")
    phone.get_by_label("履行方式").fill("自行履行")
    phone.get_by_label("履行期限").fill("2026-12-31")
    phone.get_by_test_id("task-submit").click()
    expect(phone.get_by_test_id("outbox-count")).to_have_text("待发送 2")
    assert count(DisputeCase) == cases_before  # nothing reached the server yet
    phone.evaluate("async () => { window.copies = await window.jiefenField.outbox.all(); }")

    phone.context.set_offline(False)
    expect(phone.get_by_test_id("outbox-count")).to_be_hidden()
    assert count(DisputeCase) == cases_before + 1
    reported = db.session.scalar(select(DisputeCase).where(DisputeCase.title == "巷口占道经营"))
    assert count(Attachment, Attachment.case_id == reported.id) == 1
    assert count(TrailEvent, TrailEvent.case_id == task.case_id, TrailEvent.event == "task_completed") == 2

    # The same drafts sent again (a flaky connection): answered as duplicates, nothing changes.
    phone.evaluate("""async () => { for (const item of window.copies) await window.jiefenField.outbox.put(item);
                                    await window.jiefenField.flush(); }""")
    expect(phone.get_by_test_id("outbox-count")).to_be_hidden()
    assert count(DisputeCase) == cases_before + 1
    assert count(Attachment, Attachment.case_id == reported.id) == 1
    assert count(TrailEvent, TrailEvent.case_id == task.case_id, TrailEvent.event == "task_completed") == 2


def test_a_refused_offline_submission_is_shown_with_its_reason(phone, world):
    task = on_site_task(world, "宠物扰民")
    log_in(phone, "grid_worker")
    wait_for_service_worker(phone)
    phone.goto(f"/tasks/{task.id}")
    phone.context.set_offline(True)
    phone.get_by_label("现场调解记录").fill("已劝导。")
    phone.get_by_label("调解结果").select_option("agreement")
    phone.get_by_label("协议内容").fill("拴绳遛狗。")
    phone.get_by_label("协议形式").select_option("oral")
    phone.get_by_label("履行方式").fill("自行履行")
    phone.get_by_label("履行期限").fill("2026-12-31")
    phone.get_by_test_id("task-submit").click()
    expect(phone.get_by_test_id("outbox-count")).to_have_text("待发送 1")
    # Meanwhile a colleague handled the step.
    f.step(world, task.case, "mediate_on_site", f.ON_SITE_AGREEMENT, role="police_officer")
    phone.context.set_offline(False)
    expect(phone.get_by_test_id("refused-notice")).to_contain_text("已办理")
    phone.goto("/outbox")
    expect(phone.get_by_test_id("outbox-refused")).to_have_count(1)
    expect(phone.get_by_test_id("outbox-reason")).to_contain_text("已办理")


def test_use_my_location_suggests_the_address_and_the_report_keeps_the_position(phone, world):
    log_in(phone, "grid_worker")
    phone.goto("/cases/new")
    phone.get_by_test_id("use-my-location").click()
    suggestion = phone.get_by_test_id("nearby-address")
    expect(suggestion).to_contain_text("和平路12号")
    suggestion.click()
    expect(phone.get_by_test_id("locate-status")).to_contain_text("和平路12号")
    phone.get_by_label("纠纷标题").fill("门前积水")
    phone.get_by_test_id("field-applicant_name").fill("赵六")
    phone.get_by_test_id("new-case-submit").click()
    expect(phone.get_by_test_id("case-number")).to_be_visible()
    case = db.session.scalar(select(DisputeCase).where(DisputeCase.title == "门前积水"))
    assert case.address_text == "和平路12号"
    assert (round(case.reported_latitude, 5), round(case.reported_longitude, 5)) == (29.77525, 104.85212)


def test_log_out_clears_what_the_phone_kept(phone, world):
    case = f.open_case(world, "噪音")
    log_in(phone, "grid_worker")
    wait_for_service_worker(phone)
    phone.goto(f"/cases/{case.number}")
    phone.context.set_offline(True)
    phone.get_by_label("意见 / 备注").fill("离线记录")
    phone.get_by_test_id("comment-submit").click()
    expect(phone.get_by_test_id("outbox-count")).to_have_text("待发送 1")
    phone.context.set_offline(False)
    expect(phone.get_by_test_id("outbox-count")).to_be_hidden()
    phone.goto("/menu")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.evaluate("""async () => { await window.jiefenField.outbox.put({clientId: 'left-behind-01', state: 'waiting',
        url: '/x', kind: 'comment', summary: 's', entries: [], createdAt: new Date().toISOString()}); }""")
    phone.locator("form[data-logout] button").click()
    phone.wait_for_url("**/login**")
    databases = phone.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)")
    assert "jiefen-field" not in databases

"""The whole journey through the pages, in Chinese: a police officer hands a non-police call to
mediation, a dispatcher triages it, a grid worker claims it and fails on site, a mediator settles it in
the mediation room, and the supervisor reads the trail. Plus the phone-width layout."""
import pytest
from playwright.sync_api import expect

from tests import factories as f


def open_my_task(page, number: str, name: str):
    page.get_by_test_id("nav-my-tasks").click()
    page.get_by_test_id("task-row").filter(has_text=number).get_by_role("link", name=name).click()
    expect(page.get_by_test_id("task-name")).to_have_text(name)


def test_a_handed_off_case_is_mediated_through_two_tiers_and_audited(page, login, world, clock):
    login("police_officer")
    page.goto("/handoffs/new")
    page.get_by_test_id("field-incident_number").fill("110-20261124-0007")
    page.get_by_test_id("field-title").fill("楼上深夜噪音（110 转调解）")
    page.get_by_test_id("field-address").fill("和平路12号")
    page.get_by_test_id("field-parties-0-name").fill("张三")
    page.get_by_test_id("field-parties-1-name").fill("李四")
    page.get_by_test_id("handoff-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("警情已移交调解")
    number = page.get_by_test_id("case-number").inner_text()

    login("dispatcher")
    open_my_task(page, number, "研判分流")
    page.get_by_label("研判意见").fill("邻里噪音，先由网格员现场调解。")
    page.get_by_label("分流层级").select_option("1")
    page.get_by_test_id("task-submit").click()
    expect(page.get_by_test_id("case-tier")).to_have_text("一级 现场")

    login("grid_worker")
    open_my_task(page, number, "一级：现场调解")
    expect(page.get_by_test_id("task-assignee")).to_have_text("待认领")
    page.get_by_test_id("claim-task").click()
    expect(page.get_by_test_id("flash")).to_have_text("已认领该任务。")
    expect(page.get_by_test_id("task-assignee")).to_have_text("grid_worker 用户")
    page.get_by_label("意见 / 备注").fill("已上门了解情况，双方情绪激动。")
    page.get_by_test_id("comment-submit").click()
    expect(page.get_by_test_id("comment")).to_contain_text("双方情绪激动")
    page.get_by_label("现场调解记录").fill("双方对作息时间分歧较大，现场未能达成一致。")
    page.get_by_label("调解结果").select_option("unresolved")
    page.get_by_test_id("task-submit").click()
    expect(page.get_by_test_id("case-tier")).to_have_text("二级 调解室")

    login("mediator")
    open_my_task(page, number, "二级：算清四笔帐")
    for label, text in [("心理帐", "双方都想被尊重"), ("感情帐", "多年邻居"), ("后果帐", "诉讼费时费力"),
                        ("利益帐", "安静的夜晚对双方都好")]:
        page.get_by_label(label).fill(text)
    page.get_by_test_id("task-submit").click()
    open_my_task(page, number, "二级：调解室调解")
    page.get_by_label("调解笔录").fill("在调解室面对面协商，双方同意作息约定。")
    page.get_by_label("调解结果").select_option("agreement")
    page.get_by_label("协议形式").select_option("written")
    page.get_by_label("协议内容").fill("晚十点后不再发出噪音；如有聚会提前告知。")
    page.get_by_test_id("task-submit").click()  # the Art. 29 items are missing: refused, each one named
    expect(page.get_by_test_id("error-facts")).to_contain_text("纠纷的主要事实")
    for name, text in [("parties_particulars", "张三，男，住和平路12号；李四，男，住和平路12号楼上"),
                       ("facts", "李四夜间聚会噪音影响张三休息"), ("disputed_matters", "夜间噪音"),
                       ("responsibilities", "李四负主要责任"), ("performance_method", "自行履行"),
                       ("performance_deadline", "2026-12-31")]:
        page.get_by_test_id(f"field-{name}").fill(text)
    page.get_by_test_id("task-submit").click()
    expect(page.get_by_test_id("open-task")).to_have_text("回访")
    expect(page.get_by_test_id("document").filter(has_text="人民调解协议书")).to_have_count(1)

    login("supervisor")
    page.get_by_test_id("nav-cases").click()
    page.get_by_test_id("case-row").filter(has_text=number).get_by_role("link", name=number).click()
    trail = page.get_by_test_id("trail-entry")
    expect(trail.first).to_contain_text("案件登记")
    expect(trail.filter(has_text="认领任务")).to_have_count(1)
    expect(trail.filter(has_text="添加意见")).to_have_count(1)
    expect(trail.filter(has_text="办结任务")).to_have_count(4)
    step = page.get_by_test_id("trail-step").last
    step.locator("summary").click()
    expect(step).to_contain_text("书面协议（人民调解协议书）")
    expect(page.get_by_test_id("comment-form")).to_have_count(0)  # the supervisor only reads


@pytest.mark.parametrize("path", ["/tasks/", "case", "/cases/"])
def test_the_main_pages_fit_a_phone(browser, live_server, world, clock, path):
    case = f.open_case(world, "楼道堆放杂物影响通行，邻居多次协商未果")
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("用户名").fill("dispatcher")
        page.get_by_label("密码").fill(f.PASSWORD)
        page.get_by_test_id("login-submit").click()
        page.wait_for_url("**/tasks/")
        page.goto(f"/cases/{case.number}" if path == "case" else path)
        expect(page.get_by_test_id("tabbar")).to_be_visible()  # phones navigate by the bottom tab bar
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 390px"
    finally:
        context.close()

"""A dispatcher and a grid worker move a case through the pages in a real browser."""
from playwright.sync_api import expect

from tests import factories as f


def test_a_case_is_triaged_and_mediated_on_site_through_the_pages(page, login, world):
    case = f.open_case(world, "楼道堆物纠纷")
    login("dispatcher")
    row = page.get_by_test_id("task-row").filter(has_text=case.number)
    expect(row).to_contain_text("研判分流")
    row.get_by_role("link", name="研判分流").click()
    page.get_by_test_id("task-submit").click()
    expect(page.get_by_test_id("error-triage_note")).to_have_text("请填写此项。")
    page.get_by_label("研判意见").fill("邻里小事，现场调解。")
    page.get_by_label("分流层级").select_option("1")
    page.get_by_test_id("task-submit").click()
    expect(page.get_by_test_id("flash")).to_contain_text("已办结")
    expect(page.get_by_test_id("case-tier")).to_have_text("一级 现场")

    login("grid_worker")
    page.get_by_test_id("task-row").filter(has_text=case.number).get_by_role("link").first.click()
    expect(page.get_by_test_id("task-name")).to_have_text("一级：现场调解")
    page.get_by_label("现场调解记录").fill("当场清理楼道。")
    page.get_by_label("调解结果").select_option("agreement")
    page.get_by_label("协议内容").fill("三日内清理完毕。")
    page.get_by_label("协议形式").select_option("oral")
    page.get_by_label("履行方式").fill("自行履行")
    page.get_by_label("履行期限").fill("2026-12-31")
    page.get_by_test_id("task-submit").click()
    expect(page.get_by_test_id("open-task")).to_have_text("回访")
    expect(page.get_by_test_id("trail-entry").filter(has_text="办结任务")).to_have_count(2)

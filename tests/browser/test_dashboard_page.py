"""The dashboard in a browser, under the Content Security Policy: charts drawn without script, a bar opens
the cases behind it, a table view opens, a download arrives."""
from datetime import date

from playwright.sync_api import expect

from app.demo_history import add_history
from tests.browser.test_content_security_policy import violations, visit  # noqa: F401


def test_the_dashboard_under_the_policy_and_a_bar_to_its_cases(page, login, world, clock, violations):  # noqa: F811
    add_history([world.grid.code], date(2026, 11, 24), cases_per_week=3)
    login("supervisor")
    visit(page, violations, "/supervision/dashboard")
    expect(page.get_by_test_id("chart-trend")).to_be_visible()
    page.get_by_test_id("panel-category").get_by_text("表格").click()
    expect(page.get_by_test_id("table-category")).to_be_visible()
    figure = page.get_by_test_id("table-category").locator("tbody tr").first.locator("a")
    count = int(figure.inner_text())
    with page.expect_download() as download:
        page.get_by_test_id("export-category-xlsx").click()
    assert download.value.suggested_filename == "jiefen-category-2026-01-01-2026-11-24.xlsx"
    page.get_by_test_id("panel-category").get_by_test_id("bar-link").first.click()
    expect(page.get_by_test_id("dashboard-filter")).to_be_visible()
    expect(page.get_by_test_id("pager-summary")).to_contain_text(f"共 {count} 条")
    assert violations() == []

"""Under the Content Security Policy the main pages raise no violation, and bpmn-js still loads, edits
and saves in the designer and draws the case and process diagrams."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Address, ProcessDraft
from tests import factories as f

# Runs before any page script: records every violation the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI + " " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def violations(page):
    """CSP violations seen on the pages a test visits: from the page's own event and from the console."""
    page.add_init_script(RECORD_VIOLATIONS)
    seen = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text else None)

    def collect() -> list[str]:
        return seen + page.evaluate("window.__cspViolations || []")
    return collect


def visit(page, violations, path: str) -> None:
    response = page.goto(path)
    assert response.ok, path
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert violations() == [], path


def test_the_main_pages_raise_no_violation(page, login, world, violations):
    case = f.open_case(world, "楼道堆物纠纷")
    task = f.current_task(case)
    plate = db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))
    visit(page, violations, "/login")
    visit(page, violations, f"/r/{plate}")
    visit(page, violations, "/track")
    login("admin")
    for path in ("/tasks/", "/tasks/team", "/cases/", "/cases/new", f"/tasks/{task.id}", "/handoffs/new",
                 "/notifications/", "/supervision/", "/admin/calendar", "/admin/sign-ins", "/settings/",
                 "/settings/password", "/designer/", "/designer/dispute_mediation"):
        visit(page, violations, path)
    visit(page, violations, "/plates")
    page.get_by_test_id("print-plates").evaluate("button => { window.print = () => button.dataset.printed = 'yes'; }")
    page.get_by_test_id("print-plates").click()
    expect(page.get_by_test_id("print-plates")).to_have_attribute("data-printed", "yes")
    visit(page, violations, f"/cases/{case.number}")
    page.get_by_test_id("case-diagram").scroll_into_view_if_needed()
    expect(page.get_by_test_id("case-diagram")).to_have_attribute("data-ready", "true")
    assert violations() == []


def test_the_designer_loads_edits_and_saves_under_the_policy(page, login, world, violations):
    login("designer")
    visit(page, violations, "/designer/")
    page.get_by_test_id("edit-process").first.click()
    expect(page.get_by_test_id("designer-canvas")).to_have_attribute("data-ready", "true")
    expect(page.locator(".bjs-powered-by")).to_be_visible()
    page.get_by_test_id("side-pick").select_option("on_site_deadline")
    timer = page.get_by_test_id("side-timer")
    timer.fill("P4D")
    timer.press("Enter")  # submitting the side form must not leave the page
    timer.press("Tab")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("designer-status")).to_contain_text("草稿已保存")
    db.session.expire_all()
    assert "P4D" in db.session.scalars(select(ProcessDraft)).one().bpmn_xml
    assert violations() == []

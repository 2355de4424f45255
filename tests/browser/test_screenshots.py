"""`make screenshots`: the main pages in Chinese, as PNGs in docs/screenshots/ (for the README).

Marked `screenshots`: the normal run deselects these (tests/browser/conftest.py) unless
JIEFEN_SCREENSHOTS=1, which `make screenshots` sets.
"""
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo_history import add_history
from app.extensions import db
from app.models import Address
from app.services.cases import files as case_files
from app.services.cases import task_actions
from tests import factories as f
from tests.browser.conftest import log_in

pytestmark = pytest.mark.screenshots
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shoot(page, name: str, full_page: bool = True) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full_page)
    assert (OUT / f"{name}.png").stat().st_size > 10_000


def demo_cases(world):
    """A handful of cases at different stages, like the demo."""
    cases = []
    for title, steps in [
        ("楼上装修噪音扰民", []),
        ("老旧小区加装电梯意见不一", [("triage_case", f.TRIAGE_L1)]),
        ("新建房屋地界纠纷", [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_FAILED)]),
        ("停车收费引发群体聚集", [("triage_case", f.TRIAGE_L3)]),
        ("宠物狗吠扰邻", [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_AGREEMENT)]),
    ]:
        case = f.open_case(world, title)
        for bpmn_id, data in steps:
            f.step(world, case, bpmn_id, data)
        cases.append(case)
    return cases


def test_screenshots_of_the_main_pages(page, login, world, clock):
    cases = demo_cases(world)
    elevator = cases[1]
    task = f.current_task(elevator)
    task_actions.claim_task(world["grid_worker"], task.id)
    case_files.add_comment(world["grid_worker"], elevator.number, "已走访三户业主，低层住户顾虑采光和噪音。", task.id)
    case_files.add_attachments(world["grid_worker"], elevator.number, [case_files.Upload("业主意见汇总.pdf", b"%PDF-1.4\n" + b"0" * 2000)])

    login("grid_worker")
    expect(page.get_by_test_id("task-row").first).to_be_visible()
    shoot(page, "task-list")
    page.goto(f"/tasks/{task.id}")
    expect(page.get_by_test_id("task-form")).to_be_visible()
    shoot(page, "task-form")
    page.goto(f"/cases/{elevator.number}")
    page.get_by_test_id("case-diagram").scroll_into_view_if_needed()  # drawn once scrolled near
    expect(page.get_by_test_id("case-diagram")).to_have_attribute("data-ready", "true")
    shoot(page, "case-page")

    login("dispatcher")
    page.goto("/cases/")
    expect(page.get_by_test_id("case-row").first).to_be_visible()
    shoot(page, "case-list")

    login("police_officer")
    page.goto("/handoffs/new")
    expect(page.get_by_test_id("handoff-form")).to_be_visible()
    shoot(page, "handoff")

    add_history([world.grid.code], date(2026, 11, 24), cases_per_week=12)
    login("supervisor")
    page.goto("/supervision/dashboard")
    expect(page.get_by_test_id("chart-trend")).to_be_visible()
    shoot(page, "dashboard")

    token = db.session.scalar(select(Address.plate_token).where(Address.grid_id == world.grid.id))
    page.context.clear_cookies()
    page.goto(f"/r/{token}")
    shoot(page, "qr-report")


def test_screenshots_on_a_phone(phone, world, clock):
    """Phone width (390 px): the grid worker's task cards, a patrol report, a case with photos, the outbox."""
    case = demo_cases(world)[1]
    case_files.add_attachments(world["grid_worker"], case.number, [
        case_files.Upload("楼道.jpg", f.tiny_image()), case_files.Upload("电梯井.png", f.tiny_image("PNG"))])
    log_in(phone, "grid_worker")
    expect(phone.get_by_test_id("task-row").first).to_be_visible()
    shoot(phone, "phone-tasks", full_page=False)
    phone.goto("/cases/new")
    phone.get_by_test_id("use-my-location").click()
    expect(phone.get_by_test_id("nearby-address")).to_be_visible()
    phone.get_by_test_id("use-my-location").scroll_into_view_if_needed()
    shoot(phone, "phone-report", full_page=False)
    phone.goto(f"/cases/{case.number}")
    expect(phone.get_by_test_id("gallery")).to_be_visible()
    phone.get_by_test_id("gallery").scroll_into_view_if_needed()
    shoot(phone, "phone-case", full_page=False)

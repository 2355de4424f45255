"""A resident scans the door plate's QR code, reports a dispute and follows it with the tracking code."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import Address


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


def test_a_resident_reports_through_the_qr_page_and_follows_the_tracking_code(page, login, world):
    login("grid_worker")
    page.goto("/plates")
    link = page.get_by_test_id("plate").filter(has_text="和平路12号").get_by_test_id("plate-link")
    plate_url = link.get_attribute("href")
    assert plate_url.endswith("/r/" + db.session.scalar(select(Address.plate_token)
                                                        .where(Address.text == "和平路12号")))

    page.context.clear_cookies()  # the resident is not logged in
    page.goto(plate_url)
    expect(page.get_by_test_id("plate-address")).to_contain_text("和平路12号")
    page.get_by_label("纠纷简述").fill("楼上深夜噪音")
    page.get_by_label("具体情况").fill("楼上住户每晚十二点后仍在搬动家具。")
    page.get_by_label("您的姓名").fill("吴十")
    page.get_by_label("联系电话").fill("13400000010")
    page.get_by_test_id("resident-report-submit").click()
    expect(page.get_by_test_id("error-consent")).to_have_text("请勾选同意后再提交。")
    page.get_by_label("我同意将姓名和电话用于本次纠纷的调解联系").check()
    page.get_by_test_id("resident-report-submit").click()

    code = page.get_by_test_id("tracking-code")
    expect(code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$"))
    tracking_code = code.inner_text()
    number = page.get_by_test_id("receipt-case-number").inner_text()

    page.goto("/track")
    page.get_by_label("查询码").fill(tracking_code.lower())
    page.get_by_test_id("track-submit").click()
    expect(page.get_by_test_id("tracking-case-number")).to_have_text(number)
    expect(page.get_by_test_id("tracking-status")).to_have_text("办理中")
    expect(page.get_by_test_id("tracking-step")).to_contain_text("研判分流")
    expect(page.get_by_test_id("tracking")).not_to_contain_text("吴十")

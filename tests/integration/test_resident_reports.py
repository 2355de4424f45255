"""Door plates: the QR sheet, a resident's report without log-in, tracking by code, rate and size limits."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db, limiter
from app.models import Address, DisputeCase, TrailEvent
from tests import factories as f

REPORT = {"title": "楼道堆放杂物", "description": "邻居长期在楼道堆放杂物，协商未果。", "name": "周九",
          "phone": "13500000009", "consent": "y"}


@pytest.fixture(autouse=True)
def _fresh_limits():
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def plate(world) -> str:
    return db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def report(client, plate, ip="10.0.0.1", **changes):
    return client.post(f"/r/{plate}", data={**REPORT, **changes}, environ_base={"REMOTE_ADDR": ip})


def tracking_code(response) -> str:
    return re.search(r'data-testid="tracking-code">([A-Z0-9-]+)<', response.get_data(as_text=True)).group(1)


def test_every_address_has_its_own_unguessable_plate_token(world):
    tokens = db.session.scalars(select(Address.plate_token)).all()
    assert len(tokens) == len(set(tokens)) == 2 and all(len(token) >= 22 for token in tokens)


def test_the_plate_sheet_shows_a_qr_code_per_address_in_the_users_area(client, auth, world, plate):
    auth.login("grid_worker")
    page = client.get("/plates").get_data(as_text=True)
    assert page.count('data-testid="plate"') == 1 and "<svg" in page
    assert f"/r/{plate}" in page and "致和街5号" not in page
    auth.logout()
    auth.login("admin")
    assert client.get("/plates").get_data(as_text=True).count('data-testid="plate"') == 2
    assert client.get("/plates?grid=G2").get_data(as_text=True).count('data-testid="plate"') == 1
    auth.logout()
    auth.login("mediator")
    assert client.get("/plates").status_code == 403


@pytest.fixture
def public_base_url(app):
    """Set JIEFEN_PUBLIC_BASE_URL for one test."""
    configured = app.config["PUBLIC_BASE_URL"]
    yield lambda value: app.config.update(PUBLIC_BASE_URL=value)
    app.config["PUBLIC_BASE_URL"] = configured


def test_the_public_base_url_setting_decides_the_qr_link_whatever_the_host(client, auth, world, plate,
                                                                           public_base_url):
    public_base_url("https://jiefen.example.gov.cn/")
    auth.login("dispatcher")
    page = client.get("/plates", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert f'href="https://jiefen.example.gov.cn/r/{plate}"' in page
    assert "evil.example" not in page


def test_no_plates_are_printed_until_the_public_base_url_is_set(client, auth, world, plate, public_base_url):
    public_base_url("")
    auth.login("admin")
    response = client.get("/plates", headers={"Host": "evil.example"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="plates-need-base-url"' in page
    assert "JIEFEN_PUBLIC_BASE_URL" in page
    assert 'data-testid="plate"' not in page and plate not in page


def test_a_resident_reports_without_logging_in_and_gets_a_tracking_code(client, world, clock, plate):
    page = client.get(f"/r/{plate}")
    assert page.status_code == 200 and "和平路12号" in page.get_data(as_text=True)
    response = report(client, plate)
    assert response.status_code == 201
    code = tracking_code(response)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    case = db.session.scalar(select(DisputeCase))
    assert case.source == "resident_report" and case.grid_id == world.grid.id and case.address_text == "和平路12号"
    assert case.tracking_code == code.replace("-", "") and case.opened_by_id is None
    assert [(p.name, p.role, p.phone) for p in case.parties] == [("周九", "applicant", "13500000009")]
    received = db.session.scalar(select(TrailEvent).where(TrailEvent.event == "report_received"))
    assert received.data == {"channel": "door_plate", "consent": True}
    assert f.current_task(case).bpmn_id == "triage_case"


def test_tracking_shows_progress_and_no_personal_data(client, world, clock, plate):
    code = tracking_code(report(client, plate))
    case = db.session.scalar(select(DisputeCase))
    f.step(world, case, "triage_case", f.TRIAGE_L1)
    response = client.get("/track", query_string={"code": code.lower().replace("-", " ")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert case.number in page and "办理中" in page and "一级 现场" in page
    assert "一级：现场调解" in page and "研判分流" in page  # current and finished steps
    for private in ("周九", "13500000009", "楼道堆放杂物", "邻居长期", "dispatcher 用户"):
        assert private not in page


def test_an_unknown_code_or_plate_is_not_found(client, world, clock):
    response = client.get("/track?code=AAAA-BBBB-CCCC")
    assert response.status_code == 404 and "没有找到该查询码" in response.get_data(as_text=True)
    assert client.get("/track?code=").status_code == 422
    assert client.get("/track").status_code == 200
    assert client.get("/r/not-a-plate").status_code == 404
    assert client.post("/r/not-a-plate", data=REPORT).status_code == 404
    assert count(DisputeCase) == 0


def test_a_report_without_consent_or_with_bad_fields_is_refused(client, world, clock, plate):
    response = report(client, plate, consent="", phone="abc", title="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请勾选同意后再提交" in page and "请填写有效的电话号码" in page and "请简要写明是什么纠纷" in page
    assert count(DisputeCase) == 0


def test_a_full_length_report_fits_and_an_oversized_one_is_refused_with_413(client, world, clock, plate):
    assert report(client, plate, description="很" * 2000, title="纠" * 100).status_code == 201
    response = report(client, plate, description="很" * 20_000)
    assert response.status_code == 413 and "内容过长" in response.get_data(as_text=True)
    assert count(DisputeCase) == 1


def test_reports_are_rate_limited_per_ip(app, client, world, clock, plate):
    app.config["RESIDENT_REPORT_LIMIT_PER_IP"] = "2 per hour"
    try:
        assert report(client, plate).status_code == 201
        assert report(client, plate).status_code == 201
        refused = report(client, plate)
        assert refused.status_code == 429 and "提交过于频繁" in refused.get_data(as_text=True)
        assert client.get(f"/r/{plate}", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
        assert report(client, plate, ip="10.0.0.2").status_code == 201  # another resident
        assert count(DisputeCase) == 3
    finally:
        app.config["RESIDENT_REPORT_LIMIT_PER_IP"] = "5 per hour"


def test_reports_are_rate_limited_per_door_plate(app, client, world, clock, plate):
    other_plate = db.session.scalar(select(Address.plate_token).where(Address.text == "致和街5号"))
    app.config["RESIDENT_REPORT_LIMIT_PER_ADDRESS"] = "2 per day"
    try:
        assert report(client, plate, ip="10.0.1.1").status_code == 201
        assert report(client, plate, ip="10.0.1.2").status_code == 201
        assert report(client, plate, ip="10.0.1.3").status_code == 429
        assert report(client, other_plate, ip="10.0.1.3").status_code == 201
    finally:
        app.config["RESIDENT_REPORT_LIMIT_PER_ADDRESS"] = "10 per day"


def test_tracking_lookups_are_rate_limited_per_ip(app, client, world, clock):
    app.config["TRACKING_LIMIT_PER_IP"] = "3 per hour"
    try:
        statuses = [client.get("/track?code=AAAA-BBBB-CCCC").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
    finally:
        app.config["TRACKING_LIMIT_PER_IP"] = "30 per hour"


def test_the_public_form_keeps_csrf_protection(app, client, world, clock, plate):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = report(client, plate)
        assert response.status_code == 400 and count(DisputeCase) == 0
        page = client.get(f"/r/{plate}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert report(client, plate, csrf_token=token).status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

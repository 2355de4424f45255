"""Malformed input, by class and over every route: numbers out of range or in other scripts, NUL bytes,
lone surrogates, deep JSON, dates at the edges. Each is refused with 400/404/422 in the user's
language (JSON under /api/v1), and nothing is stored — on SQLite and on PostgreSQL."""
import json
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DisputeCase, Handoff, Party, TrailEvent, User
from app.services.intake.api_tokens import create_token
from tests import factories as f
from tests.integration.test_api import HANDOFF, call

NOT_IDS = ["9223372036854775808", "99999999999999999999", "²", "٣", "1e20", "-1", "+1", " 1"]
# The path of every route, its arguments filled in: numbers by `number`, the rest by `text`.
ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def fill(rule: str, number: str, text: str | None = None) -> str:
    defaults = {"key": "dispute_mediation", "kind": "weekly"}
    return ARGUMENT.sub(lambda m: number if m.group(1) == "int" else text or defaults.get(m.group(2), "JF-2026-000001"),
                        rule)


def stored() -> tuple:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (DisputeCase, Party, TrailEvent, Handoff, User))


@pytest.fixture
def admin(client, auth, world):
    auth.login("admin")
    return world


def test_numbers_in_the_path_beyond_a_database_integer_or_not_ascii_match_no_route(app, client, admin):
    int_rules = [(method, rule) for method, rule in routes(app) if "<int:" in rule]
    assert len(int_rules) >= 8
    before = stored()
    for method, rule in int_rules:
        for number in NOT_IDS:
            response = client.open(fill(rule, number.replace(" ", "%20").replace("+", "%2B")), method=method)
            assert response.status_code == 404, (method, rule, number)
            if rule.startswith("/api/"):
                assert response.json["error"] == "not_found"
        # The largest id a database integer holds is a valid id of nothing.
        assert client.open(fill(rule, "9223372036854775807"), method=method).status_code in (302, 401, 404)
    assert stored() == before


def test_nul_bytes_anywhere_in_any_request_are_refused_with_400(app, client, admin):
    before = stored()
    for method, rule in routes(app):
        path = fill(rule, "1")
        # In the query string, in a form field (name and value), and in a path segment.
        response = client.open(path + "?q=a%00b", method=method)
        assert response.status_code == 400, (method, rule, "query")
        if method == "POST":
            for form in ({"title": "a\x00b", "body": "\x00"}, {"a\x00": "b"}):
                response = client.open(path, method=method, data=form)
                # The API checks its token before it reads a body.
                assert response.status_code == (401 if rule.startswith("/api/") else 400), (method, rule, "form")
        if "<" in rule and "<int:" not in rule:
            response = client.open(fill(rule, "1", text="JF%00"), method=method)
            assert response.status_code == 400, (method, rule, "path")
    assert stored() == before


def test_a_nul_byte_in_a_login_name_is_refused_in_the_users_language(client, world):
    response = client.post("/login", data={"username": "admin\x00", "password": f.PASSWORD},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "characters that are not allowed" in response.get_data(as_text=True)
    assert client.get("/tasks/").status_code == 302  # not logged in


def test_the_refusal_page_is_ours_and_in_chinese_by_default(client, admin):
    response = client.get("/cases/?q=%00")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'data-testid="error-message"' in page
    assert "请求中含有不允许的字符" in page


def test_a_file_name_with_a_nul_byte_is_refused(client, admin):
    from io import BytesIO
    case = f.open_case(admin)
    before = stored()
    response = client.post(f"/cases/{case.number}/attachments", content_type="multipart/form-data",
                           data={"file": (BytesIO(b"%PDF-1.4\n"), "a\x00.pdf")})
    assert response.status_code == 400
    assert stored() == before


# --- forms: numbers and dates -------------------------------------------------------------------

@pytest.mark.parametrize("address_id", ["1e20", "100000000000000000000", "9223372036854775808", "²", "-5"])
def test_the_handoff_page_refuses_an_address_id_that_is_no_id(client, auth, world, clock, address_id):
    auth.login("police_officer")
    before = stored()
    response = client.post("/handoffs/new", data={
        "incident_number": "110-1", "title": "噪音", "address_id": address_id, "parties-0-name": "王五"})
    assert response.status_code == 422
    assert stored() == before


@pytest.mark.parametrize("address_id", ["1e20", "100000000000000000000", "٣٣", "-1"])
def test_the_registration_page_refuses_an_id_that_is_no_id(client, auth, world, clock, address_id):
    auth.login("dispatcher")
    before = stored()
    for field in ("address_id", "grid_id", "category_id"):
        response = client.post("/cases/new", data={"title": "噪音", "source": "walk_in", "applicant_name": "王五",
                                                   "grid_id": str(world.grid.id), field: address_id})
        assert response.status_code == 422, field
    assert stored() == before


@pytest.mark.parametrize("reported_at", ["0001-01-01T00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                         "1999-12-31T23:59"])
def test_a_report_time_at_the_edges_of_the_calendar_is_refused(client, auth, world, clock, reported_at):
    auth.login("police_officer")
    before = stored()
    response = client.post("/handoffs/new", data={
        "incident_number": "110-1", "title": "噪音", "address": "和平路12号", "reported_at": reported_at,
        "parties-0-name": "王五"})
    assert response.status_code == 422
    assert "报警时间无效" in response.get_data(as_text=True)
    assert stored() == before


def test_assigning_to_an_id_that_is_no_id_is_told_not_raised(client, auth, world, clock):
    case = f.open_case(world)
    task = f.current_task(case)
    auth.login("dispatcher")
    for assignee in ("99999999999999999999", "²", "1e20"):
        response = client.post(f"/tasks/{task.id}/assign", data={"assignee_id": assignee, "seen_assignee_id": "²"},
                               follow_redirects=True)
        assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    assert f.current_task(case).assignee_id is None


def test_marking_notifications_read_ignores_values_that_are_no_ids(client, auth, world):
    auth.login("dispatcher")
    response = client.post("/notifications/read", data={"id": ["²", "99999999999999999999", "1"]})
    assert response.status_code == 302


# --- the API ------------------------------------------------------------------------------------

@pytest.fixture
def token(world):
    return create_token("police-110", "第一警格").token


@pytest.mark.parametrize("query", ["after=²", "after=99999999999999999999", "limit=٣", "limit=0", "limit=501",
                                   "after=-1", "limit=1e2"])
def test_api_pushes_refuse_parameters_that_are_no_numbers(client, clock, token, query):
    response = call(client, "GET", f"/pushes?{query}", token)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and "须为" in response.json["message"]


@pytest.mark.parametrize("page", ["²", "0", "99999999999999999999", "-1"])
def test_api_tasks_refuse_a_page_that_is_no_number(client, clock, token, page):
    response = call(client, "GET", f"/tasks?page={page}", token, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert response.json["message"].startswith("The parameter page")


def test_api_tasks_take_the_largest_page(client, clock, token):
    assert call(client, "GET", "/tasks?page=9223372036854775807", token).status_code == 200


@pytest.mark.parametrize("nesting", [20000, 40])
def test_api_refuses_deeply_nested_json_with_400(client, clock, token, nesting):
    before = stored()
    response = call(client, "POST", "/handoffs", token, raw="[" * nesting + "]" * nesting)
    assert response.status_code == 400
    assert response.json["message"] == "JSON 嵌套过深（最多 32 层）。"
    assert stored() == before


@pytest.mark.parametrize("field, value", [("title", "\ud800x"), ("title", "a\x00b"), ("description", "\udfff"),
                                          ("incident_number", "110\x00"), ("address", "\x00")])
def test_api_refuses_lone_surrogates_and_nul_bytes_in_any_text(client, clock, token, field, value):
    before = stored()
    raw = json.dumps({**HANDOFF, field: value})  # ensure_ascii: "\ud800" and "\u0000" escapes
    response = call(client, "POST", "/handoffs", token, raw=raw)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and "不允许的字符" in response.json["message"]
    party = json.dumps({**HANDOFF, "parties": [{"name": value, "role": "applicant"}]})
    assert call(client, "POST", "/handoffs", token, raw=party).status_code == 400
    assert stored() == before


@pytest.mark.parametrize("address_id", [10**20, 2**63, 1e20, "²", -1])
def test_api_refuses_an_address_id_out_of_range_with_422(client, clock, token, address_id):
    before = stored()
    body = {key: value for key, value in HANDOFF.items() if key != "address"}
    response = call(client, "POST", "/handoffs", token, {**body, "address_id": address_id})
    assert response.status_code == 422
    assert "address_id" in response.json["fields"]
    assert stored() == before


@pytest.mark.parametrize("reported_at", ["0001-01-01T00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"])
def test_api_refuses_report_times_at_the_edges_with_422(client, clock, token, reported_at):
    before = stored()
    response = call(client, "POST", "/handoffs", token, {**HANDOFF, "reported_at": reported_at})
    assert response.status_code == 422
    assert "reported_at" in response.json["fields"]
    assert stored() == before

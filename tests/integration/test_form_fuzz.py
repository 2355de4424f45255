"""Hypothesis drives the web forms' fields and the list pages' query parameters with arbitrary text and
integers (and the edge values that once broke them): every answer is a page or a refusal, never a 5xx
(the tests' app lets exceptions through, so a defect fails the test with its traceback)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.extensions import db, limiter
from app.models import Address
from tests import factories as f

EXAMPLES = 15
EDGES = ["", " ", "0", "-1", "2147483647", "2147483648", "9223372036854775808", "99999999999999999999", "1e20", "²", "٣",
         "0001-01-01", "0001-01-01T00:00", "9999-12-31T23:59:59-14:00", "y", "true", "None", "\x00", "=cmd|' /C calc'!A0"]
# Text a browser can send: anything but lone surrogates (not encodable in a form; the API tests cover them).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
VALUE = st.one_of(TEXT, st.integers().map(str), st.sampled_from(EDGES))
ANSWERS = {200, 201, 302, 400, 403, 404, 409, 422}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# The forms' fuzz runs on SQLite only (marked `sqlite`); what PostgreSQL refuses where SQLite stores it (NUL, integers
# past its range) is test_malformed_input's, on both. The list pages' query parameters reach the lists' and search's SQL.


def fields(*names):
    return st.fixed_dictionaries({name: VALUE for name in names})


NEW_CASE = ("title", "description", "category_id", "source", "address_id", "grid_id", "address_text", "applicant_name",
            "applicant_phone", "respondent_name", "respondent_phone")
HANDOFF = ("incident_number", "title", "description", "category", "address", "address_id", "grid_code", "reported_at",
           "parties-0-name", "parties-0-role", "parties-0-phone", "parties-1-name")
TRIAGE = ("category", "violence_risk", "tier", "triage_note")


@pytest.fixture
def case(world, clock):
    return f.open_case(world)


@pytest.fixture
def no_rate_limits():
    limiter.reset()
    limiter.enabled = False
    yield
    limiter.enabled = True
    limiter.reset()


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["status", "tier", "category", "grid", "due", "q", "sort", "page"]),
                             VALUE, max_size=8))
def test_the_list_pages_take_any_query(client, auth, case, query):
    auth.login("dispatcher")
    for path in ("/cases/", "/tasks/", "/tasks/team"):
        assert client.get(path, query_string=query).status_code in {200, 400}


@pytest.mark.sqlite
@FUZZ
@given(data=fields(*NEW_CASE))
def test_the_registration_form_takes_any_field(client, auth, world, clock, data):
    auth.login("dispatcher")
    assert client.post("/cases/new", data=data).status_code in ANSWERS


@pytest.mark.sqlite
@FUZZ
@given(data=fields(*HANDOFF))
def test_the_handoff_form_takes_any_field(client, auth, world, clock, data):
    auth.login("police_officer")
    assert client.post("/handoffs/new", data=data).status_code in ANSWERS


@pytest.mark.sqlite
@FUZZ
@given(data=fields(*TRIAGE), action=fields("assignee_id", "seen_assignee_id", "reason", "body", "days",
                                          "both_parties_consent"))
def test_the_task_and_case_forms_take_any_field(client, auth, case, data, action):
    auth.login("dispatcher")
    task = f.current_task(case)
    assert client.post(f"/tasks/{task.id}", data=data).status_code in ANSWERS
    for path in (f"/tasks/{task.id}/assign", f"/tasks/{task.id}/hand-back", f"/cases/{case.number}/comments",
                 f"/cases/{case.number}/clock/pause", f"/cases/{case.number}/mediation/extend",
                 "/notifications/read"):
        assert client.post(path, data={**action, "id": action["assignee_id"]}).status_code in ANSWERS, path


@pytest.mark.sqlite
@FUZZ
@given(data=fields("title", "description", "name", "phone", "consent"), code=VALUE)
def test_the_residents_pages_take_any_field(client, world, clock, no_rate_limits, data, code):
    plate = db.session.scalar(select(Address.plate_token).where(Address.text == "和平路12号"))
    assert client.post(f"/r/{plate}", data=data).status_code in ANSWERS
    assert client.get("/track", query_string={"code": code}).status_code in ANSWERS


@pytest.mark.sqlite
@FUZZ
@given(login=fields("username", "password"), calendar=fields("year", "holidays", "working_days"),
       design=fields("key"), language=fields("locale"))
def test_the_log_in_settings_admin_and_designer_forms_take_any_field(client, auth, world, login, calendar, design,
                                                                   language):
    assert client.post("/login", data=login).status_code in ANSWERS
    auth.login("admin")
    assert client.post("/admin/calendar", data=calendar).status_code in ANSWERS
    assert client.post("/designer/new", data=design).status_code in ANSWERS
    assert client.post("/settings/", data=language).status_code in ANSWERS
    auth.logout()

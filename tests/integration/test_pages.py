"""The pages, driven through the Flask test client: log-in, task lists, forms, case page."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import DisputeCase, TrailEvent
from tests import factories as f

pytestmark = pytest.mark.sqlite  # HTTP, forms, templates; the services' paths run on PostgreSQL in test_case_flows


def form_data(data: dict) -> dict:
    """Data as a browser posts it: a ticked box sends 'y', an unticked one sends nothing."""
    return {key: ("y" if value is True else value) for key, value in data.items() if value is not False}


def submit(client, auth, case, bpmn_id, data, username=None):
    task = next(t for t in f.ready_tasks(case) if t.bpmn_id == bpmn_id)
    auth.login(username or task.roles[0])
    response = client.post(f"/tasks/{task.id}", data=form_data(data))
    auth.logout()
    return response


def test_login_is_required_and_bad_passwords_are_refused(client, auth, world):
    assert client.get("/tasks/").status_code == 302
    response = auth.login("dispatcher", "wrong")
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert auth.login("dispatcher").status_code == 302
    assert client.get("/tasks/").status_code == 200


def test_registering_a_case_through_the_page_puts_it_in_the_dispatchers_list(client, auth, world, clock):
    auth.login("grid_worker")
    response = client.post("/cases/new", data={
        "title": "楼上漏水", "source": "grid_patrol", "grid_id": world.grid.id, "applicant_name": "张三",
        "respondent_name": "李四",
    })
    assert response.status_code == 302
    number = response.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "楼上漏水" in page and "张三" in page and "研判分流" in page
    auth.logout()
    auth.login("dispatcher")
    mine = client.get("/tasks/").get_data(as_text=True)
    assert number in mine and "研判分流" in mine


def test_an_invalid_registration_shows_errors_and_creates_nothing(client, auth, world, clock):
    auth.login("grid_worker")
    response = client.post("/cases/new", data={"title": "", "source": "grid_patrol", "applicant_name": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写纠纷标题" in page and "请填写申请人姓名" in page
    assert db.session.scalar(select(func.count()).select_from(DisputeCase)) == 0


def test_registration_needs_a_grid_or_an_address(client, auth, world, clock):
    auth.login("grid_worker")
    response = client.post("/cases/new", data={"title": "无地址", "source": "grid_patrol", "applicant_name": "张三"})
    assert response.status_code == 422
    assert "请选择案件所在网格" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DisputeCase)) == 0


def test_an_invalid_task_form_rerenders_with_errors_and_the_case_does_not_move(client, auth, world, clock):
    case = f.open_case(world)
    events_before = db.session.scalar(select(func.count()).select_from(TrailEvent))
    response = submit(client, auth, case, "triage_case", {"tier": 1, "triage_note": "", "category": "nope"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="error-triage_note">请填写此项。' in page
    assert 'data-testid="error-category">' in page
    assert f.current_task(case).bpmn_id == "triage_case"
    assert db.session.scalar(select(func.count()).select_from(TrailEvent)) == events_before


def test_agreement_without_terms_is_refused(client, auth, world, clock):
    case = f.open_case(world)
    submit(client, auth, case, "triage_case", f.TRIAGE_L1)
    response = submit(client, auth, case, "mediate_on_site", {**f.ON_SITE_AGREEMENT, "agreement_terms": ""})
    assert response.status_code == 422
    assert "达成协议时请写明协议内容" in response.get_data(as_text=True)
    assert f.current_task(case).bpmn_id == "mediate_on_site"


def test_a_stale_submission_is_told_the_task_moved_on(client, auth, world, clock):
    case = f.open_case(world)
    task = f.current_task(case)
    assert submit(client, auth, case, "triage_case", f.TRIAGE_L1).status_code == 302
    auth.login("dispatcher")
    response = client.post(f"/tasks/{task.id}", data=form_data(f.TRIAGE_L2), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "该任务已办理或已不在当前环节" in page
    assert f.current_task(case).bpmn_id == "mediate_on_site"
    assert f.reload(case).tier == 1


def test_a_user_without_the_role_sees_the_task_but_cannot_do_it(client, auth, world, clock):
    case = f.open_case(world)
    task = f.current_task(case)
    auth.login("grid_worker")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "您可以查看但不能办理" in page
    response = client.post(f"/tasks/{task.id}", data=form_data(f.TRIAGE_L1))
    assert response.status_code == 403
    assert f.current_task(case).bpmn_id == "triage_case"


def test_a_case_outside_my_grids_is_not_found(client, auth, world, clock):
    case = f.open_case(world)
    auth.login("outsider")
    assert client.get(f"/cases/{case.number}").status_code == 404
    assert client.get(f"/tasks/{f.current_task(case).id}").status_code == 404
    assert case.number not in client.get("/cases/").get_data(as_text=True)


PATHS = {
    "level 1 resolved": [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_AGREEMENT),
                         ("follow_up_visit", f.FOLLOW_UP)],
    "level 1 to 2 resolved": [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_FAILED),
                              ("assess_four_accounts", f.FOUR_ACCOUNTS),
                              ("hold_mediation_session", f.SESSION_CONFIRM),
                              ("refer_judicial_confirmation", f.JUDICIAL), ("follow_up_visit", f.FOLLOW_UP)],
    "level 1 to 2 to 3 ended": [("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_FAILED),
                                ("assess_four_accounts", f.FOUR_ACCOUNTS),
                                ("hold_mediation_session", f.SESSION_FAILED), ("consult_jointly", f.CONSULT_ENDED),
                                ("follow_up_visit", f.FOLLOW_UP)],
    "level 1 to 2 to 3 agreement and court": [
        ("triage_case", f.TRIAGE_L1), ("mediate_on_site", f.ON_SITE_FAILED), ("assess_four_accounts", f.FOUR_ACCOUNTS),
        ("hold_mediation_session", f.SESSION_FAILED),
        ("consult_jointly", {**f.CONSULT_AGREEMENT, "judicial_confirmation": True}),
        ("refer_judicial_confirmation", f.JUDICIAL), ("follow_up_visit", f.FOLLOW_UP)],
    "violence risk at level 2 returned then police take over": [
        ("triage_case", f.TRIAGE_L2), ("assess_four_accounts", f.FOUR_ACCOUNTS),
        ("hold_mediation_session", {**f.SESSION_FAILED, "result": "violence_risk"}),
        ("handle_violence_risk", f.POLICE_RETURNED), ("assess_four_accounts", f.FOUR_ACCOUNTS),
        ("hold_mediation_session", {**f.SESSION_FAILED, "result": "violence_risk"}),
        ("handle_violence_risk", f.POLICE_TAKEN_OVER)],
    "violence risk to police": [("triage_case", f.TRIAGE_RISK), ("handle_violence_risk", f.POLICE_TAKEN_OVER)],
}
OUTCOMES = {"level 1 resolved": "调解成功", "level 1 to 2 resolved": "调解成功",
            "level 1 to 2 to 3 ended": "调解终止", "level 1 to 2 to 3 agreement and court": "调解成功",
            "violence risk at level 2 returned then police take over": "移交公安", "violence risk to police": "移交公安"}


@pytest.mark.parametrize("path", PATHS)
def test_each_path_through_the_pages(client, auth, world, clock, path):
    case = f.open_case(world)
    for bpmn_id, data in PATHS[path]:
        response = submit(client, auth, case, bpmn_id, data)
        assert response.status_code == 302, response.get_data(as_text=True)
    auth.login("supervisor")
    page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert re.search(r'data-testid="case-status">已结案（' + OUTCOMES[path], page)
    assert page.count('data-event="task_completed"') == len(PATHS[path])


def test_forms_need_a_csrf_token_outside_tests(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"username": "dispatcher", "password": f.PASSWORD})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

"""The police officer's hand-off page, pushing a case to the police, walk-ins, and the token commands."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, CasePush, DisputeCase, Handoff, TrailEvent
from app.services.intake.api_tokens import create_token
from app.services.people.users import create_user
from tests import factories as f

PAGE_HANDOFF = {
    "incident_number": "110-0007", "title": "菜市场摊位纠纷", "description": "两摊主争吵", "category": "business",
    "address": "和平路12号", "reported_at": "2026-11-24T08:40",
    "parties-0-name": "钱七", "parties-0-role": "applicant", "parties-0-phone": "13700000007",
    "parties-1-name": "", "parties-1-role": "respondent", "parties-1-phone": "",
}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_police_officer_hands_off_a_call_from_the_page(client, auth, world, clock):
    auth.login("police_officer")
    page = client.get("/handoffs/new").get_data(as_text=True)
    assert 'data-testid="handoff-form"' in page and "和平路12号" in page  # the officer's addresses offered
    response = client.post("/handoffs/new", data=PAGE_HANDOFF)
    assert response.status_code == 302
    case = db.session.scalar(select(DisputeCase))
    assert response.headers["Location"].endswith(f"/cases/{case.number}")
    assert case.source == "police_handoff" and [p.name for p in case.parties] == ["钱七"]
    handoff = db.session.scalar(select(Handoff))
    assert (handoff.system, handoff.incident_number) == ("web", "110-0007")
    assert handoff.reported_at.isoformat() == "2026-11-24T00:40:00+00:00"  # entered in Shanghai time
    shown = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "接警单号 110-0007" in shown and "公安移交" in shown


def test_handing_off_the_same_call_twice_shows_the_first_case(client, auth, world, clock):
    auth.login("police_officer")
    first = client.post("/handoffs/new", data=PAGE_HANDOFF)
    again = client.post("/handoffs/new", data={**PAGE_HANDOFF, "title": "再次提交"}, follow_redirects=True)
    assert again.request.path == first.headers["Location"]
    assert "已移交过" in again.get_data(as_text=True)
    assert count(DisputeCase) == 1


def test_an_incident_sent_through_the_api_then_typed_on_the_page_shows_the_api_case(client, auth, world, clock):
    token = create_token("police-110", "第一警格").token
    sent = client.post("/api/v1/handoffs", headers={"Authorization": f"Bearer {token}"}, json={
        "incident_number": "110-0007", "title": "菜市场摊位纠纷", "address": "和平路12号",
        "parties": [{"name": "钱七", "role": "applicant"}]})
    assert sent.status_code == 201
    auth.login("police_officer")
    # Only the incident number typed: no address, no title — the page shows the case, no form errors.
    again = client.post("/handoffs/new", data={"incident_number": "110-0007"}, follow_redirects=True)
    assert again.request.path == f"/cases/{sent.json['case_number']}"
    assert f"接警单号 110-0007 已移交过，即案件 {sent.json['case_number']}" in again.get_data(as_text=True)
    assert count(DisputeCase) == 1 and count(Handoff) == 1


def test_an_incident_handed_off_on_the_page_then_sent_through_the_api_is_the_same_case(client, auth, world, clock):
    auth.login("police_officer")
    client.post("/handoffs/new", data=PAGE_HANDOFF)
    case = db.session.scalar(select(DisputeCase))
    token = create_token("police-110", "第一警格").token
    sent = client.post("/api/v1/handoffs", headers={"Authorization": f"Bearer {token}"}, json={
        "incident_number": "110-0007", "title": "另一个标题", "grid_code": "G1",
        "parties": [{"name": "钱七", "role": "applicant"}]})
    assert sent.status_code == 200
    assert (sent.json["case_number"], sent.json["created"]) == (case.number, False)
    assert count(DisputeCase) == 1 and count(Handoff) == 1


def test_an_earlier_handoff_outside_the_officers_area_is_named_not_opened(client, auth, world, clock):
    auth.login("police_officer")
    client.post("/handoffs/new", data=PAGE_HANDOFF)
    number = db.session.scalar(select(DisputeCase.number))
    other = create_user("other_officer", "外警格民警", "police_officer", f.PASSWORD, [], police_grid="第二警格")
    auth.login(other.username)
    response = client.post("/handoffs/new", data={"incident_number": "110-0007"})
    assert f"接警单号 110-0007 已移交过，即案件 {number}" in response.get_data(as_text=True)
    assert count(DisputeCase) == 1


def test_an_invalid_page_handoff_rerenders_with_errors(client, auth, world, clock):
    auth.login("police_officer")
    response = client.post("/handoffs/new", data={**PAGE_HANDOFF, "title": "", "parties-0-name": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写纠纷标题" in page and "请至少填写一名当事人的姓名" in page
    response = client.post("/handoffs/new", data={**PAGE_HANDOFF, "address": "致和街5号"})
    assert response.status_code == 403  # another police grid's address
    assert count(DisputeCase) == 0


def test_only_police_officers_hand_off(client, auth, world, clock):
    auth.login("grid_worker")
    assert client.get("/handoffs/new").status_code == 403
    assert client.post("/handoffs/new", data=PAGE_HANDOFF).status_code == 403
    assert count(DisputeCase) == 0


def test_a_dispatcher_pushes_a_case_to_the_police_once(client, auth, world, clock):
    case = f.open_case(world)
    auth.login("dispatcher")
    assert 'data-testid="push-form"' in client.get(f"/cases/{case.number}").get_data(as_text=True)
    response = client.post(f"/handoffs/push/{case.number}", data={"reason": "双方扬言动手"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已推送公安" in page and "双方扬言动手" in page and 'data-testid="push-form"' not in page
    push = db.session.scalar(select(CasePush))
    assert push.case_id == case.id and push.pushed_by_id == world["dispatcher"].id
    trail = db.session.scalar(select(TrailEvent).where(TrailEvent.event == "case_pushed"))
    assert trail.data == {"to": "police", "reason": "双方扬言动手"}
    again = client.post(f"/handoffs/push/{case.number}", data={"reason": "再推"}, follow_redirects=True)
    assert "该案件已推送公安" in again.get_data(as_text=True) and count(CasePush) == 1
    assert f.current_task(case).bpmn_id == "triage_case"  # the process does not move


def test_a_push_needs_a_reason_a_role_and_scope(client, auth, world, clock):
    case = f.open_case(world)
    auth.login("dispatcher")
    response = client.post(f"/handoffs/push/{case.number}", data={"reason": ""}, follow_redirects=True)
    assert "请填写推送公安的原因" in response.get_data(as_text=True)
    auth.logout()
    auth.login("grid_worker")
    assert 'data-testid="push-form"' not in client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert client.post(f"/handoffs/push/{case.number}", data={"reason": "x"}).status_code == 403
    auth.logout()
    auth.login("other_dispatcher")
    assert client.post(f"/handoffs/push/{case.number}", data={"reason": "x"}).status_code == 404
    assert count(CasePush) == 0


def test_a_dispatcher_and_a_mediator_register_walk_ins(client, auth, world, clock):
    for username in ("dispatcher", "mediator"):
        auth.login(username)
        response = client.post("/cases/new", data={
            "title": f"{username} 来访登记", "source": "walk_in", "grid_id": world.grid.id,
            "applicant_name": "孙八", "applicant_phone": "13600000008",
        })
        assert response.status_code == 302, username
        number = response.headers["Location"].rsplit("/", 1)[-1]
        case = db.session.scalar(select(DisputeCase).where(DisputeCase.number == number))
        assert case.source == "walk_in" and case.opened_by_id == world[username].id
        assert "来访登记" in client.get(f"/cases/{number}").get_data(as_text=True)
        auth.logout()


def test_create_token_prints_the_token_once_and_stores_its_hash(runner, world):
    result = runner.invoke(args=["create-token", "--system", "police-110", "--police-grid", "第一警格"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("jf_") and "api-police-110" in result.output
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash != token and token not in row.prefix + row.token_hash
    assert runner.invoke(args=["revoke-token", "--system", "police-110"]).output.startswith("revoked 1")


def test_create_token_refuses_bad_input(runner, world):
    first = runner.invoke(args=["create-token", "--system", "police-110"])
    assert first.exit_code != 0 and "--police-grid" in first.output
    bad = runner.invoke(args=["create-token", "--system", "Police 110", "--police-grid", "第一警格"])
    assert bad.exit_code != 0 and "系统名称" in bad.output
    missing = runner.invoke(args=["create-token", "--system", "police-110", "--police-grid", "无此警格"])
    assert missing.exit_code != 0 and "警格不存在" in missing.output
    assert count(ApiToken) == 0


def test_a_token_never_takes_over_an_ordinary_account(runner, world):
    create_user("api-police-110", "冒名", "admin", f.PASSWORD, [])
    result = runner.invoke(args=["create-token", "--system", "police-110", "--police-grid", "第一警格"])
    assert result.exit_code != 0 and "已被普通账号占用" in result.output
    assert count(ApiToken) == 0

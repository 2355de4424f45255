"""The JSON API under /api/v1: tokens, hand-offs (idempotent), cases, tasks, pushes — through the client."""
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, DisputeCase, Handoff, Task, TrailEvent
from app.services.intake import handoffs
from app.services.intake.api_tokens import create_token, revoke_tokens
from tests import factories as f

HANDOFF = {
    "incident_number": "110-20261124-0001",
    "title": "邻居装修噪音引发争吵",
    "description": "报警人称楼上装修至深夜，双方争吵，无人受伤。",
    "category": "neighbour",
    "address": "和平路12号",
    "reported_at": "2026-11-24T08:30:00+08:00",
    "parties": [{"name": "王五", "role": "applicant", "phone": "13900000001"},
                {"name": "赵六", "role": "respondent"}],
}


@pytest.fixture
def token(world):
    return create_token("police-110", "第一警格").token


def call(client, method, path, token=None, body=None, raw=None, headers=None):
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if raw is not None:
        return client.open(f"/api/v1{path}", method=method, data=raw, headers=headers,
                           content_type=headers.pop("Content-Type", "application/json"))
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def hand_off(client, token, **changes):
    return call(client, "POST", "/handoffs", token, {**HANDOFF, **changes})


# --- tokens ----------------------------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer", "Bearer jf_unknown-token", "Bearer not-ours"])
def test_a_missing_or_unknown_token_is_refused_with_401_json(client, world, clock, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/handoffs", json=HANDOFF, headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized" and "令牌" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(DisputeCase) == 0


def test_a_revoked_token_is_refused_and_a_new_one_works(client, world, clock, token):
    assert call(client, "GET", "/tasks", token).status_code == 200
    assert revoke_tokens("police-110") == 1
    assert call(client, "GET", "/tasks", token).status_code == 401
    fresh = create_token("police-110").token
    assert call(client, "GET", "/tasks", fresh).status_code == 200


def test_only_the_hash_of_a_token_is_stored(world, clock, token):
    row = db.session.scalar(select(ApiToken))
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    assert row.user.username == "api-police-110" and row.user.role == "police_officer"


def test_the_openapi_document_needs_no_token(client, world):
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_unknown_api_routes_answer_json_404(client, world, token):
    response = call(client, "GET", "/nothing-here", token)
    assert response.status_code == 404 and response.json["error"] == "not_found"


# --- hand-offs -------------------------------------------------------------------------------

def test_a_handoff_opens_a_case_on_the_addresss_grid_and_returns_its_number(client, world, clock, token):
    response = hand_off(client, token)
    assert response.status_code == 201
    body = response.json
    assert body["created"] is True and body["url"].endswith(f"/api/v1/cases/{body['case_number']}")
    case = db.session.scalar(select(DisputeCase).where(DisputeCase.number == body["case_number"]))
    assert case.source == "police_handoff" and case.grid_id == world.grid.id
    assert case.address_text == "和平路12号" and case.category.code == "neighbour"
    assert [(p.name, p.role, p.phone) for p in case.parties] == [
        ("王五", "applicant", "13900000001"), ("赵六", "respondent", "")]
    handoff = db.session.scalar(select(Handoff))
    assert (handoff.system, handoff.incident_number) == ("police-110", "110-20261124-0001")
    assert handoff.reported_at.isoformat() == "2026-11-24T00:30:00+00:00"
    events = db.session.scalars(select(TrailEvent).where(TrailEvent.case_id == case.id)).all()
    assert "handoff_received" in [e.event for e in events]
    assert {e.actor_name for e in events if e.event in ("case_opened", "handoff_received")} == {"police-110（接口）"}
    assert f.current_task(case).bpmn_id == "triage_case"


def test_a_replayed_handoff_returns_the_same_case_with_200_and_creates_nothing(client, world, clock, token):
    first = hand_off(client, token)
    events = count(TrailEvent)
    replay = hand_off(client, token, title="重复提交，标题不同")
    assert replay.status_code == 200
    assert replay.json["case_number"] == first.json["case_number"] and replay.json["created"] is False
    assert count(DisputeCase) == 1 and count(Handoff) == 1 and count(TrailEvent) == events


def test_the_same_incident_number_from_another_system_is_the_same_case(client, world, clock, token):
    other = create_token("police-122", "第一警格").token
    first = hand_off(client, token)
    again = hand_off(client, other)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["case_number"] == first.json["case_number"] and count(DisputeCase) == 1


def test_a_grid_code_places_a_handoff_whose_address_is_not_standard(client, world, clock, token):
    response = hand_off(client, token, address="和平路12号后院", grid_code="G1")
    assert response.status_code == 201
    case = db.session.scalar(select(DisputeCase))
    assert case.grid_id == world.grid.id and case.address_id is None and case.address_text == "和平路12号后院"


def test_bad_json_is_refused_with_400(client, world, clock, token):
    for raw, content_type in (("{not json", "application/json"), ("[1, 2]", "application/json"),
                              ("title=x", "application/x-www-form-urlencoded")):
        response = call(client, "POST", "/handoffs", token, raw=raw, headers={"Content-Type": content_type})
        assert response.status_code == 400, raw
        assert response.json["error"] == "bad_request" and "JSON" in response.json["message"]
    assert count(DisputeCase) == 0


def test_an_oversized_body_is_refused_with_413(client, world, clock, token):
    body = json.dumps({**HANDOFF, "description": "很" * 40_000})
    response = call(client, "POST", "/handoffs", token, raw=body)
    assert response.status_code == 413 and response.json["error"] == "payload_too_large"
    assert count(DisputeCase) == 0


def test_invalid_fields_are_refused_with_422_and_field_errors(client, world, clock, token):
    response = hand_off(client, token, incident_number="", title="", category="no-such",
                        reported_at="2026-12-31T08:00:00+08:00", parties=[{"name": "", "role": "applicant"}])
    assert response.status_code == 422 and response.json["error"] == "invalid_input"
    fields = response.json["fields"]
    assert fields["incident_number"] == ["请填写接警单号。"] and fields["title"] == ["请填写纠纷标题。"]
    assert {"category", "reported_at", "parties"} <= set(fields)
    assert fields["parties"] == ["请至少填写一名当事人的姓名。"]
    assert count(DisputeCase) == 0


def test_unknown_fields_and_bad_nested_values_are_refused(client, world, clock, token):
    response = hand_off(client, token, reportd_at="2026-11-24T08:30:00+08:00")
    assert response.status_code == 422 and response.json["fields"] == {"reportd_at": ["未知字段。"]}
    response = hand_off(client, token, parties=[{"name": "王五", "role": "judge"}])
    assert response.status_code == 422 and "parties-0-role" in response.json["fields"]
    assert count(DisputeCase) == 0


def test_a_place_the_service_cannot_resolve_is_422(client, world, clock, token):
    response = hand_off(client, token, address="不存在的地址")
    assert response.status_code == 422 and "address" in response.json["fields"]
    response = hand_off(client, token, address="", grid_code="NOPE")
    assert response.status_code == 422 and "grid_code" in response.json["fields"]
    assert count(DisputeCase) == 0


def test_a_handoff_outside_the_systems_police_grid_is_403(client, world, clock, token):
    response = hand_off(client, token, address="致和街5号")
    assert response.status_code == 403 and response.json["error"] == "forbidden"
    assert count(DisputeCase) == 0 and count(Handoff) == 0


# --- cases and tasks -------------------------------------------------------------------------

def test_a_case_summary_is_shown_within_scope_only(client, world, clock, token):
    number = hand_off(client, token).json["case_number"]
    body = call(client, "GET", f"/cases/{number}", token).json
    assert body["number"] == number and body["status"] == "open" and body["grid_code"] == "G1"
    assert [t["bpmn_id"] for t in body["current_tasks"]] == ["triage_case"]
    assert body["trail"][0]["event"] == "case_opened"
    assert "parties" not in body
    outside = f.open_case(world, actor_role="grid_worker")
    outside.grid_id = world.other_grid.id  # a case in another town's grid
    db.session.commit()
    assert call(client, "GET", f"/cases/{outside.number}", token).status_code == 404
    assert call(client, "GET", "/cases/JF-2026-999999", token).status_code == 404


def _police_task(world, client, token) -> Task:
    number = hand_off(client, token).json["case_number"]
    case = db.session.scalar(select(DisputeCase).where(DisputeCase.number == number))
    f.step(world, case, "triage_case", f.TRIAGE_RISK)
    return f.current_task(case)


def test_the_task_list_holds_the_service_users_ready_tasks(client, world, clock, token):
    assert call(client, "GET", "/tasks", token).json == {"tasks": [], "page": 1, "pages": 1, "total": 0}
    assert call(client, "GET", "/tasks?page=x", token).status_code == 400
    task = _police_task(world, client, token)
    tasks = call(client, "GET", "/tasks", token).json["tasks"]
    assert [(t["id"], t["bpmn_id"], t["form_key"]) for t in tasks] == [(task.id, "handle_violence_risk",
                                                                       "police_handling")]


def test_completing_a_task_validates_like_the_page_then_moves_the_case(client, world, clock, token):
    task = _police_task(world, client, token)
    invalid = call(client, "POST", f"/tasks/{task.id}/complete", token, {"result": "taken_over"})
    assert invalid.status_code == 422
    assert invalid.json["fields"]["police_action"] == ["请填写此项。"] and "tier" in invalid.json["fields"]
    assert f.current_task(task.case).id == task.id

    done = call(client, "POST", f"/tasks/{task.id}/complete", token, f.POLICE_RETURNED)
    assert done.status_code == 200 and done.json["task"]["state"] == "completed"
    case = f.reload(task.case)
    assert case.tier == 2 and f.current_task(case).bpmn_id == "assess_four_accounts"
    completed = db.session.scalar(select(TrailEvent).where(TrailEvent.event == "task_completed",
                                                          TrailEvent.task_id == task.id))
    assert completed.actor_name == "police-110（接口）"

    replay = call(client, "POST", f"/tasks/{task.id}/complete", token, f.POLICE_RETURNED)
    assert replay.status_code == 409 and replay.json["error"] == "conflict"


def test_a_task_of_another_role_is_403_and_one_out_of_scope_is_404(client, world, clock, token):
    number = hand_off(client, token).json["case_number"]
    triage = f.current_task(db.session.scalar(select(DisputeCase).where(DisputeCase.number == number)))
    response = call(client, "POST", f"/tasks/{triage.id}/complete", token, f.TRIAGE_L1)
    assert response.status_code == 403 and f.current_task(triage.case).state == "ready"
    outside = f.open_case(world)
    outside_task = f.current_task(outside)
    outside.grid_id = outside_task.grid_id = world.other_grid.id
    db.session.commit()
    assert call(client, "POST", f"/tasks/{outside_task.id}/complete", token, f.TRIAGE_L1).status_code == 404
    assert call(client, "POST", "/tasks/999999/complete", token, f.TRIAGE_L1).status_code == 404


def test_completing_a_task_with_bad_json_is_400(client, world, clock, token):
    task = _police_task(world, client, token)
    response = call(client, "POST", f"/tasks/{task.id}/complete", token, raw="{")
    assert response.status_code == 400 and f.current_task(task.case).id == task.id


# --- pushes ----------------------------------------------------------------------------------

def test_pushed_cases_in_scope_are_polled_with_a_cursor(client, world, clock, token):
    number = hand_off(client, token).json["case_number"]
    handoffs.push_case_to_police(world["dispatcher"], number, "当事人扬言报复，需公安介入")
    walk_in = f.open_case(world, title="另一起")
    handoffs.push_case_to_police(world["dispatcher"], walk_in.number, "涉嫌违法")
    outside = f.open_case(world, title="外镇")
    outside.grid_id = world.other_grid.id
    db.session.commit()
    handoffs.push_case_to_police(world.others["dispatcher"], outside.number, "不在本警格")

    body = call(client, "GET", "/pushes", token).json
    assert [(p["case_number"], p["incident_number"]) for p in body["pushes"]] == [
        (number, "110-20261124-0001"), (walk_in.number, None)]
    assert body["pushes"][0]["reason"] == "当事人扬言报复，需公安介入"
    after = call(client, "GET", f"/pushes?after={body['pushes'][0]['id']}", token).json
    assert [p["case_number"] for p in after["pushes"]] == [walk_in.number]
    assert call(client, "GET", f"/pushes?after={body['next_after']}", token).json["pushes"] == []
    assert call(client, "GET", "/pushes?after=-1", token).status_code == 400


def test_the_api_is_exempt_from_csrf_while_pages_are_not(app, client, world, clock, token):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert hand_off(client, token).status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_api_links_are_built_on_the_public_base_url_not_on_a_forged_host(app, client, clock, token):
    response = call(client, "POST", "/handoffs", token, HANDOFF, headers={"Host": "evil.example"})
    number = response.json["case_number"]
    assert response.json["url"] == f"https://jiefen.example.gov.cn/api/v1/cases/{number}"
    assert response.json["page_url"] == f"https://jiefen.example.gov.cn/cases/{number}"
    tasks = call(client, "GET", "/tasks", token, headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in tasks
    configured = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = ""
    try:  # without a public address: paths, relative to the server the caller reached
        again = call(client, "POST", "/handoffs", token, HANDOFF, headers={"Host": "evil.example"})
        assert again.json["url"] == f"/api/v1/cases/{number}"
    finally:
        app.config["PUBLIC_BASE_URL"] = configured

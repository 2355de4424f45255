"""The OpenAPI document matches the code: every route documented, every documented route real, fields
taken from the forms the API validates with, and the document valid OpenAPI 3."""
import json
import re

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from app.extensions import db
from app.models import DisputeCase, Handoff
from app.services.intake import handoffs as handoff_service
from app.services.intake.api_tokens import create_token
from forms.handoffs import HandoffForm
from forms.tasks import TASK_FORMS
from tests import factories as f
from tests.integration.test_api import HANDOFF

pytestmark = pytest.mark.sqlite  # the OpenAPI document against the routes and forms

METHODS = {"get", "post", "put", "patch", "delete"}
DOCUMENT_URI = "urn:jiefen:openapi"


def _document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


def test_the_document_is_valid_openapi_3(client, world):
    validate(_document(client))


def test_every_api_route_is_documented_and_every_documented_route_exists(app, client, world):
    documented = {(path, method.upper()) for path, item in _document(client)["paths"].items()
                  for method in item if method in METHODS}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routed |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed == documented


def test_request_bodies_are_the_forms_fields(app, client, world):
    schemas = _document(client)["components"]["schemas"]
    with app.test_request_context():
        handoff = HandoffForm(formdata=None, meta={"csrf": False})
        assert set(schemas["HandoffRequest"]["properties"]) == set(handoff._fields) - {"csrf_token"}
        assert schemas["HandoffRequest"]["required"] == ["incident_number", "title"]
        assert set(schemas["HandoffRequest"]["properties"]["parties"]["items"]["properties"]) == {
            "name", "role", "phone"}
        for key, form_class in TASK_FORMS.items():
            form = form_class(formdata=None, meta={"csrf": False})
            assert set(schemas[f"TaskForm_{key}"]["properties"]) == set(form._fields) - {"csrf_token"}, key
    assert schemas["TaskForm_triage"]["properties"]["tier"] == {
        "description": "分流层级：1=一级：现场调解；2=二级：调解室调解；3=三级：三长会商",
        "type": "integer", "enum": [1, 2, 3]}
    assert schemas["TaskForm_judicial_confirmation"]["properties"]["applied_on"]["format"] == "date"
    assert schemas["HandoffRequest"]["properties"]["reported_at"]["format"] == "date-time"


# --- every answer of every operation, checked against the document ---------------------------------------

def _conformance_checker(document: dict):
    """check(operation_id, response): the response's status is documented for the operation and its body
    validates against that status's schema (OpenAPI 3.0 dialect: nullable; $refs into the document)."""
    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT4))
    operations = {operation["operationId"]: (path, method, operation)
                  for path, item in document["paths"].items() for method, operation in item.items()}
    seen: set[tuple[str, str]] = set()

    def check(operation_id: str, response):
        _path, _method, operation = operations[operation_id]
        status = str(response.status_code)
        assert status in operation["responses"], (operation_id, status, response.get_data(as_text=True))
        content = operation["responses"][status].get("content", {})
        assert response.mimetype in content, (operation_id, status, response.mimetype)
        pointer = "/".join(part.replace("~", "~0").replace("/", "~1")
                           for part in ("paths", _path, _method, "responses", status, "content", response.mimetype,
                                        "schema"))
        schema = {"$ref": f"{DOCUMENT_URI}#/{pointer}"}  # inside the document, so its own $refs resolve
        errors = [f"{list(error.absolute_path)}: {error.message}" for error in OAS30Validator(
            schema, registry=registry, format_checker=oas30_format_checker).iter_errors(response.json)]
        assert errors == [], (operation_id, status, response.json)
        if status == "401":
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="jiefen"'
        seen.add((operation_id, status))
        return response

    documented = {(operation["operationId"], status) for _path, _method, operation in operations.values()
                  for status in operation["responses"]}
    return check, seen, documented


def test_every_documented_answer_of_every_operation_is_given_and_matches_its_schema(app, client, world, clock,
                                                                                   monkeypatch):
    """Each operation is driven through its success and every documented error: each answer must be one
    the operation documents, with a body its schema accepts, and every documented status must be reached."""
    check, seen, documented = _conformance_checker(_document(client))
    check("getOpenapi", client.get("/api/v1/openapi.json"))
    token = create_token("police-110", "第一警格").token
    auth = {"Authorization": f"Bearer {token}"}
    oversized = json.dumps({"description": "很" * (app.config["API_MAX_BODY_BYTES"] // 3 + 1)})

    def api(operation_id, method, path, body=None, raw=None, headers=auth):
        if raw is not None:
            response = client.open(f"/api/v1{path}", method=method, data=raw, headers=headers,
                                   content_type="application/json")
        else:
            response = client.open(f"/api/v1{path}", method=method, json=body, headers=headers)
        return check(operation_id, response)

    # Hand-offs: created, replayed, and each refusal.
    created = api("createHandoff", "POST", "/handoffs", HANDOFF)
    assert created.status_code == 201
    number = created.json["case_number"]
    assert api("createHandoff", "POST", "/handoffs", HANDOFF).status_code == 200
    assert api("createHandoff", "POST", "/handoffs", raw="{not json").status_code == 400
    assert api("createHandoff", "POST", "/handoffs", HANDOFF, headers={}).status_code == 401
    assert api("createHandoff", "POST", "/handoffs",
               {**HANDOFF, "incident_number": "110-2", "address": "致和街5号"}).status_code == 403
    assert api("createHandoff", "POST", "/handoffs", raw=oversized).status_code == 413
    assert api("createHandoff", "POST", "/handoffs", {**HANDOFF, "title": ""}).status_code == 422
    assert api("createHandoff", "POST", "/handoffs",
               {**HANDOFF, "incident_number": "110-3", "unknown": 1}).json["fields"] == {"unknown": ["未知字段。"]}

    # Another channel hands the same incident off between this one's look-up and its insert: 409.
    resolve_place = handoff_service._resolve_place
    earlier = db.session.scalar(select(DisputeCase).where(DisputeCase.number == number))

    def racing(incoming):
        db.session.add(Handoff(case_id=f.open_case(world, actor_role="police_officer").id, system="police-122",
                               incident_number=incoming.incident_number.strip(), received_at=earlier.opened_at))
        return resolve_place(incoming)

    monkeypatch.setattr(handoff_service, "_resolve_place", racing)
    assert api("createHandoff", "POST", "/handoffs", {**HANDOFF, "incident_number": "110-4"}).status_code == 409
    monkeypatch.setattr(handoff_service, "_resolve_place", resolve_place)

    # Cases.
    assert api("getCase", "GET", f"/cases/{number}").status_code == 200
    assert api("getCase", "GET", "/cases/JF-2026-999999").status_code == 404
    assert api("getCase", "GET", f"/cases/{number}", headers={"Authorization": "Bearer jf_unknown"}).status_code == 401

    # Tasks: the triage task is not the police's (403); the violence-risk one is.
    triage = f.current_task(earlier)
    assert api("completeTask", "POST", f"/tasks/{triage.id}/complete", f.TRIAGE_L1).status_code == 403
    assert api("listTasks", "GET", "/tasks").json["total"] == 0
    f.step(world, earlier, "triage_case", f.TRIAGE_RISK)
    police = f.current_task(earlier)
    listed = api("listTasks", "GET", "/tasks")
    assert [task["id"] for task in listed.json["tasks"]] == [police.id]
    assert api("listTasks", "GET", "/tasks?page=x").status_code == 400
    assert api("listTasks", "GET", "/tasks", headers={}).status_code == 401
    complete = f"/tasks/{police.id}/complete"
    assert api("completeTask", "POST", complete, raw="{").status_code == 400
    assert api("completeTask", "POST", complete, f.POLICE_RETURNED, headers={"Authorization": "Basic abc"}).status_code == 401
    assert api("completeTask", "POST", "/tasks/999999/complete", f.POLICE_RETURNED).status_code == 404
    assert api("completeTask", "POST", complete, raw=oversized).status_code == 413
    assert api("completeTask", "POST", complete, {"result": "taken_over"}).status_code == 422
    assert api("completeTask", "POST", complete, f.POLICE_RETURNED).status_code == 200
    assert api("completeTask", "POST", complete, f.POLICE_RETURNED).status_code == 409

    # Pushes.
    handoff_service.push_case_to_police(world["dispatcher"], number, "当事人扬言报复，需公安介入")
    assert api("listPushes", "GET", "/pushes").json["pushes"][0]["case_number"] == number
    assert api("listPushes", "GET", "/pushes?after=-1").status_code == 400
    assert api("listPushes", "GET", "/pushes", headers={}).status_code == 401

    assert documented - seen == set(), "documented answers no test reached"

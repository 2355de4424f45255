"""The OpenAPI document matches the code: every route documented, every documented route real, fields
taken from the forms the API validates with, and the document valid OpenAPI 3."""
import re

from openapi_spec_validator import validate

from forms.handoffs import HandoffForm
from forms.tasks import TASK_FORMS

METHODS = {"get", "post", "put", "patch", "delete"}


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

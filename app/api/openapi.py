"""The OpenAPI 3 document of /api/v1, built from the same WTForms classes the API validates with,
so a field added to a form appears here without anyone remembering to. Its texts follow the
request's language (Accept-Language), like the API's error messages and the forms' labels."""
from typing import Any

from flask_babel import gettext as _
from wtforms import (
    BooleanField,
    DateField,
    DateTimeField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from app.models.trail import TrailEventType
from forms.handoffs import HandoffForm, PushForm
from forms.tasks import TASK_FORMS

NOT_DATA = {"csrf_token", "submit"}
# The `error` of an error body, by status (routes.error_response); the document lists them.
ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "bad_request",
               422: "invalid_input", 429: "too_many_requests", 500: "internal_error"}


def form_schema(form) -> dict:
    """A JSON schema (OpenAPI 3.0 dialect) for the JSON body a form accepts."""
    properties, required = {}, []
    for name, field in form._fields.items():
        if name in NOT_DATA:
            continue
        properties[name] = field_schema(field)
        if any(isinstance(v, (DataRequired, InputRequired)) for v in field.validators):
            required.append(name)
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def field_schema(field) -> dict:
    schema: dict = {"description": str(field.label.text)}
    if isinstance(field, FieldList):
        entry = field.entries[0] if field.entries else field.append_entry()
        item_form = entry.form if isinstance(entry, FormField) else None
        schema.update(type="array", items=form_schema(item_form) if item_form else {"type": "string"})
        if field.max_entries:
            schema["maxItems"] = field.max_entries
        return schema
    if isinstance(field, BooleanField):
        schema["type"] = "boolean"
    elif isinstance(field, IntegerField):
        schema["type"] = "integer"
    elif isinstance(field, DateField):  # before DateTimeField, its base class
        schema.update(type="string", format="date")
    elif isinstance(field, DateTimeField):
        schema.update(type="string", format="date-time")
        schema["description"] += _("（ISO 8601；不带时区时按显示时区）")
    elif isinstance(field, SelectMultipleField):  # before SelectField, its base class
        integer = field.coerce is int
        schema.update(type="array", items={"type": "integer" if integer else "string"})
        labels = _("；").join(f"{value}={label}" for value, label in _choice_pairs(field))
        if labels:
            schema["description"] = _("%(label)s：%(choices)s", label=schema["description"], choices=labels)
    elif isinstance(field, SelectField):
        values = [value for value, _label in _choice_pairs(field)]
        integer = field.coerce is int
        schema.update(type="integer" if integer else "string",
                      enum=[int(v) for v in values] if integer else [str(v) for v in values])
        labels = _("；").join(f"{value}={label}" for value, label in _choice_pairs(field) if value != "")
        if labels:
            schema["description"] = _("%(label)s：%(choices)s", label=schema["description"], choices=labels)
    else:
        schema["type"] = "string"
    for validator in field.validators:
        if isinstance(validator, Length) and validator.max and validator.max > 0:
            schema["maxLength"] = validator.max
        elif isinstance(validator, Regexp):
            schema["pattern"] = validator.regex.pattern
        elif isinstance(validator, NumberRange) and validator.min is not None:
            schema["minimum"] = validator.min
    return schema


def _choice_pairs(field: SelectField) -> list[tuple[Any, Any]]:
    """A select field's (value, label) pairs: our forms give their choices as a list of them."""
    if not isinstance(field.choices, (list, tuple)):
        raise TypeError(f"{field.name}: the choices must be a list of (value, label) pairs")
    return [(choice[0], choice[1]) for choice in field.choices]


def _closed(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """A response object: every property but the `optional` ones always sent (null where nullable), no other."""
    return {"type": "object", "properties": properties, "additionalProperties": False,
            "required": [name for name in properties if name not in optional]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"description": description, **_json(_ref("Error"))}


def _errors(*codes: str) -> dict:
    errors = {
        "400": _("请求体不是有效的 JSON 对象"),
        "401": _("缺少、未知或已吊销的令牌"),
        "403": _("服务账号的角色不允许此操作"),
        "404": _("不存在或不在本系统的网格范围内"),
        "409": _("任务已办理或并发修改"),
        "413": _("请求体过大"),
        "422": _("字段校验失败，见 fields"),
    }
    return {code: _error(errors[code]) for code in codes}


def build_document() -> dict:
    """The whole document; needs an application context (the forms read category choices)."""
    meta = {"csrf": False}
    task_schemas = {f"TaskForm_{key}": form_schema(form_class(formdata=None, meta=meta))
                    for key, form_class in sorted(TASK_FORMS.items())}
    push_reason = field_schema(PushForm(formdata=None, meta=meta).reason)
    task = _closed({
            "id": {"type": "integer"}, "name": {"type": "string"}, "bpmn_id": {"type": "string"},
            "form_key": {"type": "string", "enum": sorted(TASK_FORMS),
                         "description": _("请求体格式见同名 TaskForm_<form_key>")},
            "roles": {"type": "array", "items": {"type": "string"}}, "tier": {"type": "integer", "nullable": True},
            "state": {"type": "string", "enum": ["ready", "completed", "cancelled"]},
            "case_number": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
            "due_at": {"type": "string", "format": "date-time", "nullable": True},
            "complete_url": {"type": "string", "format": "uri-reference"},
    })
    datetime_or_null = {"type": "string", "format": "date-time", "nullable": True}
    schemas = {
        "Error": _closed({
            "error": {"type": "string", "enum": sorted({*ERROR_CODES.values(), "error"})}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                       "description": _("字段名 → 错误信息（422）")},
            "request_id": {"type": "string", "description": _("服务器内部错误的请求编号（500）")},
        }, optional=("fields", "request_id")),
        "HandoffRequest": form_schema(HandoffForm(formdata=None, meta=meta)),
        "HandoffResponse": _closed({
            "case_number": {"type": "string"}, "created": {"type": "boolean"},
            "status": {"type": "string"}, "url": {"type": "string", "format": "uri-reference"},
            "page_url": {"type": "string", "format": "uri-reference"},
        }),
        "Push": _closed({
            "id": {"type": "integer"}, "case_number": {"type": "string"}, "title": {"type": "string"},
            "grid_code": {"type": "string"}, "police_grid": {"type": "string"}, "reason": push_reason,
            "pushed_at": {"type": "string", "format": "date-time"},
            "incident_number": {"type": "string", "nullable": True},
        }),
        "Task": task,
        "Case": _closed({
            "number": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "string"},
            "outcome": {"type": "string", "nullable": True}, "tier": {"type": "integer", "nullable": True},
            "card": {"type": "string"}, "violence_risk": {"type": "boolean"}, "source": {"type": "string"},
            "category": {"type": "string", "nullable": True}, "grid_code": {"type": "string"},
            "address": {"type": "string"}, "opened_at": {"type": "string", "format": "date-time"},
            "closed_at": datetime_or_null,
            "current_tasks": {"type": "array", "items": _ref("Task")},
            "trail": {"type": "array", "items": _closed({
                "seq": {"type": "integer"}, "event": {"type": "string", "enum": [event.value for event in TrailEventType]},
                "occurred_at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                "task": {"type": "string", "nullable": True},
            })},
        }),
        **task_schemas,
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("解纷 Jiefen API"), "version": "1.0.0",
            "description": _("公安系统移交非警务警情、查询案件与任务、办理任务、接收推送。"
                             "每个系统一个令牌（flask --app wsgi create-token），调用以该系统的服务账号身份进行，"
                             "只能看到和办理其网格内的案件。"),
        },
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
        "security": [{"bearerAuth": []}],
        "paths": {
            "/openapi.json": {"get": {
                "summary": _("本文档"), "operationId": "getOpenapi", "security": [],
                "responses": {"200": {"description": _("OpenAPI 3 文档"), **_json({"type": "object"})}},
            }},
            "/handoffs": {"post": {
                "summary": _("移交非警务警情"),
                "description": _("按 incident_number 幂等（同一公安机关的所有渠道，含移交页面）：重复提交返回首次登记的案件，状态 200，不再新建。"),
                "operationId": "createHandoff",
                "requestBody": {"required": True, **_json(_ref("HandoffRequest"))},
                "responses": {
                    "201": {"description": _("案件已登记"), **_json(_ref("HandoffResponse"))},
                    "200": {"description": _("重复提交，返回已有案件"), **_json(_ref("HandoffResponse"))},
                    **_errors("400", "401", "403", "409", "413", "422"),
                },
            }},
            "/pushes": {"get": {
                "summary": _("调解推送公安的案件"),
                "description": _("按 id 递增；用上次返回的 next_after 作为 after 轮询。"),
                "operationId": "listPushes",
                "parameters": [
                    {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}},
                ],
                "responses": {
                    "200": {"description": _("推送列表"), **_json(_closed({
                        "pushes": {"type": "array", "items": _ref("Push")}, "next_after": {"type": "integer"},
                    }))},
                    **_errors("400", "401"),
                },
            }},
            "/cases/{number}": {"get": {
                "summary": _("案件概况"), "operationId": "getCase",
                "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": _("案件概况"), **_json(_ref("Case"))}, **_errors("401", "404")},
            }},
            "/tasks": {"get": {
                "summary": _("本系统可办理的任务"), "operationId": "listTasks",
                "description": _("按时限排序，分页。"),
                "parameters": [{"name": "page", "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "default": 1}}],
                "responses": {
                    "200": {"description": _("任务列表"), **_json(_closed({
                        "tasks": {"type": "array", "items": _ref("Task")}, "page": {"type": "integer"},
                        "pages": {"type": "integer"}, "total": {"type": "integer"}}))},
                    **_errors("400", "401"),
                },
            }},
            "/tasks/{task_id}/complete": {"post": {
                "summary": _("办理任务"),
                "description": _("请求体为该任务 form_key 对应的 TaskForm_<form_key>，校验与页面表单相同。"),
                "operationId": "completeTask",
                "parameters": [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "requestBody": {"required": True, **_json({"oneOf": [_ref(name) for name in task_schemas]})},
                "responses": {
                    "200": {"description": _("已办结"), **_json(_closed({
                        "task": _ref("Task"), "case_url": {"type": "string", "format": "uri-reference"}}))},
                    **_errors("400", "401", "403", "404", "409", "413", "422"),
                },
            }},
        },
    }

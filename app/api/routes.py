"""API views: authenticate the token, validate with the pages' WTForms forms, call one service, answer JSON.

Errors are JSON `{"error": code, "message": 中文说明, "fields": {field: [messages]}}` with the status:
400 bad JSON, 401 missing/unknown/revoked token, 403 role, 404 not found or outside the caller's grids,
409 a task already done or a concurrent change, 413 body too large, 422 invalid fields.
"""
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_httpauth import HTTPTokenAuth
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType

from app.api.openapi import ERROR_CODES, build_document
from app.input_guard import RefusedInputError, query_int
from app.links import external_url
from app.services.cases import registry as case_service
from app.services.cases import tasks as task_service
from app.services.cases.lists import ListFilter
from app.services.errors import JiefenError
from app.services.intake import api_tokens
from app.services.intake import handoffs as handoff_service
from forms import task_form_class
from forms.handoffs import HandoffForm
from forms.json import JsonShapeError, json_to_formdata

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Every route but the public ones needs a live token (`authenticate`); the caller is `token_auth.current_user()`.
token_auth = HTTPTokenAuth(scheme="Bearer", realm="jiefen")
PUBLIC_ENDPOINTS = {"api.openapi"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


def error_response(status: int, message: str, fields: dict | None = None, request_id: str | None = None):
    # Messages may be lazy (form labels and validators): JSON gets them as text in the request's language.
    body: dict[str, Any] = {"error": ERROR_CODES.get(status, "error"), "message": str(message)}
    if fields:
        body["fields"] = {name: [str(text) for text in texts] for name, texts in fields.items()}
    if request_id:
        body["request_id"] = request_id
    response = jsonify(body)
    response.status_code = status
    return response


@token_auth.verify_token
def verify_token(token: str) -> api_tokens.ApiCaller | None:
    """The caller behind a live token (Flask-HTTPAuth passes the token of `Authorization: Bearer <token>`)."""
    return api_tokens.authenticate_token(token.strip())


@token_auth.error_handler
def token_error(status: int):
    """401 for a missing, malformed, unknown or revoked token (Flask-HTTPAuth adds WWW-Authenticate: Bearer)."""
    return error_response(status, _("缺少或无效的 API 令牌（Authorization: Bearer <token>）。"))


@bp.before_request
def authenticate():
    """The token is checked here, before input_guard reads the body, and for every route by default
    (a new route is not public by forgetting a decorator)."""
    request.max_content_length = current_app.config["API_MAX_BODY_BYTES"]
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return _require_token()


# Flask-HTTPAuth's check around a view that answers None: None (go on to the view) or the 401 response.
_require_token = token_auth.login_required(lambda: None)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error.status, error.message, error.fields)


@bp.errorhandler(JiefenError)
def domain_error(error: JiefenError):
    return error_response(error.status_code, error.message, getattr(error, "field_errors", None))


# By code, not only by class: the app's own handlers for a code (HTML pages) would win otherwise.
@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(405)
@bp.errorhandler(413)
@bp.errorhandler(415)
@bp.errorhandler(429)
@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    messages = {413: _("请求体过大（上限 %(value)s 字节）。", value=current_app.config['API_MAX_BODY_BYTES']),
                404: _("没有找到。"), 405: _("不支持该请求方法。"),
                415: _("请求体须为 JSON（Content-Type: application/json）。"), 429: _("请求过于频繁，请稍后再试。")}
    if isinstance(error, RefusedInputError):
        return error_response(400, error.description)
    status = error.code or 500
    response = error_response(status, messages.get(status, _("请求有误。")))
    if "Allow" in dict(error.get_headers()):  # 405 names the methods the route takes
        response.headers["Allow"] = dict(error.get_headers())["Allow"]
    return response


@bp.get("/openapi.json")
def openapi():
    """Built once per language in each worker: it changes only with the code (the forms) and the
    categories, which migrations seed."""
    documents = current_app.extensions.setdefault("jiefen_openapi", {})
    locale = str(get_locale())
    if locale not in documents:
        documents[locale] = current_app.json.dumps(build_document())
    return current_app.response_class(documents[locale], mimetype="application/json")


@bp.post("/handoffs")
def create_handoff():
    caller = token_auth.current_user()
    form = _form_from_json(HandoffForm)
    result = handoff_service.hand_off_case(caller.user, form.to_handoff(caller.system))
    case = result.case
    return jsonify({
        "case_number": case.number,
        "created": result.created,
        "status": case.status,
        "url": external_url("api.show_case", number=case.number),
        "page_url": external_url("cases.show", number=case.number),
    }), 201 if result.created else 200


@bp.get("/pushes")
def list_pushes():
    after = query_int(request.args, "after", default=0, minimum=0)
    limit = query_int(request.args, "limit", default=100, maximum=500)
    pushes = handoff_service.list_pushes(token_auth.current_user().user, after_id=after, limit=limit)
    return jsonify({
        "pushes": [{
            "id": push.id, "case_number": push.case_number, "title": push.title, "grid_code": push.grid_code,
            "police_grid": push.police_grid, "reason": push.reason, "pushed_at": _iso(push.pushed_at),
            "incident_number": push.incident_number,
        } for push in pushes],
        "next_after": pushes[-1].id if pushes else after,
    })


@bp.get("/cases/<number>")
def show_case(number: str):
    view = case_service.get_case(token_auth.current_user().user, number)
    case = view.case
    return jsonify({
        "number": case.number, "title": case.title, "status": case.status, "outcome": case.outcome,
        "tier": case.tier, "card": case.card, "violence_risk": case.violence_risk, "source": case.source,
        "category": case.category.code if case.category else None, "grid_code": case.grid.code,
        "address": case.address_text, "opened_at": _iso(case.opened_at), "closed_at": _iso(case.closed_at),
        "current_tasks": [_task_json(task) for task in view.open_tasks],
        "trail": [{"seq": entry.seq, "event": entry.event, "occurred_at": _iso(entry.occurred_at),
                   "actor": entry.actor_name, "task": entry.data.get("task")} for entry in view.trail],
    })


@bp.get("/tasks")
def list_tasks():
    page_number = query_int(request.args, "page", default=1)
    page = task_service.list_my_tasks(token_auth.current_user().user, ListFilter(sort="due", page=page_number))
    return jsonify({"tasks": [_task_json(task) for task in page.items], "page": page.page, "pages": page.pages or 1,
                    "total": page.total})


@bp.post("/tasks/<int:task_id>/complete")
def complete_task(task_id: int):
    actor = token_auth.current_user().user
    task = task_service.get_task(actor, task_id)
    if task.state != "ready":
        raise ApiError(409, _("该任务已办理或已不在当前环节。"))
    if not task_service.can_do_task(actor, task):
        raise ApiError(403, _("“%(task)s”不能由本系统办理。", task=task.name))
    try:
        form_class = task_form_class(task.form_key)
    except LookupError as error:
        raise ApiError(500, str(error)) from None
    form = _form_from_json(form_class)
    done = task_service.submit_task(actor, task.id, form.to_data())
    return jsonify({"task": _task_json(done),
                    "case_url": external_url("api.show_case", number=done.case.number)})


def _form_from_json(form_class):
    """The page's form, filled from the JSON body and validated; refuses bad JSON (400) and bad fields (422)."""
    try:
        payload = request.get_json()
    except UnsupportedMediaType:
        raise ApiError(400, _("请求体须为 JSON（Content-Type: application/json）。")) from None
    except RefusedInputError as error:
        raise ApiError(400, error.description) from None
    except BadRequest:
        raise ApiError(400, _("请求体不是有效的 JSON。")) from None
    if not isinstance(payload, dict):
        raise ApiError(400, _("请求体须为 JSON 对象。"))
    try:
        formdata = json_to_formdata(payload)
    except JsonShapeError as error:
        raise ApiError(400, str(error)) from None
    form = form_class(formdata=formdata, meta={"csrf": False})
    unknown = sorted(set(payload) - set(form._fields) | ({"csrf_token"} & set(payload)))
    if unknown:
        raise ApiError(422, _("存在未知字段。"), {name: [_("未知字段。")] for name in unknown})
    if not form.validate():
        raise ApiError(422, _("提交的数据有误。"), _form_errors(form))
    return form


def _form_errors(form) -> dict:
    """Field errors; a list field's entries are named like their form data: `parties-0-name`."""
    errors: dict[str, list[str]] = {}
    for name, field in form._fields.items():
        items = field.errors.items() if isinstance(field.errors, dict) else enumerate(field.errors)
        for key, item in items:
            if isinstance(item, dict):
                for sub_name, messages in item.items():
                    errors[f"{name}-{key}-{sub_name}"] = list(messages)
            elif isinstance(item, (list, tuple)):
                errors[f"{name}-{key}"] = list(item)
            else:
                errors.setdefault(name, []).append(item)
    return errors


def _task_json(task) -> dict:
    return {
        "id": task.id, "name": task.name, "bpmn_id": task.bpmn_id, "form_key": task.form_key,
        "roles": task.roles, "tier": task.tier, "state": task.state, "case_number": task.case.number,
        "created_at": _iso(task.created_at), "due_at": _iso(task.due_at),
        "complete_url": external_url("api.complete_task", task_id=task.id),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

from dataclasses import asdict
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.input_guard import parse_int, query_int
from app.models import ROLE_LABELS
from app.services.design import designs
from app.services.errors import ConfirmationRequiredError, DefinitionInvalidError, JiefenError, ProcessError
from app.services.people import access
from forms.base import join_messages
from forms.tasks import TASK_FORMS

bp = Blueprint("designer", __name__)

# A posted diagram may be this large (the JSON around it adds a little).
MAX_POST_BYTES = designs.MAX_DRAFT_BYTES + 64 * 1024


def _error_json(error: JiefenError):
    body: dict[str, Any] = {"message": error.message}
    if isinstance(error, DefinitionInvalidError):
        body["problems"] = [asdict(problem) for problem in error.problems]
    if isinstance(error, ConfirmationRequiredError):
        replacement = error.subject
        body["confirmation"] = {
            "from_version": replacement.from_version,
            "checksum": replacement.checksum,
            "consequences": list(replacement.consequences),
            **asdict(replacement.diff),
        }
    return jsonify(body), error.status_code


def _posted() -> dict:
    if request.content_length is None or request.content_length > MAX_POST_BYTES:
        abort(413)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
        abort(400)
    return body


def _posted_xml() -> str:
    return _posted()["xml"]


def _ids(texts: list[str]) -> list[int]:
    """The ids among posted values (a value that is no id is dropped)."""
    return [number for number in map(parse_int, texts) if number is not None]


@bp.errorhandler(413)
def too_large(error):
    return jsonify({"message": _("流程图超过 %(value)s KB 上限。", value=designs.MAX_DRAFT_BYTES // 1024)}), 413


@bp.get("/designer/")
@login_required
def index():
    return render_template("designer/index.html", processes=designs.list_processes(current_user))


@bp.post("/designer/new")
@login_required
def new():
    key = (request.form.get("key") or "").strip()
    try:
        designs.open_design(current_user, key)
    except JiefenError as error:
        flash(error.message, "error")
        return redirect(url_for("designer.index"))
    return redirect(url_for("designer.edit", key=key))


@bp.get("/designer/<key>/edit")
@login_required
def edit(key: str):
    design = designs.open_design(current_user, key, query_int(request.args, "version"))
    return render_template("designer/edit.html", design=design, form_keys=sorted(TASK_FORMS),
                           roles=ROLE_LABELS, max_bytes=designs.MAX_DRAFT_BYTES)


@bp.post("/designer/<key>/draft")
@login_required
def save_draft(key: str):
    try:
        draft = designs.save_draft(current_user, key, _posted_xml())
    except JiefenError as error:
        return _error_json(error)
    return jsonify({"saved_at": draft.saved_at.isoformat()})


@bp.post("/designer/<key>/import")
@login_required
def import_file(key: str):
    try:
        draft = designs.import_draft(current_user, key, _posted_xml())
    except JiefenError as error:
        return _error_json(error)
    return jsonify({"saved_at": draft.saved_at.isoformat(), "xml": draft.bpmn_xml})


@bp.post("/designer/<key>/deploy")
@login_required
def deploy(key: str):
    body = _posted()
    confirmed = body.get("confirm") if isinstance(body.get("confirm"), str) else None
    try:
        outcome = designs.deploy_design(current_user, key, body["xml"], TASK_FORMS, confirmed)
    except JiefenError as error:
        return _error_json(error)
    return jsonify({"key": outcome.key, "version": outcome.version, "created": outcome.created,
                    "url": url_for("designer.show", key=outcome.key)})


@bp.get("/designer/<key>/")
@login_required
def show(key: str):
    view = designs.get_process(current_user, key)
    return render_template("designer/show.html", view=view, can_design=access.can_design(current_user))


@bp.get("/designer/<key>/heatmap.json")
@login_required
def heatmap(key: str):
    try:
        xml, loads = designs.count_open_work(current_user, key)
    except JiefenError as error:
        return _error_json(error)
    return jsonify({"xml": xml, "counts": [asdict(load) for load in loads]})


@bp.get("/designer/<key>/v<int:version>.bpmn")
@login_required
def version_xml(key: str, version: int):
    xml = designs.get_version_xml(current_user, key, version)
    return xml, 200, {"Content-Type": "application/xml; charset=utf-8",
                      "Content-Disposition": f'attachment; filename="{key}-v{version}.bpmn"'}


@bp.get("/designer/<key>/diff")
@login_required
def diff(key: str):
    old, new = query_int(request.args, "old"), query_int(request.args, "new")
    if old is None or new is None:
        abort(400)
    changes = designs.diff_versions(current_user, key, old, new)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(asdict(changes))
    return render_template("designer/diff.html", key=key, old=old, new=new, diff=changes)


@bp.post("/designer/<key>/v<int:version>/rollback")
@login_required
def roll_back(key: str, version: int):
    try:
        outcome = designs.roll_back(current_user, key, version, TASK_FORMS)
    except DefinitionInvalidError as error:
        flash(error.message + " " + join_messages(p.message for p in error.problems), "error")
    except JiefenError as error:
        if error.status_code == 403:
            raise
        flash(error.message, "error")
    else:
        flash(_("已将 v%(version)s 重新部署为 v%(version2)s。", version=version, version2=outcome.version) if outcome.created
              else _("v%(version)s 与最新版本相同，未部署新版本。", version=version), "success")
    return redirect(url_for("designer.show", key=key))


@bp.route("/designer/<key>/v<int:version>/migrate", methods=["GET", "POST"])
@login_required
def migrate(key: str, version: int):
    results: list[tuple[str, str | None]] = []
    if request.method == "POST":
        numbers = {c.case_id: c.number for c in designs.list_migration_candidates(current_user, key, version)[1]}
        target = query_int(request.form, "to_version", default=version + 1)
        # One transaction per case, like a scheduler job: one case that cannot move does not stop the others.
        for case_id in _ids(request.form.getlist("case_id")):
            try:
                case = designs.migrate_case(current_user, case_id, key, target)
            except ProcessError as error:
                results.append((numbers.get(case_id, str(case_id)), error.message))
            else:
                results.append((case.number, None))
    to_version, candidates = designs.list_migration_candidates(current_user, key, version)
    return render_template("designer/migrate.html", key=key, version=version, to_version=to_version,
                           candidates=candidates, steps=designs.migration_steps(candidates), results=results)


@bp.get("/cases/<number>/diagram")
@login_required
def case_diagram(number: str):
    try:
        diagram = designs.get_case_diagram(current_user, number)
    except JiefenError as error:
        return _error_json(error)
    return jsonify({
        "xml": diagram.bpmn_xml,
        "version": diagram.version,
        "completed": diagram.completed,
        "current": diagram.current,
        "timers": [{"bpmn_id": t.bpmn_id, "name": t.name, "due_at": t.due_at.isoformat()} for t in diagram.timers],
    })

from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.input_guard import parse_int
from app.services.cases import documents as case_documents
from app.services.cases import files as case_files
from app.services.errors import InvalidInputError
from app.views import (
    earlier_submission_or_refusal,
    error_text,
    flash_form_errors,
    submission_made,
    submission_refused,
    uploads,
)
from forms.task_actions import AttachmentForm, CommentForm

bp = Blueprint("casefile", __name__, url_prefix="/cases")


@bp.post("/<number>/comments")
@login_required
def add_comment(number: str):
    if answered := earlier_submission_or_refusal():
        return answered
    form = CommentForm()
    task_id = _task_id(form.task_id.data)
    if not form.validate_on_submit():
        return submission_refused(_("表单有误。"), form.errors) or _refuse_form(form, number, task_id)
    try:
        case_files.add_comment(current_user, number, form.body.data, task_id, request.form.get("client_id"))
    except InvalidInputError as error:
        return submission_refused(error.message, error.field_errors) or _refuse(error, number, task_id)
    return submission_made(_("意见已添加。"), _back_url(number, task_id))


@bp.post("/<number>/attachments")
@login_required
def add_attachment(number: str):
    if answered := earlier_submission_or_refusal():
        return answered
    form = AttachmentForm()
    task_id = _task_id(form.task_id.data)
    if not form.validate_on_submit():
        return submission_refused(_("表单有误。"), form.errors) or _refuse_form(form, number, task_id)
    try:
        attachments = case_files.add_attachments(current_user, number, uploads(form.file.data), task_id,
                                                 request.form.get("client_id"))
    except InvalidInputError as error:
        return submission_refused(error.message, error.field_errors) or _refuse(error, number, task_id)
    names = _("、").join(attachment.filename for attachment in attachments)
    return submission_made(_("附件“%(filename)s”已上传。", filename=names), _back_url(number, task_id))


@bp.get("/<number>/attachments/<int:attachment_id>/thumbnail")
@login_required
def thumbnail(number: str, attachment_id: int):
    file = case_files.get_attachment(current_user, number, attachment_id, thumbnail=True)
    response = Response(file.data, mimetype=file.content_type)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/<number>/attachments/<int:attachment_id>")
@login_required
def download(number: str, attachment_id: int):
    return _stored_file(case_files.get_attachment(current_user, number, attachment_id), "attachment")


@bp.get("/<number>/documents/<int:document_id>")
@login_required
def document(number: str, document_id: int):
    """A generated document (PDF), shown in the browser; its own name is offered on saving."""
    return _stored_file(case_documents.get_document(current_user, number, document_id), "inline")


def _stored_file(file, disposition: str) -> Response:
    """A case's file under its own name, never sniffed into another type nor kept by a shared cache."""
    response = Response(file.data, mimetype=file.content_type)
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(file.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _task_id(value) -> int | None:
    return parse_int(value, minimum=1)


def _back_url(number: str, task_id: int | None) -> str:
    if task_id is not None:
        return url_for("tasks.show", task_id=task_id)
    return url_for("cases.show", number=number) + "#case-file"


def _refuse_form(form, number: str, task_id: int | None):
    flash_form_errors(form)
    return redirect(_back_url(number, task_id))


def _refuse(error: InvalidInputError, number: str, task_id: int | None):
    flash(error_text(error), "error")
    return redirect(_back_url(number, task_id))

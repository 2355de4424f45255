from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.services.cases import documents as case_documents
from app.services.cases import files as case_files
from app.views import flash_form_errors, flash_outcome
from forms.task_actions import AttachmentForm, CommentForm

bp = Blueprint("casefile", __name__, url_prefix="/cases")


@bp.post("/<number>/comments")
@login_required
def add_comment(number: str):
    form = CommentForm()
    task_id = _task_id(form.task_id.data)
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        flash_outcome(lambda: case_files.add_comment(current_user, number, form.body.data, task_id),
                      _("意见已添加。"))
    return _back(number, task_id)


@bp.post("/<number>/attachments")
@login_required
def add_attachment(number: str):
    form = AttachmentForm()
    task_id = _task_id(form.task_id.data)
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        upload = form.file.data
        attachment = flash_outcome(
            lambda: case_files.add_attachment(current_user, number, upload.filename or "", upload.read(), task_id),
            None)
        if attachment is not None:
            flash(_("附件“%(filename)s”已上传。", filename=attachment.filename), "success")
    return _back(number, task_id)


@bp.get("/<number>/attachments/<int:attachment_id>")
@login_required
def download(number: str, attachment_id: int):
    file = case_files.get_attachment(current_user, number, attachment_id)
    response = Response(file.data, mimetype=file.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<number>/documents/<int:document_id>")
@login_required
def document(number: str, document_id: int):
    """A generated document (PDF), shown in the browser; its own name is offered on saving."""
    file = case_documents.get_document(current_user, number, document_id)
    response = Response(file.data, mimetype=file.content_type)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(file.filename)}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _task_id(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _back(number: str, task_id: int | None):
    if task_id is not None:
        return redirect(url_for("tasks.show", task_id=task_id))
    return redirect(url_for("cases.show", number=number) + "#case-file")

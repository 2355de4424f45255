"""What the blueprints share: telling the user how an action went."""
from collections.abc import Callable
from typing import TypeVar

from flask import flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.filters import local_time
from app.services.cases import submissions
from app.services.cases.files import Upload
from app.services.cases.submissions import EarlierSubmission
from app.services.errors import InvalidInputError, JiefenError
from forms.base import join_messages

Result = TypeVar("Result")


def error_text(error: JiefenError) -> str:
    """An error's message followed by its field messages, as one line."""
    details = [message for messages in getattr(error, "field_errors", {}).values() for message in messages]
    return join_messages([error.message, *details])


def flash_outcome(action: Callable[[], Result], success: str | None,
                  refused: tuple[type[JiefenError], ...] = (InvalidInputError,)) -> Result | None:
    """Run a service call; flash `success`, or the reason it was refused (None is returned then)."""
    try:
        result = action()
    except refused as error:
        flash(error_text(error), "error")
        return None
    if success:
        flash(success, "success")
    return result


def flash_form_errors(form) -> None:
    """A small action form that failed validation: its field errors as one message."""
    messages = [message for errors in form.errors.values() for message in errors]
    flash(join_messages(messages) or _("表单有误。"), "error")


# Submissions from a phone's offline queue (app/static/field/app.js) ask for JSON and carry a client id:
# 201 made now, 200 made earlier (a resend changes nothing), 409/422 refused with the reason to show.
def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def submission_made(message: str, url: str) -> ResponseReturnValue:
    """A submission that went through: JSON for the offline queue, else a flash and a redirect."""
    if wants_json():
        return jsonify(status="created", message=message, url=url), 201
    flash(message, "success")
    return redirect(url)


def submission_refused(message: str, field_errors: dict | None = None, status: int = 422) -> ResponseReturnValue | None:
    """JSON for the offline queue (None for a page, which shows the refusal itself)."""
    if not wants_json():
        return None
    return jsonify(status="refused", message=message, errors=field_errors or {}), status


def resent_submission(earlier: EarlierSubmission) -> ResponseReturnValue:
    """The answer to a resend: what the first submission made, and nothing new."""
    url = (url_for("tasks.show", task_id=earlier.object_id) if earlier.kind == "task"
           else url_for("cases.show", number=earlier.case_number))
    message = _("该提交已于 %(time)s 收到，未重复办理。", time=local_time(earlier.created_at))
    if wants_json():
        return jsonify(status="duplicate", message=message, url=url), 200
    flash(message, "info")
    return redirect(url_for("cases.show", number=earlier.case_number))


def uploads(files) -> list[Upload]:
    """The files of a (multiple) file field, read into memory; empty parts (nothing chosen) left out."""
    return [Upload(file.filename or "", file.read()) for file in files or [] if file and file.filename]


def earlier_submission_or_refusal() -> ResponseReturnValue | None:
    """For a POST carrying a client id: the answer to a resend, a refusal of a malformed id, or None."""
    try:
        earlier = submissions.find_submission(current_user, request.form.get("client_id"))
    except InvalidInputError as error:
        refused = submission_refused(error.message, error.field_errors)
        if refused is None:
            flash(error.message, "error")
            return redirect(request.path)
        return refused
    return resent_submission(earlier) if earlier else None

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.input_guard import parse_int
from app.services.cases import catalog, step_records, task_actions
from app.services.cases import documents as case_documents
from app.services.cases import files as case_files
from app.services.cases import tasks as task_service
from app.services.cases.lists import ListFilter
from app.services.errors import (
    ConcurrentUpdateError,
    InvalidInputError,
    ProcessError,
    TaskConflictError,
    TaskNotReadyError,
)
from app.views import (
    earlier_submission_or_refusal,
    flash_form_errors,
    flash_outcome,
    submission_made,
    submission_refused,
)
from forms import task_form_class
from forms.base import show_field_errors
from forms.task_actions import AssignForm, AttachmentForm, ClaimForm, CommentForm, HandBackForm

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
# A claim, assignment or hand-back that lost a race (claimed meanwhile, already done) is told, not raised.
RACES = (TaskConflictError, TaskNotReadyError)


@bp.get("/")
@login_required
def mine():
    wanted = ListFilter.from_args(request.args, default_sort="due")
    return render_template("tasks/mine.html", page=task_service.list_my_tasks(current_user, wanted),
                           wanted=wanted, grids=catalog.grids_for(current_user))


@bp.get("/team")
@login_required
def team():
    wanted = ListFilter.from_args(request.args, default_sort="due")
    return render_template("tasks/team.html", page=task_service.list_team_tasks(current_user, wanted),
                           wanted=wanted, grids=catalog.grids_for(current_user))


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int):
    if request.method == "POST" and (answered := earlier_submission_or_refusal()):
        return answered
    task = task_service.get_task(current_user, task_id)
    try:
        form = task_form_class(task.form_key)()
    except LookupError as error:
        abort(500, str(error))
    form.bind_case(task.case)
    if form.validate_on_submit():
        try:
            task_service.submit_task(current_user, task.id, form.to_data(), request.form.get("client_id"))
        except (InvalidInputError, TaskNotReadyError, ProcessError) as error:
            status = 409 if isinstance(error, TaskNotReadyError) else 422
            if (refused := submission_refused(error.message, getattr(error, "field_errors", {}), status)) is not None:
                return refused
            show_field_errors(form, getattr(error, "field_errors", {}))
            flash(error.message, "error")
            if isinstance(error, TaskNotReadyError):
                return redirect(url_for("cases.show", number=task.case.number))
        except ConcurrentUpdateError:
            return earlier_submission_or_refusal() or abort(409)
        else:
            return submission_made(_("“%(task)s”已办结。", task=task.name),
                                   url_for("cases.show", number=task.case.number))
    elif form.is_submitted():
        if (refused := submission_refused(_("表单有误，请按提示修改。"), form.errors)) is not None:
            return refused
        flash(_("表单有误，请按提示修改。"), "error")
    status = 422 if form.is_submitted() else 200
    assign_form = AssignForm(formdata=None)
    assign_form.set_choices(task_actions.assignable_users(current_user, task))
    return render_template(
        "tasks/show.html", task=task, form=form, can_do=task_service.can_do_task(current_user, task),
        assign_form=assign_form, claim_form=ClaimForm(formdata=None), hand_back_form=HandBackForm(formdata=None),
        comment_form=CommentForm(formdata=None, task_id=task.id),
        attachment_form=AttachmentForm(formdata=None, task_id=task.id),
        case_file=case_files.get_case_file(current_user, task.case_id),
        steps=step_records.completed_steps(task.case), rows=step_records.task_record_rows(task),
        documents=[document for document in case_documents.list_documents(current_user, task.case)
                   if document.task_id == task.id],
    ), status


@bp.post("/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    if ClaimForm().validate_on_submit():
        flash_outcome(lambda: task_actions.claim_task(current_user, task_id), _("已认领该任务。"), RACES)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int):
    if ClaimForm().validate_on_submit():
        flash_outcome(lambda: task_actions.unclaim_task(current_user, task_id), _("已取消认领，任务回到待办组。"),
                      RACES)
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/assign")
@login_required
def assign(task_id: int):
    form = AssignForm()
    form.assignee_id.choices = None  # the service checks the colleague; the form only parses the id
    form.assignee_id.validate_choice = False
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        seen = form.seen_assignee_id.data
        seen_id = parse_int(seen)
        seen_assignee = seen_id if seen_id is not None else (None if seen == "" else task_actions.ANY)
        task = flash_outcome(
            lambda: task_actions.assign_task(current_user, task_id, form.assignee_id.data, seen_assignee), None, RACES)
        if task is not None:
            flash(_("已转派给%(assignee)s。", assignee=task.assignee.display_name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/hand-back")
@login_required
def hand_back(task_id: int):
    form = HandBackForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        flash_outcome(lambda: task_actions.hand_back_task(current_user, task_id, form.reason.data or ""),
                      _("任务已退回待办组。"), RACES)
    return redirect(url_for("tasks.show", task_id=task_id))

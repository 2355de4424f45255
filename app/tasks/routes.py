from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.services import tasks as task_service
from app.services.errors import InvalidInputError, ProcessError, TaskNotReadyError
from forms import task_form_class
from forms.base import show_field_errors

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/")
@login_required
def mine():
    return render_template("tasks/mine.html", tasks=task_service.list_my_tasks(current_user))


@bp.get("/team")
@login_required
def team():
    return render_template("tasks/team.html", tasks=task_service.list_team_tasks(current_user))


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def show(task_id: int):
    task = task_service.get_task(current_user, task_id)
    try:
        form = task_form_class(task.form_key)()
    except LookupError as error:
        abort(500, str(error))
    if form.validate_on_submit():
        try:
            task_service.complete_task(current_user, task.id, form.to_data())
        except InvalidInputError as error:
            show_field_errors(form, error.field_errors)
            flash(error.message, "error")
        except TaskNotReadyError as error:
            flash(error.message, "error")
            return redirect(url_for("cases.show", number=task.case.number))
        except ProcessError as error:
            flash(error.message, "error")
        else:
            flash(f"“{task.name}”已办结。", "success")
            return redirect(url_for("cases.show", number=task.case.number))
    elif form.is_submitted():
        flash("表单有误，请按提示修改。", "error")
    status = 422 if form.is_submitted() else 200
    can_do = task_service.can_do_task(current_user, task)
    return render_template("tasks/show.html", task=task, form=form, can_do=can_do), status

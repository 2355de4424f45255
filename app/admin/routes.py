from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.services.cases import sector_bodies
from app.services.errors import AccessDeniedError, InvalidInputError, NotFoundError
from app.services.people import access, sessions
from app.services.time_limits.year_schedules import current_calendar, enter_year_schedule, local_today
from app.views import flash_form_errors, flash_outcome
from forms.admin import SectorBodyForm, SectorBodyToggleForm, YearScheduleForm
from forms.base import show_field_errors

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_context_processor
def inject_calendar_warning():
    """Admins and supervisors are told when due dates fall back to weekends only."""
    if not current_user.is_authenticated or current_user.role not in ("admin", "supervisor"):
        return {}
    return {"uncovered_years": current_calendar().uncovered_years(local_today())}


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    access.ensure_can_administer(current_user)
    form = YearScheduleForm()
    if form.validate_on_submit():
        try:
            enter_year_schedule(current_user, form.year.data, form.holidays.days, form.working_days.days)
        except InvalidInputError as error:
            show_field_errors(form, {"holidays": error.field_errors.get("days", [])})
            flash(error.message, "error")
        else:
            flash(_("%(year)s 年节假日安排已保存，计算时限时优先使用。", year=form.year.data), "success")
            return redirect(url_for("admin.calendar"))
    calendar_in_force = current_calendar()
    this_year = local_today().year
    years = [(year, calendar_in_force.covers(year), calendar_in_force.schedules.get(year))
             for year in (this_year, this_year + 1)]
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("admin/calendar.html", form=form, years=years,
                           day_counting=calendar_in_force.day_counting), status


@bp.route("/sector-bodies", methods=["GET", "POST"])
@login_required
def sector_bodies_page():
    """The sector mediation bodies of each town: the "N" of "3+N" and where the panel may refer cases."""
    if current_user.role != "admin":
        abort(403)
    towns = sector_bodies.towns()
    form = SectorBodyForm()
    form.town_id.choices = [(town.id, town.name) for town in towns]
    if form.validate_on_submit():
        try:
            body = sector_bodies.add_sector_body(current_user, form.town_id.data, form.name.data)
        except InvalidInputError as error:
            show_field_errors(form, error.field_errors)
            flash(error.message, "error")
        else:
            flash(_("已添加“%(name)s”。", name=body.name), "success")
            return redirect(url_for("admin.sector_bodies_page"))
    status = 422 if form.is_submitted() and form.errors else 200
    listing = [(town, sector_bodies.sector_bodies_of_town(town.id, active_only=False)) for town in towns]
    return render_template("admin/sector_bodies.html", form=form, listing=listing,
                           toggle_form=SectorBodyToggleForm()), status


@bp.post("/sector-bodies/<int:body_id>/active")
@login_required
def toggle_sector_body(body_id: int):
    form = SectorBodyToggleForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
    else:
        active = form.active.data == "1"
        flash_outcome(lambda: sector_bodies.set_sector_body_active(current_user, body_id, active),
                      _("已启用。") if active else _("已停用。"), (InvalidInputError, AccessDeniedError, NotFoundError))
    return redirect(url_for("admin.sector_bodies_page"))
@bp.get("/sign-ins")
@login_required
def sign_ins():
    """Names locked now, failed log-ins of the last day, who is logged in."""
    if request.args.get("username"):
        return redirect(url_for("admin.user_sessions", username=request.args["username"].strip()))
    return render_template("admin/sign_ins.html", overview=sessions.sign_in_overview(current_user))


@bp.post("/locks/<int:lock_id>/unlock")
@login_required
def unlock(lock_id: int):
    lock = sessions.unlock_account(current_user, lock_id)
    flash(_("已解除 %(username)s 的登录锁定。", username=lock.username), "success")
    return redirect(url_for("admin.sign_ins"))


@bp.get("/users/<username>/sessions")
@login_required
def user_sessions(username: str):
    user, rows = sessions.user_sessions(current_user, username)
    return render_template("admin/sessions.html", user=user, sessions=rows)


@bp.post("/users/<username>/sessions/revoke")
@login_required
def revoke_sessions(username: str):
    """Ends one session (`session_id` in the form) or every session of the user."""
    session_id = request.form.get("session_id", type=int)
    ended = sessions.revoke_sessions(current_user, username, session_id)
    flash(_("已结束 %(count)s 个会话。", count=ended), "success")
    return redirect(url_for("admin.user_sessions", username=username))

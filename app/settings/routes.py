from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from app.auth.routes import SESSION_TOKEN
from app.services.errors import InvalidInputError, JiefenError
from app.services.people.sessions import change_password
from app.services.people.users import update_user_locale
from forms.base import show_field_errors
from forms.settings import ChangePasswordForm, SettingsForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = SettingsForm(locale=current_user.locale)
    if form.validate_on_submit():
        try:
            update_user_locale(current_user, form.locale.data)
        except JiefenError as error:
            flash(error.message, "error")
        else:
            refresh()  # this response already speaks the new language
            flash(_("设置已保存。"), "success")
            return redirect(url_for("settings.index"))
    return render_template("settings/index.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """A new password ends every session of the user; this browser continues in a new one."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            token = change_password(current_user, form.current_password.data, form.new_password.data,
                                    ip=request.remote_addr or "", user_agent=request.user_agent.string)
        except InvalidInputError as error:
            show_field_errors(form, error.field_errors)
        else:
            session[SESSION_TOKEN] = token
            flash(_("密码已修改，其他设备上的登录已全部退出。"), "success")
            return redirect(url_for("settings.index"))
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("settings/password.html", form=form), status

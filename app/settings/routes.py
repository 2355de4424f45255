from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from app.services.errors import JiefenError
from app.services.people.users import update_user_locale
from forms.settings import SettingsForm

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

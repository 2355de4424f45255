from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from app.services.people.sessions import log_in, log_out
from forms.auth import LoginForm

bp = Blueprint("auth", __name__)

# The key of the server-side session's random id in the signed session cookie.
SESSION_TOKEN = "session_token"


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = log_in(form.username.data, form.password.data, ip=request.remote_addr or "",
                        user_agent=request.user_agent.string)
        if result.user is not None:
            session.clear()
            login_user(result.user)
            session[SESSION_TOKEN] = result.token
            target = request.args.get("next", "")
            if not target.startswith("/") or urlsplit(target).netloc:
                target = url_for("tasks.mine")
            return redirect(target)
        if result.refused == "locked":
            flash(_("该账号因多次登录失败已暂时锁定，请于 %(time)s 后再试，或联系系统管理员解锁。",
                    time=format_datetime(result.retry_at, "HH:mm")), "error")
            status = 429
        elif result.refused == "throttled":
            flash(_("本机登录失败次数过多，请稍后再试。"), "error")
            status = 429
        else:
            flash(_("用户名或密码错误。"), "error")
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    log_out(session.get(SESSION_TOKEN))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

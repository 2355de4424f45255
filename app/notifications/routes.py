from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.input_guard import parse_int
from app.services.supervision.notifications import list_notifications, mark_notifications_read, unread_count

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def inject_unread_count():
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(current_user)}


@bp.get("/")
@login_required
def index():
    return render_template("notifications/index.html", notifications=list_notifications(current_user))


@bp.post("/read")
@login_required
def mark_read():
    ids = [number for number in map(parse_int, request.form.getlist("id")) if number is not None] or None
    count = mark_notifications_read(current_user, ids)
    flash(_("已将 %(count)s 条通知标为已读。", count=count), "success")
    return redirect(url_for("notifications.index"))

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.input_guard import query_int
from app.services.people import access
from app.services.supervision.exports import CSV_MIMETYPE
from app.services.supervision.lists import KINDS, ListPage, supervision_csv, supervision_page

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.get("/")
@login_required
def index():
    access.ensure_can_supervise(current_user)
    return redirect(url_for("supervision.show", kind="weekly"))


@bp.get("/<kind>")
@login_required
def show(kind: str):
    if kind not in KINDS:
        abort(404)
    wanted = ListPage(kind, query_int(request.args, "page", default=1))
    return render_template("supervision/index.html", kind=kind, kinds=KINDS, wanted=wanted,
                           page=supervision_page(current_user, kind, wanted.page))


@bp.get("/<kind>.csv")
@login_required
def export(kind: str):
    if kind not in KINDS:
        abort(404)
    text = supervision_csv(current_user, kind, ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))
    return Response(text, mimetype=CSV_MIMETYPE,  # Flask adds "; charset=utf-8" to text/*
                    headers={"Content-Disposition": f"attachment; filename=jiefen-{kind}.csv"})

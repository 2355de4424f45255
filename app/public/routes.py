"""Door plates: the QR sheet (logged in), the resident's report page and tracking page (public).

The public routes are rate-limited per IP and, for reports, per door plate (Flask-Limiter; limits in
app/config.py), take small bodies only, and keep CSRF protection on.
"""
import segno
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from app.extensions import limiter
from app.links import external_url, public_base_url
from app.services.errors import InvalidInputError, NotFoundError
from app.services.intake import resident_reports
from forms.base import show_field_errors
from forms.public import ResidentReportForm, TrackForm

bp = Blueprint("public", __name__)


def _plate_key() -> str:
    return f"plate:{(request.view_args or {}).get('token', '')}"


@bp.before_request
def limit_body_size():
    if request.endpoint in ("public.report", "public.track"):
        request.max_content_length = current_app.config["PUBLIC_MAX_BODY_BYTES"]


@bp.errorhandler(429)
def too_many_requests(error):
    return render_template("public/error.html", title=_("提交过于频繁"),
                           message=_("提交过于频繁，请稍后再试。如有紧急情况请拨打 110。")), 429


@bp.errorhandler(413)
def too_large(error):
    return render_template("public/error.html", title=_("内容过长"),
                           message=_("提交的内容过长，请精简后再试。")), 413


@bp.errorhandler(NotFoundError)
def not_found(error):
    return render_template("public/error.html", title=_("未找到"), message=error.message), 404


@bp.route("/r/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESIDENT_REPORT_LIMIT_PER_IP"], methods=["POST"],
               scope="resident-report-ip")
@limiter.limit(lambda: current_app.config["RESIDENT_REPORT_LIMIT_PER_ADDRESS"], methods=["POST"],
               key_func=_plate_key, scope="resident-report-plate")
def report(token: str):
    address = resident_reports.find_plate(token)
    form = ResidentReportForm()
    if form.validate_on_submit():
        try:
            receipt = resident_reports.report_dispute(token, resident_reports.ResidentReport(
                title=form.title.data or "", description=form.description.data or "", name=form.name.data or "",
                phone=form.phone.data or "", consent=form.consent.data,
            ))
        except InvalidInputError as error:
            show_field_errors(form, error.field_errors)
        else:
            return render_template("public/reported.html", receipt=receipt), 201
    status = 422 if form.is_submitted() else 200
    return render_template("public/report.html", form=form, address=address), status


@bp.get("/track")
@limiter.limit(lambda: current_app.config["TRACKING_LIMIT_PER_IP"], scope="tracking-ip",
               exempt_when=lambda: not request.args.get("code"))
def track():
    form = TrackForm(formdata=request.args if request.args else None)
    tracking, message, status = None, None, 200
    if request.args and form.validate():
        try:
            tracking = resident_reports.track_case(form.code.data or "")
        except NotFoundError as error:
            message, status = error.message, 404
    elif request.args:
        status = 422
    return render_template("public/track.html", form=form, tracking=tracking, message=message,
                           code=resident_reports.format_code(resident_reports.normalize_code(form.code.data or ""))), status


@bp.get("/plates")
@login_required
def plates():
    grid_code = request.args.get("grid", "")
    addresses = resident_reports.list_plates(current_user, grid_code)
    sheet = []
    # Printed links must not follow the Host header of whoever opened the sheet: no public address, no plates.
    for address in addresses if public_base_url() else []:
        link = external_url("public.report", token=address.plate_token)
        qr = segno.make(link, error="m")
        sheet.append((address, link, Markup(qr.svg_inline(scale=4, title=address.text))))
    return render_template("public/plates.html", sheet=sheet, grids=resident_reports.plate_grids(current_user),
                           grid_code=grid_code, base_url_missing=not public_base_url())

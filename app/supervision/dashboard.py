"""The dashboard page (一屏观全域) and the CSV / XLSX of each of its tables."""
from flask import Response, abort, flash, render_template, request
from flask_login import current_user, login_required

from app.input_guard import query_int
from app.services.cases import catalog
from app.services.errors import InvalidInputError
from app.services.supervision import dashboard as dashboards
from app.services.supervision import tables
from app.services.supervision.exports import CSV_MIMETYPE, XLSX_MIMETYPE, csv_text, xlsx_bytes
from app.supervision.routes import bp

FORMATS = ("csv", "xlsx")


def _period_and_scope() -> tuple[dashboards.Period, dashboards.Scope]:
    today = dashboards.today()
    try:
        period = dashboards.parse_period(request.args.get("from"), request.args.get("to"), today)
    except InvalidInputError as error:
        flash(error.message, "error")
        period = dashboards.default_period(today)
    scope = dashboards.Scope(community_id=query_int(request.args, "community"),
                             grid_id=query_int(request.args, "grid"))
    return period, scope


@bp.get("/dashboard")
@login_required
def dashboard():
    period, scope = _period_and_scope()
    board = dashboards.build_dashboard(current_user, period, scope)
    grids = catalog.grids_for(current_user)
    communities = sorted({grid.community for grid in grids}, key=lambda community: community.id)
    return render_template("supervision/dashboard.html", board=board, grids=grids, communities=communities,
                           today=dashboards.today(), tables=dashboards.TABLES,
                           year_on_year=dashboards.year_on_year)


@bp.get("/dashboard/<table>.<fmt>")
@login_required
def dashboard_export(table: str, fmt: str):
    if table not in dashboards.TABLES or fmt not in FORMATS:
        abort(404)
    period, scope = _period_and_scope()
    board = dashboards.build_dashboard(current_user, period, scope)
    title, header, rows = dashboards.dashboard_table(board, table)
    return download(f"jiefen-{table}-{period.start.isoformat()}-{period.end.isoformat()}", fmt, title, header, rows)


@bp.get("/trail.csv")
@login_required
def trail_csv():
    """Every trail entry of the period (the dashboard's dates), for audit."""
    period, _scope = _period_and_scope()
    title, header, rows = tables.period_trail_table(current_user, period)
    return download(f"jiefen-trail-{period.start.isoformat()}-{period.end.isoformat()}", "csv", title, header, rows)


def download(stem: str, fmt: str, title: str, header, rows) -> Response:
    """A table as a CSV or XLSX attachment."""
    if fmt == "csv":
        return Response(csv_text(header, rows), mimetype=f"{CSV_MIMETYPE}; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={stem}.csv"})
    return Response(xlsx_bytes(title, header, rows), mimetype=XLSX_MIMETYPE,
                    headers={"Content-Disposition": f"attachment; filename={stem}.xlsx"})

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.services import cases as case_service
from app.services import catalog
from app.services.errors import InvalidInputError
from forms.base import show_field_errors
from forms.cases import NewCaseForm

bp = Blueprint("cases", __name__, url_prefix="/cases")


@bp.get("/")
@login_required
def index():
    status = request.args.get("status") or None
    return render_template("cases/index.html", cases=case_service.list_cases(current_user, status=status),
                           status=status)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = NewCaseForm()
    form.set_choices(catalog.category_id_choices(), catalog.grids_for(current_user),
                     catalog.addresses_for(current_user))
    if form.validate_on_submit():
        parties = [case_service.NewParty(form.applicant_name.data, "applicant", form.applicant_phone.data or "")]
        if form.respondent_name.data:
            parties.append(case_service.NewParty(form.respondent_name.data, "respondent",
                                                 form.respondent_phone.data or ""))
        new_case = case_service.NewCase(
            title=form.title.data, description=form.description.data or "", category_id=form.category_id.data,
            source=form.source.data, grid_id=form.grid_id.data, address_id=form.address_id.data,
            address_text=form.address_text.data or "", parties=parties,
        )
        try:
            case = case_service.open_case(current_user, new_case)
        except InvalidInputError as error:
            show_field_errors(form, error.field_errors)
            flash(error.message, "error")
        else:
            flash(f"案件 {case.number} 已登记。", "success")
            return redirect(url_for("cases.show", number=case.number))
    elif form.is_submitted():
        flash("表单有误，请按提示修改。", "error")
    return render_template("cases/new.html", form=form), 422 if form.is_submitted() else 200


@bp.get("/<number>")
@login_required
def show(number: str):
    return render_template("cases/show.html", view=case_service.get_case(current_user, number))
